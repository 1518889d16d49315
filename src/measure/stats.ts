/**
 * The statistics of tokenbench, all in one place: quantiles, summaries, mean and deviation, rates, and the
 * rank-sum test that says whether a change between two sample sets is real. Pure functions; raw samples
 * are kept in the result and every summary derives from them.
 */
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

/** Summary of the time per unit of samples that each cover `unitsPerSample` units (a Timing's perUnitNs). */
export function perUnitSummary(samplesNs: readonly number[], unitsPerSample: number): Summary {
  return summarize(samplesNs.map((s) => s / unitsPerSample));
}

/** Median (R type 7 quantile at 0.5). */
export function median(values: readonly number[]): number {
  return quantileSorted([...values].sort((a, b) => a - b), 0.5);
}

/** Mean and sample standard deviation (n - 1; zero for one sample, mean 0 for none). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / (n || 1);
  const sd = n > 1 ? Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

/** Per-token latency percentiles of per-token samples (R type 7, as every quantile here). */
export function latencyPercentiles(ns: readonly number[]): { p50: number; p90: number; p99: number } {
  const s = [...ns].sort((a, b) => a - b);
  return { p50: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), p99: quantileSorted(s, 0.99) };
}

/** Tokens per second of a run of `tokens` tokens that took `ns` (0 for a zero-length span). */
export function tokensPerSecond(tokens: number, ns: number): number {
  return ns > 0 ? tokens / (ns / 1e9) : 0;
}

/**
 * A token rate from per-repetition times (ns): tokens per second at the median time, and its spread (the
 * p10 of the rate comes from the p90 of the time), with the samples.
 */
export function rateOf(tokens: number, samplesNs: readonly number[]): { median: number; p10: number; p90: number; samplesNs: number[] } {
  const s = summarize(samplesNs);
  const r = (ns: number) => tokensPerSecond(tokens, ns);
  return { median: r(s.median), p10: r(s.p90), p90: r(s.p10), samplesNs: [...samplesNs] };
}

// ------------------------------------------------------------------------------------- rank-sum test

export interface SampleComparison {
  /** Median of b relative to a: (median(b) - median(a)) / median(a). */
  change: number;
  /** Two-sided p-value of the rank-sum test. */
  p: number;
  /** p < alpha (and the sample counts could reach it). */
  significant: boolean;
  /** Why the test could not decide, when it could not. */
  note?: string;
}

export const DEFAULT_ALPHA = 0.05;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Two-sided Mann–Whitney U test of a vs b. */
export function mannWhitney(a: readonly number[], b: readonly number[]): { u: number; z: number; p: number } {
  const n1 = a.length;
  const n2 = b.length;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && (all[j + 1] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((x, i) => {
    if (x.g === 0) r1 += ranks[i] as number;
  });
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (!(sigma > 0)) return { u, z: 0, p: 1 };
  // Continuity correction towards the mean.
  const z = (u - mu - Math.sign(u - mu) * 0.5) / sigma;
  return { u, z, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

/** Up to this many samples in all, p comes from the exact permutation distribution (ties included). */
export const EXACT_MAX_SAMPLES = 60;

/** Rank of each value among all, ties at their mean rank, doubled so every rank is an integer. */
function doubledRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as { v: number }).v === (order[i] as { v: number }).v) j++;
    for (let k = i; k <= j; k++) out[(order[k] as { i: number }).i] = i + j + 2;
    i = j + 1;
  }
  return out;
}

/**
 * Two-sided exact p of the rank-sum test: among every way to pick n1 of the pooled values (ranks with
 * ties as they are), the share whose rank sum lies at least as far from its mean as a's does.
 */
export function rankSumExactP(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length;
  const ranks = doubledRanks([...a, ...b]);
  const total = ranks.reduce((s, r) => s + r, 0);
  // ways[k][s]: subsets of k ranks (of those seen so far) with doubled rank sum s.
  const ways = Array.from({ length: n1 + 1 }, () => new Float64Array(total + 1));
  (ways[0] as Float64Array)[0] = 1;
  for (const r of ranks) {
    for (let k = n1; k >= 1; k--) {
      const to = ways[k] as Float64Array;
      const from = ways[k - 1] as Float64Array;
      for (let s = total; s >= r; s--) to[s] = (to[s] as number) + (from[s - r] as number);
    }
  }
  const dist = ways[n1] as Float64Array;
  const mean = (total * n1) / ranks.length;
  const observed = Math.abs(ranks.slice(0, n1).reduce((s, r) => s + r, 0) - mean);
  let all = 0;
  let extreme = 0;
  dist.forEach((count, s) => {
    all += count;
    if (Math.abs(s - mean) >= observed - 1e-9) extreme += count;
  });
  return Math.min(1, extreme / all);
}

/** The smallest two-sided p the rank-sum test can give with n1 and n2 samples: 2 / C(n1 + n2, n1). */
export function smallestP(n1: number, n2: number): number {
  let c = 1;
  for (let i = 1; i <= Math.min(n1, n2); i++) c = (c * (n1 + n2 - Math.min(n1, n2) + i)) / i;
  return Math.min(1, 2 / c);
}

/**
 * Compares samples of one metric between two results (a = before/baseline, b = after). When even the
 * most extreme outcome could not reach `alpha` with these sample counts, the test cannot judge: the
 * comparison carries a note (callers report "inconclusive", never "unchanged").
 */
export function compareSamples(a: readonly number[], b: readonly number[], alpha = DEFAULT_ALPHA): SampleComparison {
  if (a.length === 0 || b.length === 0) return { change: NaN, p: 1, significant: false, note: 'no samples' };
  const ma = median(a);
  const change = ma !== 0 ? (median(b) - ma) / ma : NaN;
  const floor = smallestP(a.length, b.length);
  if (floor >= alpha) {
    return { change, p: 1, significant: false, note: `${a.length} vs ${b.length} samples cannot reach p < ${alpha} (the smallest possible p is ${floor.toFixed(3)}): take more samples` };
  }
  const p = a.length + b.length <= EXACT_MAX_SAMPLES ? rankSumExactP(a, b) : mannWhitney(a, b).p;
  return { change, p, significant: p < alpha };
}
