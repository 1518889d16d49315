/** Turns a verified kernel and a timer into one Measurement. */
import type { MeasurePlan, Timer } from './timer';
import type { MeasuredWork } from '../core/work';
import type { Measurement, Metric, Timing } from '../schema/result';

export interface MeasureMeta {
  id: string;
  label: string;
  kind: Measurement['kind'];
  unit: Metric['unit'];
  /** Highest believable median for this metric, in `unit`. */
  bound: number;
}

/** Metric from per-unit times: GB/s = bytes/ns, GFLOP/s = flops/ns. */
export function metricFrom(timing: Timing, amount: number, unit: Metric['unit']): Metric {
  const s = timing.perUnitNs;
  const rate = (ns: number) => (ns > 0 ? amount / ns : 0);
  return { unit, median: rate(s.median), p10: rate(s.p90), p90: rate(s.p10), best: rate(s.min) };
}

/** What a measurement records of one unit: the bytes and flops its figure counts (absent when zero). */
function workOf(kernel: MeasuredWork): Measurement['work'] {
  const c = kernel.cost(0);
  const bytes = c.read + c.written;
  return { ...(bytes > 0 ? { bytes } : {}), ...(c.flops > 0 ? { flops: c.flops } : {}) };
}

export async function measureKernel(
  kernel: MeasuredWork,
  timer: Timer,
  plan: MeasurePlan,
  meta: MeasureMeta,
  guard: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): Promise<Measurement> {
  const work = workOf(kernel);
  const base = { id: meta.id, label: meta.label, kind: meta.kind, params: { ...kernel.params }, work };
  const verification = await guard(`${kernel.label}.verify`, () => kernel.check());
  if (verification.state === 'failed') {
    return {
      ...base,
      state: 'invalid',
      verification,
      reason: `output does not match the CPU reference (error ${verification.error} > ${verification.threshold})`,
    };
  }
  const timing = await guard(`${kernel.label}.timed`, () => timer.measure(kernel, plan));
  const amount = meta.unit === 'GB/s' ? work.bytes : work.flops;
  if (amount === undefined) throw new Error(`${kernel.label}: no work amount for ${meta.unit}`);
  const metric = metricFrom(timing, amount, meta.unit);
  const plausibility = { bound: meta.bound, unit: meta.unit };
  if (metric.median > meta.bound) {
    return {
      ...base,
      state: 'implausible',
      timing,
      metric,
      verification,
      plausibility,
      reason: `median ${metric.median.toFixed(0)} ${meta.unit} exceeds the plausibility bound ${meta.bound} ${meta.unit}`,
    };
  }
  return { ...base, state: 'ok', timing, metric, verification, plausibility };
}
