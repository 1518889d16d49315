/**
 * Quantisers: floats to valid GGUF blocks in every supported format, for the GGUF writer and test fixtures.
 * f32/f16/bf16/q8_0/q4_0 follow GGML's reference rounding; the k-quants use a simple min/max fit per
 * sub-block (GGML searches for better scales; any valid block decodes the same way, so files stay
 * valid, only a little less accurate than llama-quantize's).
 */
import { FORMATS, type GgufFormat, rowBytes } from './table';
import { floatToBf16, floatToHalf, halfToFloat } from './half';

type In = ArrayLike<number>;

/** Round half away from zero, as C's roundf. */
function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function q8_0(x: In, i0: number, dv: DataView, p: number): void {
  let amax = 0;
  for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[i0 + i] as number));
  const d = amax / 127;
  const id = d ? 1 / d : 0;
  dv.setUint16(p, floatToHalf(d), true);
  for (let i = 0; i < 32; i++) dv.setInt8(p + 2 + i, roundAway(Math.fround((x[i0 + i] as number) * id)));
}

function q4_0(x: In, i0: number, dv: DataView, p: number): void {
  // The value of largest magnitude maps to -8 exactly, keeping its sign (GGML's choice).
  let max = 0;
  for (let i = 0; i < 32; i++) {
    const v = x[i0 + i] as number;
    if (Math.abs(v) > Math.abs(max)) max = v;
  }
  const d = max / -8;
  const id = d ? 1 / d : 0;
  dv.setUint16(p, floatToHalf(d), true);
  const q = (i: number) => Math.min(15, Math.trunc(Math.fround((x[i0 + i] as number) * id) + 8.5));
  for (let j = 0; j < 16; j++) dv.setUint8(p + 2 + j, q(j) | (q(j + 16) << 4));
}

/** Packs 8 six-bit scales and mins into GGML's 12-byte layout (the inverse of kScaleMin). */
function packScaleMins(sc: number[], mn: number[], dv: DataView, p: number): void {
  for (let j = 0; j < 4; j++) {
    const s = sc[j] as number;
    const m = mn[j] as number;
    const sHi = sc[j + 4] as number;
    const mHi = mn[j + 4] as number;
    dv.setUint8(p + j, (s & 63) | ((sHi >> 4) << 6));
    dv.setUint8(p + j + 4, (m & 63) | ((mHi >> 4) << 6));
    dv.setUint8(p + j + 8, (sHi & 0xf) | ((mHi & 0xf) << 4));
  }
}

