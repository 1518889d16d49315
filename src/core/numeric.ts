/**
 * CPU-side numeric helpers shared by the references and the checks: reproducible operands, float16
 * rounding and bits, and the error measures every check compares with.
 */

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

/** IEEE binary16 bits of x (round to nearest even; x must be finite and within f16 range). */
export function f16Bits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e < -14) {
    // Subnormal: units of 2^-24.
    const m = roundEven(a / 2 ** -24);
    return sign | m; // m == 1024 rounds up into the smallest normal, which the bits express directly
  }
  let m = roundEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) throw new Error(`f16Bits: ${x} overflows binary16`);
  return sign | ((e + 15) << 10) | m;
}

/** The number an IEEE binary16 bit pattern encodes (NaN and infinities included). */
export function f16FromBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1024 + m) * 2 ** (e - 25);
}

const bf16Scratch = new Float32Array(1);
const bf16Bits32 = new Uint32Array(bf16Scratch.buffer);

/** The number a bfloat16 bit pattern encodes: the high half of an f32 (the one bf16 decoder). */
export function bf16FromBits(bits: number): number {
  bf16Bits32[0] = (bits & 0xffff) << 16;
  return bf16Scratch[0] as number;
}

function roundEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** Relative L2 error sqrt(sum (got - ref)^2 / sum ref^2); Infinity when any got is non-finite. */
export function relativeL2(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i] as number;
    const r = ref[i] as number;
    if (!Number.isFinite(g)) return Infinity;
    num += (g - r) ** 2;
    den += r * r;
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

/** Largest |got - ref| divided by the largest |ref| (Infinity when any got is non-finite). */
export function maxAbsNormalised(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i] as number;
    const r = ref[i] as number;
    if (!Number.isFinite(g)) return Infinity;
    num = Math.max(num, Math.abs(g - r));
    den = Math.max(den, Math.abs(r));
  }
  return den > 0 ? num / den : num;
}

