/**
 * The Q4_K_M mixture: which type each tensor gets when a model is quantised "Q4_K_M".
 *
 * The rule, as llama.cpp's llama_model_quantize applies it for Q4_K_M (llama-quant.cpp, as shipped with
 * node-llama-cpp 3.22 in 2026), restricted to the dense architectures tokenbench runs:
 * - only matrices are quantised: 1-D tensors (norms, biases, rope factors) stay F32;
 * - the output head (or the token embedding, when it doubles as the head) gets Q6_K;
 * - attn_v and ffn_down get Q6_K in the layers where "more bits" pay off: the first eighth, the last
 *   eighth, and every third layer in between (layer i with i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2,
 *   integer division); Q4_K elsewhere;
 * - a fused attn_qkv gets Q5_K;
 * - everything else (token_embd when untied, attn_q, attn_k, attn_output, ffn_gate, ffn_up) gets Q4_K.
 * A row length that is not a multiple of 256 cannot hold k-quant blocks; llama.cpp then falls back
 * (Q6_K → Q8_0, Q4_K → Q5_0, Q5_K → Q5_1). Q5_0 and Q5_1 are outside tokenbench's formats, so those
 * cases are an error here rather than a silent substitute.
 */
import type { GgufFormat } from './table';

export interface RecipeTensor {
  /** llama.cpp tensor name: "output.weight", "blk.3.ffn_down.weight", ... */
  name: string;
  /** GGML dims: [cols, rows] for a matrix, [n] for a vector. */
  dims: readonly number[];
}

/** Llama.cpp's "use more bits" layer pattern of Q4_K_M/Q5_K_M. */
export function usesMoreBits(layer: number, layers: number): boolean {
  const e = Math.floor(layers / 8);
  return layer < e || layer >= Math.floor((7 * layers) / 8) || (layer - e) % 3 === 2;
}

/** The type a tensor gets in a Q4_K_M file of a model with `layers` blocks whose head is `tied` or not. */
export function q4KMFormat(t: RecipeTensor, layers: number, tied: boolean): GgufFormat {
  if (t.dims.length < 2 || !t.name.endsWith('.weight') || t.name.endsWith('_norm.weight')) return 'f32';
  const m = /^blk\.(\d+)\.(.+)\.weight$/.exec(t.name);
  const layer = m ? Number(m[1]) : -1;
  const kind = m ? (m[2] as string) : t.name.replace(/\.weight$/, '');
  let format: GgufFormat = 'q4_k';
  if (kind === 'output' || (tied && kind === 'token_embd')) format = 'q6_k';
  else if ((kind === 'attn_v' || kind === 'ffn_down') && usesMoreBits(layer, layers)) format = 'q6_k';
  else if (kind === 'attn_qkv') format = 'q5_k';
  const cols = t.dims[0] as number;
  if (cols % 256 === 0) return format;
  if (format === 'q6_k') return 'q8_0';
  throw new Error(`${t.name}: rows of ${cols} weights cannot hold ${format} blocks; llama.cpp would use ${format === 'q4_k' ? 'Q5_0' : 'Q5_1'}, which tokenbench does not support`);
}
