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
