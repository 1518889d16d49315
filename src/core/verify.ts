/**
 * The one verification path: poison the outputs, run one unit, compare with the CPU reference, build the
 * Verification. Every kernel's check() and every tuning candidate goes through verify(); nothing else
 * assembles a Verification (verdict(), notRun() and combine() are the only builders).
 */
import { Resources } from '../gpu/buffers';
import { errorMessage, withErrorScopes } from '../gpu/errors';
import type { Verification } from '../schema/result';
import { type GpuWork, runOnce } from './work';

/** What a comparison found. */
export interface Comparison {
  /** The error measure (relative L2, max abs over max |value|, fraction of wrong indices, ...). */
  error: number;
  /** Outputs compared. */
  checked: number;
  /** Outputs the kernel did not write (poison survived, or a residual output kept its input). */
  unwritten: number;
  /**
   * Outputs that must equal the reference exactly and do not (greedy tokens next to logits compared
   * within a tolerance): any fails the check whatever the error.
   */
  wrong?: number;
  /** Extra words for a failure (which case, which token). */
  detail?: string;
}

/** How one kernel instance is checked. */
export interface Check {
  /** What is compared and how, in words (goes into the result). */
  method: string;
  threshold: number;
  /** Prepares the outputs so a unit that skips them fails (NaN, or known values it must change). */
  poison(): Promise<void>;
  /** Reads the outputs after one run and compares them with the reference. */
  compare(): Promise<Comparison>;
}

/**
 * The Verification of a comparison: passed when every output was written, none that must match exactly
 * differs, and the error is within the threshold.
 */
export function verdict(method: string, threshold: number, c: Comparison): Verification {
  const wrong = c.wrong ?? 0;
  const ok = c.unwritten === 0 && wrong === 0 && Number.isFinite(c.error) && c.error <= threshold;
  const details = [
    c.unwritten ? `${c.unwritten} outputs not written (poison survived)` : '',
    wrong ? `${wrong} outputs that must match exactly differ` : '',
    c.detail ?? '',
  ].filter(Boolean);
  return {
    state: ok ? 'passed' : 'failed',
    method,
    error: Number.isFinite(c.error) ? c.error : -1,
    threshold,
    checked: c.checked,
    ...(details.length ? { detail: details.join('; ') } : {}),
  };
}

/** A check that could not run (a throw while building or reading): failed, with the reason. */
export function notRun(method: string, e: unknown): Verification {
  return { state: 'failed', method: `${method}: check did not run`, error: -1, threshold: 0, checked: 0, detail: errorMessage(e) };
}

/** Poison, run `work` once, compare: the one place a Verification is made from a GPU run. */
export async function verify(device: GPUDevice, work: GpuWork, check: Check): Promise<Verification> {
  await check.poison();
  runOnce(device, work);
  return verdict(check.method, check.threshold, await check.compare());
}

/**
 * `work` with its check() attached: verify() on `on` (default: the work itself), or on `instead`. `on`
 * is the same kernel bound to the check's operands when the work's own cannot be compared (a tuning
 * candidate timed on real-size operands, checked on a smaller set).
 */
export function checked<W extends GpuWork>(device: GPUDevice, work: W, check: Check, on: GpuWork = work): W & Required<Pick<GpuWork, 'check'>> {
  return Object.assign(work, { check: (instead?: GpuWork) => verify(device, instead ?? on, check) });
}

/**
 * One Verification for a set of cases (a family's self-check): failed when any case failed, the worst
 * error, outputs checked over all cases, and each failure named.
 */
export function combine(method: string, threshold: number, cases: ReadonlyArray<{ name: string; verification: Verification }>): Verification {
  let worst = 0;
  let checkedCount = 0;
  const failures: string[] = [];
  for (const { name, verification: v } of cases) {
    checkedCount += v.checked;
    if (v.error < 0) worst = -1;
    else if (worst >= 0) worst = Math.max(worst, v.error);
    if (v.state === 'failed') failures.push(`${name}: error ${v.error}${v.detail ? ` (${v.detail})` : ''}`);
  }
  return {
    state: failures.length ? 'failed' : 'passed',
    method,
    error: worst,
    threshold,
    checked: checkedCount,
    ...(failures.length ? { detail: failures.join('; ') } : {}),
  };
}

/** Outputs of `got` that are not finite (NaN poison survived, or the kernel produced Inf/NaN). */
export function countNonFinite(got: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < got.length; i++) if (!Number.isFinite(got[i] as number)) n++;
  return n;
}

/** One case of a family's self-check: builds its operands in `res`, returns the unit and how it is checked. */
export interface CheckCase {
  /** Names the case in error scopes and in a check that could not run (the kernel's label). */
  name: string;
  build(res: Resources): Promise<{ work: GpuWork; check: Check }>;
}

export interface CheckOptions {
  /** Replaces each case's unit before it runs (tests pass one that skips its dispatch, to prove the check fails). */
  tamper?: (work: GpuWork) => GpuWork;
}

/**
 * Verifies each case in its own resources and error scopes, one Verification per case in order; a throw
 * (building, running or reading) becomes notRun(case name).
 */
export async function verifyCases(device: GPUDevice, cases: readonly CheckCase[], opts: CheckOptions = {}): Promise<Verification[]> {
  const out: Verification[] = [];
  for (const c of cases) {
    const res = new Resources();
    try {
      const v = await withErrorScopes(device, `check.${c.name}`, async () => {
        const { work, check } = await c.build(res);
        return verify(device, opts.tamper ? opts.tamper(work) : work, check);
      });
      out.push(v);
    } catch (e) {
      out.push(notRun(c.name, e));
    } finally {
      res.destroyAll();
    }
  }
  return out;
}
