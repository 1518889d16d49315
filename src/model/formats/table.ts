/**
 * GGML tensor types: the one table of block sizes and bytes per block that every reader, writer and
 * byte count in tokenbench uses for GGUF data. A row of `cols` weights in a blocked format is
 * cols / blockSize consecutive blocks; blocks never straddle rows, so cols must be a multiple of blockSize.
 */

/** The tensor types tokenbench reads, dequantises and writes (lower-case GGML names). */
export type GgufFormat = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k';

export interface FormatInfo {
  format: GgufFormat;
  /** GGML's numeric type id, as stored in a GGUF tensor info. */
  ggmlType: number;
  /** Weights per block (1 for plain floats). */
  blockSize: number;
  /** Bytes per block. */
  blockBytes: number;
}

function info(format: GgufFormat, ggmlType: number, blockSize: number, blockBytes: number): FormatInfo {
  return Object.freeze({ format, ggmlType, blockSize, blockBytes });
}

/**
 * Block layouts (little-endian; "f16" is an IEEE half):
 * - f32 4 B, f16 2 B, bf16 2 B (the high half of an f32) per weight.
 * - q8_0: 32 weights in 34 B: f16 d, 32 int8 q. w = d * q.
 * - q4_0: 32 weights in 18 B: f16 d, 16 B of nibbles; byte j holds weight j (low) and j + 16 (high). w = d * (q - 8).
 * - q4_k: 256 weights in 144 B: f16 d, f16 dmin, 12 B of packed 6-bit scales and mins (8 sub-blocks of 32),
 *   128 B of nibbles (per 64 weights: 32 B, low nibbles the first 32, high nibbles the next 32).
 *   w = d * scale_j * q - dmin * min_j.
 * - q5_k: 256 weights in 176 B: as q4_k plus 32 B of high bits (qh) before the nibbles; bit 2i (2i + 1) of
 *   qh[l] is the fifth bit of weight l (l + 32) of the i-th group of 64.
 * - q6_k: 256 weights in 210 B: 128 B low nibbles (ql), 64 B high 2-bit pairs (qh), 16 int8 scales (one per
 *   16 weights), f16 d. w = d * scale_j * (q - 32).
 */
export const FORMATS: Readonly<Record<GgufFormat, FormatInfo>> = Object.freeze({
  f32: info('f32', 0, 1, 4),
  f16: info('f16', 1, 1, 2),
  bf16: info('bf16', 30, 1, 2),
  q8_0: info('q8_0', 8, 32, 34),
  q4_0: info('q4_0', 2, 32, 18),
  q4_k: info('q4_k', 12, 256, 144),
  q5_k: info('q5_k', 13, 256, 176),
  q6_k: info('q6_k', 14, 256, 210),
});

/** Every supported format, plain floats first. */
export const GGUF_FORMATS: readonly GgufFormat[] = Object.freeze(['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q5_k', 'q6_k']);

/** GGML's names for every type id it has defined (gaps are ids GGML removed), for error messages. */
const GGML_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 31: 'Q4_0_4_4', 32: 'Q4_0_4_8', 33: 'Q4_0_8_8', 34: 'TQ1_0', 35: 'TQ2_0',
  36: 'IQ4_NL_4_4', 37: 'IQ4_NL_4_8', 38: 'IQ4_NL_8_8', 39: 'MXFP4', 40: 'NVFP4', 41: 'Q1_0', 42: 'Q2_0',
});

/** "Q5_0" for 6, "type 99" for an id GGML never defined. */
export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `type ${type}`;
}

const BY_GGML_TYPE: ReadonlyMap<number, GgufFormat> = new Map(GGUF_FORMATS.map((f) => [FORMATS[f].ggmlType, f]));

/** The supported format with this GGML type id, or null. */
export function formatOfGgmlType(type: number): GgufFormat | null {
  return BY_GGML_TYPE.get(type) ?? null;
}

/** Bytes of one row of `cols` weights; throws when cols is not a whole number of blocks. */
export function rowBytes(format: GgufFormat, cols: number): number {
  const { blockSize, blockBytes } = FORMATS[format];
  if (!Number.isInteger(cols) || cols <= 0 || cols % blockSize !== 0) {
    throw new Error(`a ${format} row needs a positive multiple of ${blockSize} weights, got ${cols}`);
  }
  return (cols / blockSize) * blockBytes;
}

/** Bytes of a rows x cols matrix (rows counts every dimension after the first). */
export function tensorBytes(format: GgufFormat, rows: number, cols: number): number {
  return rows * rowBytes(format, cols);
}