/** q4_k (levels 15) and q5_k (levels 31): 8 sub-blocks of 32, each fitted to [min, max] with min <= 0. */
function kQuant45(x: In, i0: number, dv: DataView, p: number, five: boolean): void {
  const levels = five ? 31 : 15;
  const scales: number[] = [];
  const mins: number[] = [];
  for (let j = 0; j < 8; j++) {
    let lo = 0;
    let hi = 0;
    for (let l = 0; l < 32; l++) {
      const v = x[i0 + 32 * j + l] as number;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    scales.push((hi - lo) / levels);
    mins.push(-lo);
  }
  const dBits = floatToHalf(Math.max(...scales) / 63);
  const dminBits = floatToHalf(Math.max(...mins) / 63);
  const d = halfToFloat(dBits);
  const dmin = halfToFloat(dminBits);
  const sc = scales.map((s) => (d ? clamp(Math.ceil(s / d), 0, 63) : 0));
  const mn = mins.map((m) => (dmin ? clamp(Math.ceil(m / dmin), 0, 63) : 0));
  dv.setUint16(p, dBits, true);
  dv.setUint16(p + 2, dminBits, true);
  packScaleMins(sc, mn, dv, p + 4);
  const qh = p + 16;
  const qs = five ? p + 48 : p + 16;
  if (five) for (let l = 0; l < 32; l++) dv.setUint8(qh + l, 0);
  for (let j = 0; j < 8; j++) {
    const step = d * (sc[j] as number);
    const off = dmin * (mn[j] as number);
    const g = j >> 1;
    for (let l = 0; l < 32; l++) {
      const q = step ? clamp(Math.round(((x[i0 + 32 * j + l] as number) + off) / step), 0, levels) : 0;
      const at = qs + 32 * g + l;
      const prev = dv.getUint8(at);
      dv.setUint8(at, j & 1 ? (prev & 0x0f) | ((q & 0xf) << 4) : (q & 0xf));
      if (five && q > 15) dv.setUint8(qh + l, dv.getUint8(qh + l) | (1 << j));
    }
  }
}

/** q6_k: 16 sub-blocks of 16 with signed int8 scales; q in -32..31 stored as q + 32. */
function q6_k(x: In, i0: number, dv: DataView, p: number): void {
  const scales: number[] = [];
  for (let j = 0; j < 16; j++) {
    let amax = 0;
    for (let l = 0; l < 16; l++) amax = Math.max(amax, Math.abs(x[i0 + 16 * j + l] as number));
    scales.push(amax / 31);
  }
  const dBits = floatToHalf(Math.max(...scales) / 127);
  const d = halfToFloat(dBits);
  const sc = scales.map((s) => (d ? clamp(Math.ceil(s / d), 0, 127) : 0));
  for (let i = 0; i < 192; i++) dv.setUint8(p + i, 0);
  for (let j = 0; j < 16; j++) dv.setInt8(p + 192 + j, sc[j] as number);
  dv.setUint16(p + 208, dBits, true);
  for (let i = 0; i < 256; i++) {
    const j = i >> 4;
    const step = d * (sc[j] as number);
    const q = (step ? clamp(Math.round((x[i0 + i] as number) / step), -32, 31) : 0) + 32;
    // Position of weight i: half h (128 each), then quarter k (32 each) within the half, then l.
    const h = i >> 7;
    const k = (i >> 5) & 3;
    const l = i & 31;
    const ql = p + 64 * h + l + (k & 1) * 32;
    dv.setUint8(ql, dv.getUint8(ql) | ((q & 0xf) << (k >> 1 ? 4 : 0)));
    const qh = p + 128 + 32 * h + l;
    dv.setUint8(qh, dv.getUint8(qh) | ((q >> 4) << (2 * k)));
  }
}

/**
 * Quantises `n` values (a whole number of blocks) of `x` from index `start` into `out` from byte `outOffset`;
 * returns the bytes written.
 */
export function quantize(format: GgufFormat, x: In, start: number, n: number, out: Uint8Array, outOffset = 0): number {
  const bytes = rowBytes(format, n);
  if (outOffset + bytes > out.length) throw new RangeError(`${n} ${format} weights need ${bytes} bytes, ${out.length - outOffset} left`);
  if (start < 0 || start + n > x.length) throw new RangeError(`values ${start}..${start + n} asked of ${x.length}`);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const { blockSize, blockBytes } = FORMATS[format];
  for (let blk = 0; blk < n / blockSize; blk++) {
    const i0 = start + blk * blockSize;
    const p = outOffset + blk * blockBytes;
    switch (format) {
      case 'f32':
        dv.setFloat32(p, x[i0] as number, true);
        break;
      case 'f16':
        dv.setUint16(p, floatToHalf(x[i0] as number), true);
        break;
      case 'bf16':
        dv.setUint16(p, floatToBf16(x[i0] as number), true);
        break;
      case 'q8_0':
        q8_0(x, i0, dv, p);
        break;
      case 'q4_0':
        q4_0(x, i0, dv, p);
        break;
      case 'q6_k':
        q6_k(x, i0, dv, p);
        break;
      default:
        kQuant45(x, i0, dv, p, format === 'q5_k');
    }
  }
  return bytes;
}

/** A rows x cols matrix (row-major values) quantised row by row into a new buffer. */
export function quantizeMatrix(format: GgufFormat, x: In, rows: number, cols: number): Uint8Array {
  if (x.length !== rows * cols) throw new Error(`${rows} x ${cols} matrix given ${x.length} values`);
  const rb = rowBytes(format, cols);
  const out = new Uint8Array(rows * rb);
  for (let r = 0; r < rows; r++) quantize(format, x, r * cols, cols, out, r * rb);
  return out;
}
