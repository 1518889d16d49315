/** Weight formats, GPU tensors (QTensor) and their allocation and byte accounting. */
import { type Resources, createBuffer } from '../gpu/buffers';

/** Weight storage formats of a GPU tensor (a model may mix them: src/model/formats/mix.ts). */
export type WeightFormat = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k';

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q5_k', 'q6_k'];

/** Weights per quantisation block of q8_0 and q4_0. */
export const QBLOCK = 32;
/** Weights per super-block of the k-quants (q4_k, q5_k, q6_k). */
export const KBLOCK = 256;

/**
 * GPU layout of a format, per block of `block` weights: `data` bytes in the data array (binding 1 of the
 * weight-loading WGSL) and `scales` bytes in the scale array (binding 2; 0: none). A row is a whole number of
 * blocks (cols % block == 0, colsMultiple), and data + scales equals the GGUF bytes of the same weights
 * (src/model/formats/table.ts), so a decoded token reads exactly what the file holds.
 */
export interface FormatLayout {
  block: number;
  data: number;
  scales: number;
}

/**
 * The one table of GPU layouts (bytes per 256 weights: f32 1024, f16/bf16 512, q8_0 272, q4_0 144, q4_k 144,
 * q5_k 176, q6_k 210). Within a part, element index e = (row - rowStart) * cols + col, block b = e / block;
 * words are little-endian u32, "f16" is an IEEE half. How each is read: shaders/formats/<format>.wgsl (GPU),
 * tensor.ref.ts (CPU); how GGUF blocks become these arrays: src/model/formats/pack.ts.
 * - f32:  data = array<f32>, one weight per word. Block 8 = one load_w step.
 * - f16:  data = two halves per word, element 2i in the low half and 2i+1 in the high half (unpack2x16float).
 * - bf16: data as f16 with bfloat16 halves (the high half of an f32: a shift, no shader-f16 needed).
 * - q8_0: data = 4 int8 per word, element 4i+j in byte j (two's complement); scales = one f16 per block of 32,
 *         two per word (block 2i in the low half). weight = scale * q.
 * - q4_0: data = 8 nibbles per word, element 8i+j in bits 4j..4j+3 (GGUF keeps weights j and j+16 in one byte:
 *         the packer reorders); scales as q8_0. weight = scale * (nibble - 8).
 * - q4_k: data = GGUF blocks as they are, 144 B = 9 vec4<u32> per 256 weights (16-byte aligned): f16 d, f16 dmin,
 *         12 B of 6-bit scales and mins of the 8 sub-blocks of 32, then 128 B of nibbles: per group of 64
 *         weights 32 bytes, low nibbles the first 32 weights, high nibbles the next 32. No scale array.
 *         weight = d * scale_j * q - dmin * min_j (j = sub-block).
 * - q5_k: data = GGUF blocks as they are, 176 B = 11 vec4<u32>: as q4_k with 32 B of fifth bits (qh) between
 *         the scales and the nibbles; bit 2g (2g + 1) of qh[l] is the fifth bit of weight l (l + 32) of group g.
 * - q6_k: GGUF's 210-byte block is not a multiple of 4: data = its first 208 B (13 vec4<u32>: 128 B low nibbles
 *         ql, 64 B high bit pairs qh, 16 int8 scales, one per 16 weights), scales = its f16 d, two per word as
 *         q8_0. weight = d * scale * (q - 32), q = ql nibble | qh pair << 4 (order in tensor.ref.ts).
 */
export const LAYOUTS: Readonly<Record<WeightFormat, FormatLayout>> = Object.freeze({
  f32: { block: 8, data: 32, scales: 0 },
  f16: { block: 8, data: 16, scales: 0 },
  bf16: { block: 8, data: 16, scales: 0 },
  q8_0: { block: QBLOCK, data: 32, scales: 2 },
  q4_0: { block: QBLOCK, data: 16, scales: 2 },
  q4_k: { block: KBLOCK, data: 144, scales: 0 },
  q5_k: { block: KBLOCK, data: 176, scales: 0 },
  q6_k: { block: KBLOCK, data: 208, scales: 2 },
});

/**
 * One part of a weight matrix W[rows, cols] (row-major, one row per output feature) in its format's layout
 * (LAYOUTS). Blocks never straddle rows.
 */
