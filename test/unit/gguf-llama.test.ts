/**
 * Cross-check against llama.cpp (node-llama-cpp, CPU): the GGUF files tokenbench writes load and generate
 * in llama.cpp, the float64 reference forward pass (src/model/gguf/reference.ts) chooses the tokens
 * llama.cpp chooses, and the tokenizers give llama.cpp's ids. node-llama-cpp must be installed
 * (`bash scripts/install-llama-cpp.sh`); without it these tests fail, saying so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nativeDetokenize, nativeGreedy, nativeLlama, nativeTeacherForced, nativeTokenize } from '../../bench/peers/llama-native';
import { GGUF_FORMATS } from '../../src/model/formats/table';
import { type GgufArchName, archFromGguf, modelSpec } from '../../src/model/gguf/arch';
import { loadGgufWeights } from '../../src/model/gguf/load';
import { readGgufHeader } from '../../src/model/gguf/read';
import { GgufReference, argmax } from '../../src/model/gguf/reference';
import { openFileSource } from '../../src/model/gguf/source-node';
import { writeGgufFile } from '../../src/model/gguf/write-node';
import { type SyntheticFormat, syntheticGguf } from '../../src/model/synth/gguf';
import { bytesToText, detokenize } from '../../src/model/tokenizer/detokenize';
import { Tokenizer } from '../../src/model/tokenizer/tokenize';
import { syntheticBpeVocab, syntheticSpmVocab } from '../../src/model/tokenizer/synthetic';
import type { Vocab } from '../../src/model/tokenizer/vocab';
import { ARCHS, FIXTURES, SAMPLE_TEXTS } from './gguf-fixtures';

const LLAMA_TIMEOUT_MS = 60_000;
const FORMATS: SyntheticFormat[] = [...GGUF_FORMATS, 'q4_k_m'];
/** Formats whose greedy tokens must equal llama.cpp's (llama.cpp rounds activations to 8 bits or less for the others). */
const EXACT_FORMATS = new Set<SyntheticFormat>(['f32', 'f16', 'bf16', 'q8_0']);
const GREEDY_TOKENS = 8;
const FORCED_POSITIONS = 32;
const MIN_TOP1_AGREEMENT = 0.9;
const MIN_DISTINCT_TOP1 = 8;
/** Largest |logit difference| allowed between llama.cpp (f32 attention) and the reference on f32 weights; logits spread ~6. */
const F32_LOGIT_TOLERANCE = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokenbench-llama-'));
  await nativeLlama(); // fails here, with the install command, when node-llama-cpp is missing
}, LLAMA_TIMEOUT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeFixture(arch: GgufArchName, format: SyntheticFormat): Promise<string> {
  const { spec, vocab } = FIXTURES[arch];
  const path = join(dir, `${arch}-${format}.gguf`);
  await writeGgufFile(path, syntheticGguf(spec, { format, vocab }));
  return path;
}

async function reference(path: string): Promise<GgufReference> {
  const src = await openFileSource(path);
  try {
    const header = await readGgufHeader(src);
    return new GgufReference(archFromGguf(header), (await loadGgufWeights(src, header)).weights);
  } finally {
    await src.close();
  }
}

/**
 * A prompt from the fixture's own tokenizer, and the sequence to force: the prompt then llama.cpp's greedy
 * continuation of the fixture in f32 (32 positions predicted), the path every format is judged on (as the
 * GPU cross-check, test/gpu/gguf-llama.test.ts).
 */
const forcedPaths = new Map<GgufArchName, number[]>();
async function sequences(arch: GgufArchName): Promise<{ prompt: number[]; forced: number[] }> {
  const prompt = new Tokenizer(FIXTURES[arch].vocab).encode('The benchmark measures what a token costs');
  let path = forcedPaths.get(arch);
  if (!path) {
    path = await nativeGreedy(await writeFixture(arch, 'f32'), prompt, FORCED_POSITIONS);
    forcedPaths.set(arch, path);
  }
  return { prompt, forced: [...prompt, ...path.slice(0, FORCED_POSITIONS - 1)] };
}

