/** Sample statistics. Pure functions; raw samples are kept in the result, summaries derive from them. */
import type { Summary } from '../schema/result';

/** Linear-interpolated quantile (R type 7) of sorted values; q in [0, 1]. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile out of range: ${q}`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('cannot summarize an empty sample');
  for (const v of values) {
    if (!Number.isFinite(v)) throw new Error(`non-finite sample: ${v}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  // Sample standard deviation (n - 1); zero for a single sample.
  const variance = n > 1 ? sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  const sd = Math.sqrt(variance);
  return {
    n,
    median: quantileSorted(sorted, 0.5),
    p10: quantileSorted(sorted, 0.1),
    p90: quantileSorted(sorted, 0.9),
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    mean,
    sd,
    cv: mean > 0 ? sd / mean : 0,
  };
}
