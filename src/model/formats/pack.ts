/**
 * Packers: GGUF tensor bytes to the GPU layouts of src/core/tensor.ts (LAYOUTS), rows at a time, so a GGUF
 * tensor can be streamed into the parts of a QTensor chunk by chunk. The packed arrays hold exactly the
 * file's bytes (data + scales = GGUF bytes); bytes only move: q8_0, q4_0 and q6_k scales go to their own
 * array, q4_0's nibbles are reordered (GGUF pairs weights j and j + 16 in a byte, the layout 2k and 2k + 1),
 * everything else is copied as it is.
 */
import { LAYOUTS, type WeightFormat, dataBytes, scaleBytes } from '../../core/tensor';
import { FORMATS, rowBytes } from './table';

/** The bytes of a part's data and scale arrays (scales null for formats without one). */
export interface PackedPart {
  data: Uint8Array;
  scales: Uint8Array | null;
}

/** Zeroed arrays for `rows` rows of `cols` weights in `format`'s GPU layout. */
export function allocPacked(format: WeightFormat, rows: number, cols: number): PackedPart {
  const n = rows * cols;
  return { data: new Uint8Array(dataBytes(format, n)), scales: LAYOUTS[format].scales ? new Uint8Array(scaleBytes(format, n)) : null };
}

/** GGUF block at byte `p` → layout block `b` of a q8_0 / q4_0 / q6_k part (scale first, or last for q6_k). */
function packScaled(format: 'q8_0' | 'q4_0' | 'q6_k', src: Uint8Array, p: number, out: PackedPart, b: number): void {
  const scales = out.scales as Uint8Array;
  const dAt = format === 'q6_k' ? p + 208 : p;
  scales[2 * b] = src[dAt] as number;
  scales[2 * b + 1] = src[dAt + 1] as number;
  const size = LAYOUTS[format].data;
  if (format === 'q6_k') out.data.set(src.subarray(p, p + size), b * size);
  else if (format === 'q8_0') out.data.set(src.subarray(p + 2, p + 2 + size), b * size);
  else {
    // GGUF byte j: weight j (low nibble), j + 16 (high). Layout byte k: weight 2k (low), 2k + 1 (high).
    const nib = (e: number) => (e < 16 ? (src[p + 2 + e] as number) & 15 : (src[p + 2 + e - 16] as number) >> 4);
    for (let k = 0; k < 16; k++) out.data[b * size + k] = nib(2 * k) | (nib(2 * k + 1) << 4);
  }
}

/**
 * Packs `rows` rows of `cols` weights whose GGUF bytes start at `src[srcOffset]` into `out`, from row `atRow`
 * of the part `out` holds (a chunk of a streamed tensor goes after the rows already packed). Returns `out`.
 */
export function packRows(
  format: WeightFormat,
  src: Uint8Array,
  cols: number,
  rows: number,
  out: PackedPart = allocPacked(format, rows, cols),
  atRow = 0,
  srcOffset = 0,
): PackedPart {
  const bytes = rows * rowBytes(format, cols);
  if (srcOffset < 0 || srcOffset + bytes > src.length) throw new RangeError(`${rows} rows of ${cols} ${format} weights need ${bytes} bytes from ${srcOffset}, have ${src.length - srcOffset}`);
  const n = rows * cols;
  const first = atRow * cols;
  const end = allocPacked(format, atRow + rows, cols);
  if (out.data.length < end.data.length || (out.scales?.length ?? 0) < (end.scales?.length ?? 0)) {
    throw new RangeError(`rows ${atRow}..${atRow + rows - 1} do not fit the packed part (${out.data.length} data bytes)`);
  }
  if (format !== 'q8_0' && format !== 'q4_0' && format !== 'q6_k') {
    out.data.set(src.subarray(srcOffset, srcOffset + bytes), dataBytes(format, first));
    return out;
  }
  const { blockSize, blockBytes } = FORMATS[format];
  for (let b = 0; b < n / blockSize; b++) packScaled(format, src, srcOffset + b * blockBytes, out, first / blockSize + b);
  return out;
}
