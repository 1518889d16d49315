/**
 * IEEE half (f16) and bfloat16 bit conversions, exact in both directions: decoding is exact, encoding rounds
 * to nearest, ties to even, as GGML's converters do. Node 20 has no Math.f16round, hence these.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The value of the half with bits `h`, and of the bfloat16 with bits `b` (the one decoder of each: core/numeric.ts). */
export { f16FromBits as halfToFloat, bf16FromBits as bf16ToFloat } from '../../core/numeric';

/**
 * Bits of the half nearest to `x` rounded to f32 first (GGML converts from f32), ties to even; overflow
 * gives infinity, NaN a quiet NaN.
 */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry rounds into the exponent, up to infinity
  return sign | h;
}

/** Bits of the bfloat16 nearest to the f32 nearest to `x` (ties to even); NaN stays a quiet NaN. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
