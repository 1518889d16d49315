/**
 * CPU reference dequantisation of GGUF tensor bytes, value for value what GGML's dequantize_row_* produce:
 * products and differences are rounded to f32 where GGML computes them in f32 (Math.fround), so a
 * Float64Array output holds GGML's f32 weights exactly, widened.
 */
import { FORMATS, type GgufFormat, rowBytes } from './table';
import { bf16ToFloat, halfToFloat } from './half';

type Out = Float32Array | Float64Array;
const fr = Math.fround;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Unpacks the 6-bit scale (or min) of sub-block j from the 12 packed bytes at `p` (q4_k and q5_k). */
export function kScaleMin(b: Uint8Array, p: number, j: number): [scale: number, min: number] {
  if (j < 4) return [(b[p + j] as number) & 63, (b[p + j + 4] as number) & 63];
  const hi = b[p + j + 4] as number;
  return [(hi & 0xf) | (((b[p + j - 4] as number) >> 6) << 4), (hi >> 4) | (((b[p + j] as number) >> 6) << 4)];
}

function q8_0(b: Uint8Array, dv: DataView, p: number, out: Out, o: number): void {
  const d = halfToFloat(dv.getUint16(p, true));
  for (let i = 0; i < 32; i++) out[o + i] = fr(d * dv.getInt8(p + 2 + i));
}

function q4_0(b: Uint8Array, dv: DataView, p: number, out: Out, o: number): void {
  const d = halfToFloat(dv.getUint16(p, true));
  for (let j = 0; j < 16; j++) {
    const byte = b[p + 2 + j] as number;
    out[o + j] = fr(d * ((byte & 0xf) - 8));
    out[o + j + 16] = fr(d * ((byte >> 4) - 8));
  }
}

/** q4_k and q5_k share everything but the fifth bit (qh, null for q4_k). */
function kQuant45(b: Uint8Array, dv: DataView, p: number, out: Out, o: number, five: boolean): void {
  const d = halfToFloat(dv.getUint16(p, true));
  const dmin = halfToFloat(dv.getUint16(p + 2, true));
  const sc = p + 4;
  const qh = p + 16;
  let qs = five ? p + 48 : p + 16;
  for (let g = 0; g < 4; g++) {
    const [s1, m1] = kScaleMin(b, sc, 2 * g);
    const [s2, m2] = kScaleMin(b, sc, 2 * g + 1);
    const d1 = fr(d * s1);
    const dm1 = fr(dmin * m1);
    const d2 = fr(d * s2);
    const dm2 = fr(dmin * m2);
    for (let l = 0; l < 32; l++) {
      const q = b[qs + l] as number;
      const h = five ? (b[qh + l] as number) : 0;
      const lo = (q & 0xf) + ((h >> (2 * g)) & 1) * 16;
      const hi = (q >> 4) + ((h >> (2 * g + 1)) & 1) * 16;
      out[o + 64 * g + l] = fr(fr(d1 * lo) - dm1);
      out[o + 64 * g + 32 + l] = fr(fr(d2 * hi) - dm2);
    }
    qs += 32;
  }
}

function q6_k(b: Uint8Array, dv: DataView, p: number, out: Out, o: number): void {
  const d = halfToFloat(dv.getUint16(p + 208, true));
  for (let half = 0; half < 2; half++) {
    const ql = p + 64 * half;
    const qh = p + 128 + 32 * half;
    const sc = p + 192 + 8 * half;
    const y = o + 128 * half;
    for (let l = 0; l < 32; l++) {
      const is = l >> 4;
      const a = b[ql + l] as number;
      const c = b[ql + l + 32] as number;
      const h = b[qh + l] as number;
      const q1 = ((a & 0xf) | ((h & 3) << 4)) - 32;
      const q2 = ((c & 0xf) | (((h >> 2) & 3) << 4)) - 32;
      const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
      const q4 = ((c >> 4) | (((h >> 6) & 3) << 4)) - 32;
      out[y + l] = fr(fr(d * dv.getInt8(sc + is)) * q1);
      out[y + l + 32] = fr(fr(d * dv.getInt8(sc + is + 2)) * q2);
      out[y + l + 64] = fr(fr(d * dv.getInt8(sc + is + 4)) * q3);
      out[y + l + 96] = fr(fr(d * dv.getInt8(sc + is + 6)) * q4);
    }
  }
}

/**
 * Dequantises `n` weights (a whole number of blocks) stored from byte `offset` of `bytes` into
 * out[outOffset .. outOffset + n).
 */
export function dequantize(format: GgufFormat, bytes: Uint8Array, offset: number, n: number, out: Out, outOffset = 0): void {
  const { blockSize, blockBytes } = FORMATS[format];
  const need = rowBytes(format, n);
  if (offset < 0 || offset + need > bytes.length) {
    throw new RangeError(`${n} ${format} weights need ${need} bytes from offset ${offset}, but only ${bytes.length - offset} remain`);
  }
  if (outOffset < 0 || outOffset + n > out.length) throw new RangeError(`output holds ${out.length} values, ${outOffset + n} needed`);
  const dv = view(bytes);
  if (format === 'f32') {
    for (let i = 0; i < n; i++) out[outOffset + i] = dv.getFloat32(offset + 4 * i, true);
    return;
  }
  if (format === 'f16' || format === 'bf16') {
    const conv = format === 'f16' ? halfToFloat : bf16ToFloat;
    for (let i = 0; i < n; i++) out[outOffset + i] = conv(dv.getUint16(offset + 2 * i, true));
    return;
  }
  for (let blk = 0; blk < n / blockSize; blk++) {
    const p = offset + blk * blockBytes;
    const o = outOffset + blk * blockSize;
    if (format === 'q8_0') q8_0(bytes, dv, p, out, o);
    else if (format === 'q4_0') q4_0(bytes, dv, p, out, o);
    else if (format === 'q6_k') q6_k(bytes, dv, p, out, o);
    else kQuant45(bytes, dv, p, out, o, format === 'q5_k');
  }
}

/**
 * Rows [rowStart, rowStart + rows) of a matrix with `cols` weights per row, from `bytes` that hold the
 * matrix from its first row (or, with `firstRow`, from row `firstRow`: a chunk of a streamed tensor).
 */
export function dequantizeRows(
  format: GgufFormat,
  bytes: Uint8Array,
  cols: number,
  rowStart: number,
  rows: number,
  out: Out = new Float32Array(rows * cols),
  firstRow = 0,
): Out {
  const rb = rowBytes(format, cols);
  dequantize(format, bytes, (rowStart - firstRow) * rb, rows * cols, out, 0);
  return out;
}