export interface QTensorPart {
  /** First row of W this part holds. */
  rowStart: number;
  rows: number;
  data: GPUBuffer;
  /** Formats with a scale array (q8_0, q4_0, q6_k) only. */
  scales: GPUBuffer | null;
}

/**
 * A weight matrix in one format, split by rows into parts so no buffer exceeds the storage binding limit.
 * The parts cover rows [parts[0].rowStart, rowStart + rows of the last part): all of W, or one row range of
 * a matrix whose ranges have different formats (a segment: the fused q/k/v of a Q4_K_M model).
 */
export interface QTensor {
  label: string;
  format: WeightFormat;
  rows: number;
  cols: number;
  parts: QTensorPart[];
}

/** Bytes of weight data (without scales) for `n` weights (a whole number of blocks). */
export function dataBytes(format: WeightFormat, n: number): number {
  const l = LAYOUTS[format];
  return (n / l.block) * l.data;
}

/** Bytes of the scale array for `n` weights (0 for formats without one). */
export function scaleBytes(format: WeightFormat, n: number): number {
  const l = LAYOUTS[format];
  return (n / l.block) * l.scales;
}

/** Whether the format keeps a scale array (binding 2). */
export function hasScales(format: WeightFormat): boolean {
  return LAYOUTS[format].scales > 0;
}

/** Exact bytes a rows x cols matrix occupies in `format`: what its GGUF tensor holds (LAYOUTS). */
export function tensorBytes(format: WeightFormat, rows: number, cols: number): number {
  const n = rows * cols;
  return dataBytes(format, n) + scaleBytes(format, n);
}

/** Column-count requirement of our kernels for a format: whole blocks (8 weights per load_w step for the floats). */
export function colsMultiple(format: WeightFormat): number {
  return LAYOUTS[format].block;
}

/**
 * Rows per part so each part's data buffer stays within `maxBindingBytes`, rounded down to a multiple of
 * `rowMultiple` (2 for interleaved gate/up rows, so no part splits a pair).
 */
export function rowsPerPart(format: WeightFormat, cols: number, maxBindingBytes: number, rowMultiple = 1): number {
  const perRow = dataBytes(format, cols);
  const rows = Math.floor(maxBindingBytes / perRow / rowMultiple) * rowMultiple;
  if (rows < 1) {
    throw new Error(`${rowMultiple} row(s) of ${cols} ${format} weights (${perRow * rowMultiple} bytes) exceed the binding limit ${maxBindingBytes}`);
  }
  return rows;
}

/** Rows [rowStart, rowStart + rows) of a matrix: the range a segment's QTensor holds. */
export interface RowRange {
  rowStart: number;
  rows: number;
}

/**
 * Allocates a tensor's GPU buffers (uninitialised; fill them with the weight generator): every row of the
 * rows x cols matrix, or only those of `range` (a segment). Every part but the last holds a multiple of
 * `rowMultiple` rows.
 */
export function allocTensor(
  device: GPUDevice,
  res: Resources,
  label: string,
  format: WeightFormat,
  rows: number,
  cols: number,
  maxBindingBytes: number,
  rowMultiple = 1,
  range: RowRange = { rowStart: 0, rows },
): QTensor {
  const m = colsMultiple(format);
  if (cols % m !== 0) throw new Error(`${label}: ${cols} columns is not a multiple of ${m} (needed by ${format})`);
  const end = range.rowStart + range.rows;
  if (!(range.rowStart >= 0 && range.rows >= 1 && end <= rows)) throw new Error(`${label}: rows ${range.rowStart}..${end - 1} are not rows of a ${rows}-row matrix`);
  const step = rowsPerPart(format, cols, maxBindingBytes, rowMultiple);
  const parts: QTensorPart[] = [];
  for (let r0 = range.rowStart; r0 < end; r0 += step) {
    const n = Math.min(step, end - r0);
    const p = parts.length;
    parts.push({
      rowStart: r0,
      rows: n,
      data: createBuffer(device, res, `${label}.part${p}.data`, dataBytes(format, n * cols)),
      scales: hasScales(format) ? createBuffer(device, res, `${label}.part${p}.scales`, scaleBytes(format, n * cols)) : null,
    });
  }
  return { label, format, rows, cols, parts };
}
