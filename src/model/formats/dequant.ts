/**
 * CPU reference dequantisation of GGUF tensor bytes, value for value what GGML's dequantize_row_* produce:
 * products and differences are rounded to f32 where GGML computes them in f32 (Math.fround), so a
 * Float64Array output holds GGML's f32 weights exactly, widened.
 */
import { FORMATS, type GgufFormat, rowBytes } from './table';
import { bf16ToFloat, halfToFloat } from './half';
import { kBlock45, kScaleMin, q6kBlock } from '../../core/tensor.ref';

type Out = Float32Array | Float64Array;
const fr = Math.fround;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The 6-bit scale/min unpacking of q4_k and q5_k (shared with the GPU-layout reading in core). */
export { kScaleMin };

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
    // k-quant blocks decode as the GPU layouts do (core/tensor.ref.ts); a GGUF q6_k block keeps its d last.
    else if (format === 'q6_k') q6kBlock(bytes, p, halfToFloat(dv.getUint16(p + 208, true)), out, o);
    else kBlock45(bytes, p, format === 'q5_k', out, o);
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
