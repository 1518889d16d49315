/** Tiny GGUF models for the GGUF tests: one per architecture, each with its own odd corner. */
import { type GgufArchName, type ModelSpec, modelSpec } from '../../src/model/gguf/arch';
import { syntheticBpeVocab, syntheticSpmVocab } from '../../src/model/tokenizer/synthetic';
import type { Vocab } from '../../src/model/tokenizer/vocab';
import { type SyntheticFormat, syntheticGguf } from '../../src/model/synth/gguf';
import { ggufBytes } from '../../src/model/gguf/write';

export interface Fixture {
  spec: ModelSpec;
  vocab: Vocab;
}

/**
 * - llama: GQA (4 heads, 2 kv heads), untied head, BPE vocabulary with the default pre-tokenizer, 301 tokens.
 * - qwen2: q/k/v biases, one kv head, 3 layers, tied head, BPE with the qwen2 pre-tokenizer, 397 tokens.
 * - qwen3: q/k norms, head dim 128 with hidden 256 (key_length differs from hidden / heads), tied head,
 *   SentencePiece, 333 tokens.
 * - phi3: fused qkv and gate/up, no GQA, untied head, SentencePiece, 350 tokens.
 */
export const FIXTURES: Record<GgufArchName, Fixture> = {
  llama: {
    spec: modelSpec('llama', { name: 'tiny-llama', hidden: 256, ffn: 512, layers: 2, heads: 4, kvHeads: 2, headDim: 64, vocab: 301, tiedEmbeddings: false, qkvBias: false, ropeTheta: 10000, normEps: 1e-5 }),
    vocab: syntheticBpeVocab(301, { pre: 'default' }),
  },
  qwen2: {
    spec: modelSpec('qwen2', { name: 'tiny-qwen2', hidden: 256, ffn: 768, layers: 3, heads: 4, kvHeads: 1, headDim: 64, vocab: 397, tiedEmbeddings: true, qkvBias: true, ropeTheta: 1e6, normEps: 1e-6 }),
    vocab: syntheticBpeVocab(397, { pre: 'qwen2' }),
  },
  qwen3: {
    spec: modelSpec('qwen3', { name: 'tiny-qwen3', hidden: 256, ffn: 512, layers: 2, heads: 4, kvHeads: 2, headDim: 128, vocab: 333, tiedEmbeddings: true, qkvBias: false, ropeTheta: 1e6, normEps: 1e-6 }),
    vocab: syntheticSpmVocab(333),
  },
  phi3: {
    spec: modelSpec('phi3', { name: 'tiny-phi3', hidden: 256, ffn: 512, layers: 2, heads: 4, kvHeads: 4, headDim: 64, vocab: 350, tiedEmbeddings: false, qkvBias: false, ropeTheta: 10000, normEps: 1e-5 }),
    vocab: syntheticSpmVocab(350),
  },
};

export const ARCHS = Object.keys(FIXTURES) as GgufArchName[];

/** The whole GGUF file of a fixture in a format. */
export function fixtureBytes(arch: GgufArchName, format: SyntheticFormat, seed = 1): Uint8Array {
  const { spec, vocab } = FIXTURES[arch];
  return ggufBytes(syntheticGguf(spec, { format, vocab, seed }));
}

/** Text that exercises every pre-tokenizer branch: contractions, digits, punctuation, whitespace runs, non-ASCII. */
export const SAMPLE_TEXTS = [
  'The benchmark measures what a token costs.',
  "Hello world! It's 2026, isn't it? 1234567 numbers, 3.14 and 42%.",
  '  two leading spaces, and two trailing  ',
  'line one\nline two\n\n   indented\tand\ttabs\r\nCRLF',
  "DON'T 'RE 'Ve we'll I'd",
  'héllo wörld, naïve café: 世界 🙂 ½',
  '<s> literal </s> and <|endoftext|> as plain text',
  '$5 + 3 <= 10 ^ 2 ~ x | y',
];
