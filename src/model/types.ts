/**
 * Contracts of the token workload: architectures, weight formats, GPU tensors and kernel ops.
 * Activations are f32 and token-major: a [T, D] buffer holds row t at offset t*D.
 */

/** A decoder-only transformer architecture (Llama/Qwen/Mistral/Phi-3 family). */
export interface Arch {
  name: string;
  hidden: number;
  ffn: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  /** lm_head shares the embedding matrix. */
  tiedEmbeddings: boolean;
  /** Q/K/V projections have biases (Qwen2). */
  qkvBias: boolean;
  ropeTheta: number;
  normEps: number;
}

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

/** One encoded GPU step; bind groups are created once at bind time, so encode() is cheap. */
export interface Op {
  label: string;
  encode(pass: GPUComputePassEncoder): void;
  /**
   * Bytes the op reads and writes when state[0] is `pos` at its start (src/model/traffic.ts). The model
   * attaches it from the arguments the op was bound with, so the reported traffic follows the built ops.
   */
  traffic?: (pos: number) => { read: number; written: number };
}
