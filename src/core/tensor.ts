/** Weight formats, GPU tensors (QTensor) and their allocation and byte accounting. */
import { type Resources, createBuffer } from '../gpu/buffers';

/** Weight storage formats. Bytes per 32 weights: f32 128, f16 64, q8_0 34, q4_0 18. */
export type WeightFormat = 'f32' | 'f16' | 'q8_0' | 'q4_0';

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'f16', 'q8_0', 'q4_0'];

/** Weights per quantisation block (q8_0, q4_0); f32/f16 need only K % 8 == 0 in our kernels. */
export const QBLOCK = 32;

/**
 * GPU layout of one part of a weight matrix W[rows, cols] (row-major, one row per output feature).
 * - f32:  data = array<f32>, rows*cols values.
 * - f16:  data = array<u32>, element 2i in the low half and 2i+1 in the high half (unpack2x16float).
 * - q8_0: data = array<u32>, 4 int8 per word, element 4i+j in byte j (two's complement);
 *         scales = array<u32>, 2 f16 per word (block 2i low half, 2i+1 high half); one scale per 32 weights.
 *         weight = scale * q.
 * - q4_0: data = array<u32>, 8 nibbles per word, element 8i+j in bits 4j..4j+3;
 *         scales as q8_0. weight = scale * (nibble - 8).
 * Element index within a part: (row - rowStart) * cols + col; blocks never straddle rows (cols % 32 == 0).
 */
export interface QTensorPart {
  /** First row of W this part holds. */
  rowStart: number;
  rows: number;
  data: GPUBuffer;
  /** q8_0 / q4_0 only. */
  scales: GPUBuffer | null;
}

/** A weight matrix, split by rows into parts so no buffer exceeds the storage binding limit. */
export interface QTensor {
  label: string;
  format: WeightFormat;
  rows: number;
  cols: number;
  parts: QTensorPart[];
}

/** Bytes of weight data (without scales) for `n` weights. */
export function dataBytes(format: WeightFormat, n: number): number {
  switch (format) {
    case 'f32':
      return 4 * n;
    case 'f16':
      return 2 * n;
    case 'q8_0':
      return n;
    case 'q4_0':
      return n / 2;
  }
}

/** Bytes of f16 scales for `n` weights (quantised formats only). */
export function scaleBytes(format: WeightFormat, n: number): number {
  return format === 'q8_0' || format === 'q4_0' ? (2 * n) / QBLOCK : 0;
}

/** Exact bytes a rows x cols matrix occupies in `format` (f32 4, f16 2, q8_0 34/32, q4_0 18/32 per weight). */
export function tensorBytes(format: WeightFormat, rows: number, cols: number): number {
  const n = rows * cols;
  return dataBytes(format, n) + scaleBytes(format, n);
}

/** Column-count requirement of our kernels for a format (blocks of 32; 8 weights per thread step). */
export function colsMultiple(format: WeightFormat): number {
  return format === 'q8_0' || format === 'q4_0' ? QBLOCK : 8;
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

/**
 * Allocates a tensor's GPU buffers (uninitialised; fill them with the weight generator). Every part but
 * the last holds a multiple of `rowMultiple` rows.
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
): QTensor {
  const m = colsMultiple(format);
  if (cols % m !== 0) throw new Error(`${label}: ${cols} columns is not a multiple of ${m} (needed by ${format})`);
  const step = rowsPerPart(format, cols, maxBindingBytes, rowMultiple);
  const parts: QTensorPart[] = [];
  for (let r0 = 0; r0 < rows; r0 += step) {
    const n = Math.min(step, rows - r0);
    const p = parts.length;
    parts.push({
      rowStart: r0,
      rows: n,
      data: createBuffer(device, res, `${label}.part${p}.data`, dataBytes(format, n * cols)),
      scales: scaleBytes(format, 1) > 0 ? createBuffer(device, res, `${label}.part${p}.scales`, scaleBytes(format, n * cols)) : null,
    });
  }
  return { label, format, rows, cols, parts };
}
