/**
 * Architecture presets: the published shapes of the models people run in the browser, plus two tiny ones
 * for CI. Shapes come from each model's config.json on Hugging Face; only the shape matters here (weights
 * are synthetic), so a preset is exactly as large and as slow as the real model.
 */
import type { Arch } from './types';

/** Shared defaults per family, so each row below lists only what differs. */
function qwen2(name: string, s: Pick<Arch, 'hidden' | 'ffn' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'vocab' | 'tiedEmbeddings'>): Arch {
  return Object.freeze({ name, ...s, qkvBias: true, ropeTheta: 1e6, normEps: 1e-6 });
}

function llamaLike(
  name: string,
  s: Pick<Arch, 'hidden' | 'ffn' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'vocab' | 'tiedEmbeddings' | 'ropeTheta'>,
): Arch {
  return Object.freeze({ name, ...s, qkvBias: false, normEps: 1e-5 });
}

/**
 * Every preset by name. Frozen: presets are shared by every run, so a caller that wants to tweak one must
 * copy it (resolveArch returns a copy). No prototype, so a user-typed name like "constructor" or
 * "toString" looks up undefined rather than an Object method.
 */
export const PRESETS: Record<string, Arch> = Object.freeze(Object.assign(Object.create(null) as Record<string, Arch>, {
  'qwen2.5-0.5b': qwen2('qwen2.5-0.5b', { hidden: 896, ffn: 4864, layers: 24, heads: 14, kvHeads: 2, headDim: 64, vocab: 151936, tiedEmbeddings: true }),
  'qwen2.5-1.5b': qwen2('qwen2.5-1.5b', { hidden: 1536, ffn: 8960, layers: 28, heads: 12, kvHeads: 2, headDim: 128, vocab: 151936, tiedEmbeddings: true }),
  'qwen2.5-7b': qwen2('qwen2.5-7b', { hidden: 3584, ffn: 18944, layers: 28, heads: 28, kvHeads: 4, headDim: 128, vocab: 152064, tiedEmbeddings: false }),
  'llama-3.2-1b': llamaLike('llama-3.2-1b', { hidden: 2048, ffn: 8192, layers: 16, heads: 32, kvHeads: 8, headDim: 64, vocab: 128256, tiedEmbeddings: true, ropeTheta: 5e5 }),
  'llama-3.2-3b': llamaLike('llama-3.2-3b', { hidden: 3072, ffn: 8192, layers: 28, heads: 24, kvHeads: 8, headDim: 128, vocab: 128256, tiedEmbeddings: true, ropeTheta: 5e5 }),
  'llama-3.1-8b': llamaLike('llama-3.1-8b', { hidden: 4096, ffn: 14336, layers: 32, heads: 32, kvHeads: 8, headDim: 128, vocab: 128256, tiedEmbeddings: false, ropeTheta: 5e5 }),
  'mistral-7b-v0.3': llamaLike('mistral-7b-v0.3', { hidden: 4096, ffn: 14336, layers: 32, heads: 32, kvHeads: 8, headDim: 128, vocab: 32768, tiedEmbeddings: false, ropeTheta: 1e6 }),
  // Phi-3 has no GQA (kvHeads === heads) and fuses qkv/gate_up in its checkpoint; we keep them separate.
  'phi-3-mini': llamaLike('phi-3-mini', { hidden: 3072, ffn: 8192, layers: 32, heads: 32, kvHeads: 32, headDim: 96, vocab: 32064, tiedEmbeddings: false, ropeTheta: 1e4 }),
  // Tiny presets run on software adapters in CI. `tiny` covers biases + untied head, with every matmul
  // input a multiple of 256 so it runs every format (k-quant blocks, the Q4_K_M mix: 2 layers give layer 1
  // the mix's extra bits); `tiny-tied` the opposite, with 3 layers and 6 heads so nothing lines up with a
  // power of two by accident (formats with blocks of up to 32 only).
  tiny: Object.freeze<Arch>({
    name: 'tiny', hidden: 256, ffn: 768, layers: 2, heads: 4, kvHeads: 2, headDim: 64, vocab: 256,
    tiedEmbeddings: false, qkvBias: true, ropeTheta: 10000, normEps: 1e-5,
  }),
  'tiny-tied': Object.freeze<Arch>({
    name: 'tiny-tied', hidden: 96, ffn: 160, layers: 3, heads: 6, kvHeads: 2, headDim: 16, vocab: 300,
    tiedEmbeddings: true, qkvBias: false, ropeTheta: 5e5, normEps: 1e-6,
  }),
}));

/** The real models, smallest family member first: what the standard suite runs and the results table lists. */
export const HEADLINE_PRESETS: readonly string[] = Object.freeze([
  'qwen2.5-0.5b',
  'qwen2.5-1.5b',
  'qwen2.5-7b',
  'llama-3.2-1b',
  'llama-3.2-3b',
  'llama-3.1-8b',
  'mistral-7b-v0.3',
  'phi-3-mini',
]);

/** All preset names, headline models first, for usage text and error messages. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
