/** Timer-resolution detection (pure): finds the quantum timestamps are rounded to. */

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export interface Resolution {
  /** Greatest common step of all observed values, in ns (0 when fewer than two distinct values). */
  quantumNs: number;
  /** Smallest positive difference between distinct observed values, in ns. */
  minStepNs: number;
  /** True when the quantum is coarse enough (>= 1 µs) to be a deliberate rounding, e.g. Chrome's 100 µs. */
  quantized: boolean;
}

/** Steps at or above this are treated as deliberate quantisation rather than hardware tick size. */
export const QUANTIZED_THRESHOLD_NS = 1000;

/** Detects the quantum of integer nanosecond timestamps (e.g. GPU timestamp-query values). */
export function detectQuantum(values: readonly bigint[]): Resolution {
  const distinct = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (distinct.length < 2) return { quantumNs: 0, minStepNs: 0, quantized: false };
  const base = distinct[0] as bigint;
  let g = 0n;
  let minStep: bigint | null = null;
  for (let i = 1; i < distinct.length; i++) {
    const v = distinct[i] as bigint;
    g = gcd(g, v - base);
    const step = v - (distinct[i - 1] as bigint);
    if (minStep === null || step < minStep) minStep = step;
  }
  const quantumNs = Number(g);
  return { quantumNs, minStepNs: Number(minStep ?? 0n), quantized: quantumNs >= QUANTIZED_THRESHOLD_NS };
}

/** Same for millisecond readings such as performance.now(), rounded to whole nanoseconds. */
export function detectQuantumMs(valuesMs: readonly number[]): Resolution {
  return detectQuantum(valuesMs.map((v) => BigInt(Math.round(v * 1e6))));
}

/**
 * Observes performance.now() until it has seen `distinct` values, `budgetMs` passed, or `maxReads`
 * readings were taken (a clock that never advances must not hang the run).
 */
export function observeClock(
  now: () => number = () => performance.now(),
  distinct = 64,
  budgetMs = 20,
  maxReads = 5_000_000,
): Resolution {
  const seen: number[] = [];
  const start = now();
  let last = start;
  seen.push(start);
  for (let reads = 0; seen.length < distinct && reads < maxReads; reads++) {
    const t = now();
    if (t !== last) {
      seen.push(t);
      last = t;
    }
    if (t - start > budgetMs) break;
  }
  return detectQuantumMs(seen);
}
