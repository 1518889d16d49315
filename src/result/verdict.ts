import type { BenchResult } from '../schema/result';

/** Whether a result counts as a success (CLI exit 0): completed, verified, no errors or withheld figures. */
export function resultOk(r: BenchResult): boolean {
  if (r.status !== 'completed' || r.verification.state === 'failed' || r.errors.length > 0) return false;
  return r.phases.every(
    (p) =>
      (p.state === 'completed' || p.state === 'skipped') &&
      p.measurements.every((m) => m.state === 'ok' || m.state === 'skipped') &&
      (p.workloads ?? []).every((w) => w.state === 'ok' || w.state === 'skipped'),
  );
}
