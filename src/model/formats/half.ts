/**
 * IEEE half (f16) and bfloat16 bit conversions, exact in both directions: decoding is exact, encoding rounds
 * to nearest, ties to even, as GGML's converters do. Node 20 has no Math.f16round, hence these.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The value of the half with bits `h`. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** Bits of the half nearest to `x` (ties to even); overflow gives infinity, NaN a quiet NaN. */
export function floatToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65520 is halfway between the largest half (65504) and 2^16
  if (a < 2 ** -14) {
    // Subnormal (or zero): units of 2^-24, rounded half to even.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1; // log2 can be off by one near powers of two
  if (2 ** (e + 1) <= a) e += 1;
  const m = roundHalfEven((a / 2 ** e - 1) * 1024);
  // m === 1024: the mantissa rounded up into the next binade.
  return m === 1024 ? sign | ((e + 16) << 10) : sign | ((e + 15) << 10) | m;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The value of the bfloat16 with bits `b`. */
export function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0] as number;
}

/** Bits of the bfloat16 nearest to the f32 nearest to `x` (ties to even); NaN stays a quiet NaN. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
