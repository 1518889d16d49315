/** CPU-side numeric helpers shared by the references: reproducible operands and float rounding. */

/** lowbias32 integer hash, bit-identical to mix32 in shaders/fill.wgsl. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The value fill_hash writes at index i: bit-identical to the GPU (one f32 rounding at most). */
export function hashValue(seed: number, i: number, scale = 1): number {
  const h = mix32((i ^ mix32((seed + 0x9e3779b9) >>> 0)) >>> 0);
  const unit = (h >>> 8) / 8388608 - 1; // exact in f32: 24 significant bits
  return Math.fround(unit * scale);
}

/** Round to the nearest IEEE binary16 value (ties to even), returned as a number. */
export function f16round(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  e = Math.max(e, -14); // subnormals share the smallest exponent
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  const fl = Math.floor(q);
  const diff = q - fl;
  const n = diff > 0.5 ? fl + 1 : diff < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  return Math.sign(x) * n * ulp;
}

/** Deterministic sample of `count` distinct indices in [0, n) (all of them when count >= n). */
export function sampleIndices(n: number, count: number, seed: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count <= 0) return [];
  // Both ends first: edge handling is where indexing bugs live.
  const set = new Set<number>(count >= 2 ? [0, n - 1] : [0]);
  let s = seed >>> 0;
  while (set.size < count) {
    s = mix32(s + 1);
    set.add(Math.floor((s / 4294967296) * n));
  }
  return [...set].sort((a, b) => a - b);
}
