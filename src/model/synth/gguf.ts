/**
 * Synthetic GGUF models: any ModelSpec (a preset's shapes or a custom one) with deterministic random
 * weights in any supported format (or the Q4_K_M mixture) and a small vocabulary, as a GgufFileInput for
 * the writer. Tensor data is produced lazily, one tensor at a time, so large presets stream to disk.
 */
import { type GgufFormat, FORMATS } from '../formats/table';
import { quantizeMatrix } from '../formats/quant';
import { q4KMFormat } from '../formats/recipe';
import { type ModelSpec, type PlannedTensor, specMetadata, tensorPlan } from '../gguf/arch';
import type { GgufValue } from '../gguf/types';
import type { GgufFileInput, GgufTensorInput } from '../gguf/write';
import { type Vocab, vocabMetadata } from '../tokenizer/vocab';

export type SyntheticFormat = GgufFormat | 'q4_k_m';

export interface SyntheticGgufOptions {
  /** Format of every matrix (vectors are always f32, as llama.cpp writes them), or the Q4_K_M mixture. */
  format: SyntheticFormat;
  /** Its token count must equal spec.vocab. */
  vocab: Vocab;
  /** Weight seed (default 1). */
  seed?: number;
  /**
   * Amplitude of the output head's weights times sqrt(hidden): the spread of the logits. Larger makes
   * greedy choices more decisive, so engines that round differently still agree. Default 6.
   */
  logitScale?: number;
  /** Formats of single tensors by name, over `format` (files that mix types as no named mix does). */
  tensorFormats?: Readonly<Record<string, GgufFormat>>;
}

/** FNV-1a of a string, to give every tensor its own stream of numbers. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `n` uniform values in [-amp, amp) from a mulberry32 stream seeded by (seed, name). */
export function syntheticValues(seed: number, name: string, n: number, amp: number, center = 0): Float32Array {
  let a = (fnv(name) ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = center + amp * ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

/**
 * Amplitude of a tied embedding. A tied random model tends to predict its input token (the logit of token x
 * has the term sum_i w_i e_xi^2 of the final norm's weights w and x's own row e_x): then greedy generation
 * repeats one token and the comparisons with llama.cpp test little. Two things keep it from that: the
 * final norm's weights are centred on zero (the term averages out), and the embedding is half the untied
 * amplitude, so the input row does not dominate the final state either.
 */
export const TIED_EMBEDDING_AMP = 0.5;

/**
 * Gain of the matrices that write into the residual stream (attn_output, ffn_down), relative to unit gain.
 * Below 1 the embedding keeps a larger share of the residual stream, so the perturbations llama.cpp's
 * activation quantisation adds in each layer reach the logits smaller: at 1, the fixtures' logits differ
 * between llama.cpp and an exact forward by about 2% of their spread in every quantised format, and near-ties
 * then flip one position in ten; at 0.5 about 30% less (test/unit/gguf-llama.test.ts prints the agreement).
 */
export const RESIDUAL_BRANCH_GAIN = 0.5;

/**
 * The float values of one planned tensor, scaled so activations stay near unit size through the layers
 * and the logits spread by about `logitScale` (through the output head, or for a tied head through the
 * final norm's weights, zero-centred with RMS `head`, since the embedding rows must stay unit-sized as inputs).
 */
export function syntheticTensorValues(spec: ModelSpec, t: PlannedTensor, seed: number, logitScale = 6): Float32Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const cols = t.dims[0] as number;
  const head = (logitScale * Math.sqrt(3)) / Math.sqrt(spec.hidden) / (spec.tiedEmbeddings ? TIED_EMBEDDING_AMP : 1);
  switch (t.role) {
    case 'output_norm':
      return spec.tiedEmbeddings ? syntheticValues(seed, t.name, n, Math.sqrt(3) * head) : syntheticValues(seed, t.name, n, 0.25, 1);
    case 'attn_norm': case 'ffn_norm': case 'attn_q_norm': case 'attn_k_norm':
      return syntheticValues(seed, t.name, n, 0.25, 1);
    case 'attn_q_bias': case 'attn_k_bias': case 'attn_v_bias':
      return syntheticValues(seed, t.name, n, 0.25);
    case 'rope_freqs':
      return syntheticValues(seed, t.name, n, 1, 2);
    case 'output':
      return syntheticValues(seed, t.name, n, head);
    case 'token_embd':
      return syntheticValues(seed, t.name, n, spec.tiedEmbeddings ? TIED_EMBEDDING_AMP : 1);
    case 'attn_output': case 'ffn_down':
      return syntheticValues(seed, t.name, n, RESIDUAL_BRANCH_GAIN * Math.sqrt(3 / cols));
    default:
      return syntheticValues(seed, t.name, n, Math.sqrt(3 / cols));
  }
}

/** The format each planned tensor is stored in. */
export function syntheticTensorFormat(spec: ModelSpec, t: PlannedTensor, format: SyntheticFormat): GgufFormat {
  if (format === 'q4_k_m') return q4KMFormat(t, spec.layers, spec.tiedEmbeddings);
  if (t.dims.length < 2) return 'f32';
  const block = FORMATS[format].blockSize;
  if ((t.dims[0] as number) % block !== 0) {
    throw new Error(`${t.name}: rows of ${t.dims[0]} weights are not a whole number of ${format} blocks (${block}); pick shapes that are`);
  }
  return format;
}

/** A GGUF model: general.* and <arch>.* metadata, the vocabulary, and every tensor of tensorPlan(spec). */
export function syntheticGguf(spec: ModelSpec, options: SyntheticGgufOptions): GgufFileInput {
  const { vocab, format } = options;
  const seed = options.seed ?? 1;
  if (vocab.tokens.length !== spec.vocab) throw new Error(`the vocabulary has ${vocab.tokens.length} tokens but the model ${spec.vocab}`);
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: spec.ggufArch }],
    ['general.name', { type: 'string', value: spec.name }],
    ...specMetadata(spec).map(([k, type, value]): [string, GgufValue] => [k, { type, value } as GgufValue]),
    ...vocabMetadata(vocab),
  ];
  const tensors: GgufTensorInput[] = tensorPlan(spec).map((t) => {
    const f = options.tensorFormats?.[t.name] ?? syntheticTensorFormat(spec, t, format);
    const [cols, ...rest] = t.dims as [number, ...number[]];
    const rows = rest.reduce((a, b) => a * b, 1);
    return { name: t.name, format: f, dims: t.dims, data: () => quantizeMatrix(f, syntheticTensorValues(spec, t, seed, options.logitScale), rows, cols) };
  });
  return { metadata, tensors };
}