describe.each(ARCHS)('%s: llama.cpp and the float64 reference', (arch) => {
  test.each(FORMATS)(
    '%s',
    async (format) => {
      const path = await writeFixture(arch, format);
      const { prompt, forced } = await sequences(arch);
      const native = await nativeGreedy(path, prompt, GREEDY_TOKENS);
      expect(native).toHaveLength(GREEDY_TOKENS);
      const ref = await reference(path);
      const mine = ref.greedy(prompt, GREEDY_TOKENS);
      ref.reset();
      const mineLogits = ref.teacherForcedLogits(forced);
      const mineForced = mineLogits.map((l) => argmax(l));
      const { top1 } = await nativeTeacherForced(path, forced);
      if (format === 'f32') {
        // f32 weights, f32 attention: llama.cpp's logits and the float64 reference's differ only by f32 rounding.
        const { logits } = await nativeTeacherForced(path, forced, { logits: true, vocab: FIXTURES[arch].spec.vocab, precision: 'f32' });
        const err = Math.max(...logits!.map((l, i) => maxAbsDiff(l, mineLogits[i]!)));
        console.log(`${arch} f32: largest logit difference ${err.toExponential(2)}`);
        expect(err).toBeLessThan(F32_LOGIT_TOLERANCE);
      }
      // The 32 predictions along the continuation (after the prompt's last token onwards), as the issue counts them.
      const from = prompt.length - 1;
      const agree = top1.slice(from).filter((t, i) => t === mineForced[from + i]).length;
      console.log(`${arch} ${format}: ${new Set(mineForced).size} distinct; greedy ${native.join(',')} vs ${mine.join(',')}; forced top-1 ${agree}/${FORCED_POSITIONS}`);
      if (EXACT_FORMATS.has(format)) expect(mine).toEqual(native);
      expect(agree / FORCED_POSITIONS).toBeGreaterThanOrEqual(MIN_TOP1_AGREEMENT);
      // A fixture that predicts the same few tokens everywhere would make agreement meaningless.
      expect(new Set(mineForced).size).toBeGreaterThanOrEqual(MIN_DISTINCT_TOP1);
    },
    LLAMA_TIMEOUT_MS,
  );
});

/** Vocabulary kinds checked against llama.cpp's tokenizer, each in a minimal llama-architecture model. */
const VOCABS: [string, Vocab][] = [
  ['BPE, pre default', FIXTURES.llama.vocab],
  ['BPE, pre qwen2', FIXTURES.qwen2.vocab],
  ['BPE, pre llama-bpe', syntheticBpeVocab(320, { pre: 'llama-bpe' })],
  ['BPE, pre gpt-2', syntheticBpeVocab(300, { pre: 'gpt-2' })],
  ['BPE, printable bytes only', syntheticBpeVocab(300, { printableOnly: true })],
  ['SentencePiece', FIXTURES.qwen3.vocab],
  ['SentencePiece, 777 tokens', syntheticSpmVocab(777)],
];

describe.each(VOCABS)('tokenizer %s: ids and text as llama.cpp', (name, vocab) => {
  let path: string;
  beforeAll(async () => {
    const spec = modelSpec('llama', { name: 'vocab-only', hidden: 64, ffn: 64, layers: 1, heads: 2, kvHeads: 1, headDim: 32, vocab: vocab.tokens.length, tiedEmbeddings: true, qkvBias: false, ropeTheta: 10000, normEps: 1e-5 });
    path = join(dir, `${name.replace(/\W+/g, '-')}.gguf`);
    await writeGgufFile(path, syntheticGguf(spec, { format: 'f32', vocab }));
  });

  test('tokenize', async () => {
    const tok = new Tokenizer(vocab);
    expect(SAMPLE_TEXTS.map((t) => tok.encode(t))).toEqual(await nativeTokenize(path, SAMPLE_TEXTS));
  });

  test('detokenize, text and random id sequences (bytes that are not UTF-8 included)', async () => {
    const tok = new Tokenizer(vocab);
    const seqs = [...SAMPLE_TEXTS.map((t) => tok.encode(t)), ...Array.from({ length: 8 }, (_, s) => Array.from({ length: 24 }, (_, i) => (s * 7919 + i * 104729) % vocab.tokens.length))];
    const mine = seqs.map((ids) => bytesToText(detokenize(vocab, ids, { stripLeadingSpace: vocab.addSpacePrefix })));
    expect(mine).toEqual(await nativeDetokenize(path, seqs));
  });
});

test(
  'linear RoPE scaling and rope_freqs factors: f32 logits as llama.cpp',
  async () => {
    const { spec: base, vocab } = FIXTURES.llama;
    const spec = { ...base, name: 'scaled', ropeScaling: { type: 'linear' as const, factor: 4, originalContext: 2048 }, ropeFreqFactors: true };
    const path = join(dir, 'llama-scaled.gguf');
    await writeGgufFile(path, syntheticGguf(spec, { format: 'f32', vocab }));
    const ids = (await sequences('llama')).forced;
    const ref = await reference(path);
    expect(ref.spec.ropeScaling).toEqual(spec.ropeScaling);
    const mine = ref.teacherForcedLogits(ids);
    const { logits } = await nativeTeacherForced(path, ids, { logits: true, vocab: spec.vocab, precision: 'f32' });
    expect(Math.max(...logits!.map((l, i) => maxAbsDiff(l, mine[i]!)))).toBeLessThan(F32_LOGIT_TOLERANCE);
  },
  LLAMA_TIMEOUT_MS,
);
