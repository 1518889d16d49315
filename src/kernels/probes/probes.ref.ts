/** CPU references for the roofline probes (shaders/read_bandwidth.wgsl, copy_bandwidth.wgsl, fma_peak.wgsl). */
import { f16round, hashValue } from '../../core/numeric';

/**
 * Expected per-thread partial sums of the read probe: thread t sums vec4 elements t, t+T, t+2T, ...
 * Returns the float64 sums and the sums of absolute values (the error scale).
 */
export function readPartialsRef(seed: number, vecCount: number, threads: number) {
  const sum = new Float64Array(threads);
  const abs = new Float64Array(threads);
  for (let v = 0; v < vecCount; v++) {
    const t = v % threads;
    let s = 0;
    let a = 0;
    for (let c = 0; c < 4; c++) {
      const x = hashValue(seed, 4 * v + c);
      s += x;
      a += Math.abs(x);
    }
    sum[t]! += s;
    abs[t]! += a;
  }
  return { sum, abs };
}

export type Precision = 'f32' | 'f16';

const roundTo = (p: Precision) => (p === 'f32' ? Math.fround : f16round);

/** Scale of the per-chain increment b (keeps x = x0 + n*b small and every increment visible). */
export const FMA_B_SCALE = 2 ** -10;

/** Operands thread t of the FMA probe uses (coeffs filled with hashValue(seed, ·)): start s and increment b. */
export function fmaCoeffs(seed: number, t: number): { s: number[]; b32: number[] } {
  const s: number[] = [];
  const b32: number[] = [];
  for (let c = 0; c < 4; c++) {
    s.push(hashValue(seed, 8 * t + c));
    b32.push(Math.fround(hashValue(seed, 8 * t + 4 + c) * FMA_B_SCALE));
  }
  return { s, b32 };
}

/**
 * One thread of the FMA probe: eight chains x <- x*1 + b per lane starting at s + k/8, combined
 * pairwise, every operation rounded to `precision`. Returns the four output lanes and the sum of
 * |chain| per lane (the error scale).
 */
export function fmaThreadRef(s: number[], b32: number[], iterations: number, precision: Precision) {
  const r = roundTo(precision);
  const value: number[] = [];
  const scale: number[] = [];
  for (let c = 0; c < 4; c++) {
    const x = Array.from({ length: 8 }, (_, k) => r(Math.fround((s[c] as number) + k * 0.125)));
    const b = r(b32[c] as number);
    for (let i = 0; i < iterations; i++) {
      for (let k = 0; k < 8; k++) x[k] = r((x[k] as number) + b);
    }
    const [x0, x1, x2, x3, x4, x5, x6, x7] = x as [number, number, number, number, number, number, number, number];
    value.push(r(r(r(x0 + x1) + r(x2 + x3)) + r(r(x4 + x5) + r(x6 + x7))));
    scale.push(x.reduce((acc, v) => acc + Math.abs(v), 0));
  }
  return { value, scale };
}

/** FLOPs of one FMA-probe thread: 8 chains x 4 lanes x 2 per FMA per iteration. */
export function fmaFlopsPerThread(iterations: number): number {
  return iterations * 8 * 4 * 2;
}
