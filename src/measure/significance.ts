/**
 * Is a change between two sample sets real? Mann–Whitney U (rank-sum) test with tie correction and a
 * normal approximation: distribution-free, suited to timing samples (skewed, outliers). Pure.
 */

export interface Comparison {
  /** Median of b relative to a: (median(b) - median(a)) / median(a). */
  change: number;
  /** Two-sided p-value of the rank-sum test. */
  p: number;
  /** p < alpha and both sets have enough samples for the test to be meaningful. */
  significant: boolean;
  /** Why the test could not decide, when it could not. */
  note?: string;
}

/** Below this many samples per side the normal approximation is not trusted. */
export const MIN_SAMPLES = 3;
export const DEFAULT_ALPHA = 0.05;

function median(v: readonly number[]): number {
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

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

/** Compares samples of one metric between two results (a = before/baseline, b = after). */
export function compareSamples(a: readonly number[], b: readonly number[], alpha = DEFAULT_ALPHA): Comparison {
  if (a.length === 0 || b.length === 0) return { change: NaN, p: 1, significant: false, note: 'no samples' };
  const ma = median(a);
  const change = ma !== 0 ? (median(b) - ma) / ma : NaN;
  if (a.length < MIN_SAMPLES || b.length < MIN_SAMPLES) {
    return { change, p: 1, significant: false, note: `fewer than ${MIN_SAMPLES} samples on a side` };
  }
  const { p } = mannWhitney(a, b);
  return { change, p, significant: p < alpha };
}
