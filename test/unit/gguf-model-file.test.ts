/**
 * A GGUF file as a GPU model, before any GPU work: what its header says about formats, bytes per token,
 * parameters and RoPE frequencies, and how the config's prompt becomes token ids of its vocabulary.
 */
import { describe, expect, test } from 'vitest';
import { decodeBytesPerToken, paramCount, weightBytes } from '../../src/model/accounting';
import { archOf, fileFormats, fileParams, fileWeightLayout, ropeInvFreqOf, tensorTypes } from '../../src/model/gguf/model-file';
import { readGgufHeader } from '../../src/model/gguf/read';
import { bytesSource } from '../../src/model/gguf/source';
import { Tokenizer } from '../../src/model/tokenizer/tokenize';
import { fileWorkloadId, promptOf } from '../../src/run/phases/generation/gguf';
import type { GenerationConfig } from '../../src/schema/result';
import { FIXTURES, fixtureBytes } from './gguf-fixtures';
import { ggufBytes } from '../../src/model/gguf/write';
import { syntheticGguf } from '../../src/model/synth/gguf';

const header = (arch: keyof typeof FIXTURES, format: Parameters<typeof fixtureBytes>[1]) => readGgufHeader(bytesSource(fixtureBytes(arch, format)));

describe('byte counts from the tensor table', () => {
  test.each([
    ['llama', 'q8_0'],
    ['qwen2', 'f16'],
    ['phi3', 'q4_k'],
  ] as const)('%s %s: as the arch and format count them (one format, no q/k norms)', async (arch, format) => {
    const h = await header(arch, format);
    const a = archOf(FIXTURES[arch].spec);
    expect(fileFormats(h, FIXTURES[arch].spec).label).toBe(format);
    const layout = fileWeightLayout(h);
    expect(layout.weightBytes).toBe(weightBytes(a, format).total);
    expect(decodeBytesPerToken(a, format, 7, 3, layout)).toEqual(decodeBytesPerToken(a, format, 7, 3));
    expect(fileParams(h)).toBe(paramCount(a));
  });

  test('qwen3: the per-head q/k norm weights are read every step too', async () => {
    const h = await header('qwen3', 'f32');
    const { spec } = FIXTURES.qwen3;
    const layout = fileWeightLayout(h);
    expect(layout.stepWeights - decodeBytesPerToken(archOf(spec), 'f32', 0, 1).weights + layout.lookupRowBytes).toBe(spec.layers * 2 * spec.headDim * 4);
  });

  test('a Q4_K_M file: each matrix in its own type, named q4_k_m; its types are counted with their bytes', async () => {
    const h = await header('llama', 'q4_k_m');
    const { spec } = FIXTURES.llama;
    const formats = fileFormats(h, spec);
    expect(formats.label).toBe('q4_k_m');
    expect(formats.of('output', null)).toBe('q6_k');
    expect(formats.of('attn_q', 0)).toBe('q4_k');
    expect(formats.of('attn_v', 0)).toBe('q4_k');
    expect(formats.of('attn_v', 1)).toBe('q6_k'); // the last layer of two uses more bits
    const a = archOf(spec);
    const layout = fileWeightLayout(h);
    expect(layout.weightBytes).toBe(weightBytes(a, 'q4_k_m').total);
    expect(decodeBytesPerToken(a, formats, 7, 3, layout)).toEqual(decodeBytesPerToken(a, 'q4_k_m', 7, 3));
    const types = tensorTypes(h);
    expect(types.map((t) => t.type)).toEqual(['Q4_K', 'Q6_K', 'F32']);
    expect(types.reduce((s, t) => s + t.bytes, 0)).toBe(h.tensors.reduce((s, t) => s + t.bytes, 0));
    expect(types.reduce((s, t) => s + t.count, 0)).toBe(h.tensors.length);
  });
});

describe('a file whose types follow no named mix', () => {
  test("is 'mixed', each matrix in its own type, its bytes from its own layout", async () => {
    const { spec, vocab } = FIXTURES.llama;
    const file = syntheticGguf(spec, { format: 'q4_k', vocab, tensorFormats: { 'blk.0.ffn_down.weight': 'q8_0', 'blk.1.attn_v.weight': 'q5_k', 'output.weight': 'bf16' } });
    const h = await readGgufHeader(bytesSource(ggufBytes(file)));
    const formats = fileFormats(h, spec);
    expect(formats.label).toBe('mixed');
    expect([formats.of('ffn_down', 0), formats.of('ffn_down', 1), formats.of('attn_v', 1), formats.of('output', null), formats.of('token_embd', null)]).toEqual(['q8_0', 'q4_k', 'q5_k', 'bf16', 'q4_k']);
    const a = archOf(spec);
    expect(fileWeightLayout(h).weightBytes).toBe(weightBytes(a, formats).total);
  });

  test('a phi3 file: the fused attn_qkv gives q, k and v its type, ffn_up gives gate and up theirs', async () => {
    const { spec, vocab } = FIXTURES.phi3;
    const h = await readGgufHeader(bytesSource(ggufBytes(syntheticGguf(spec, { format: 'q4_k_m', vocab }))));
    const formats = fileFormats(h, spec);
    expect(formats.label).toBe('q4_k_m');
    expect(['attn_q', 'attn_k', 'attn_v'].map((k) => formats.of(k as 'attn_q', 0))).toEqual(['q5_k', 'q5_k', 'q5_k']);
    expect(formats.of('ffn_gate', 0)).toBe(formats.of('ffn_up', 0));
  });
});

describe('RoPE frequencies as llama.cpp derives them', () => {
  const { spec } = FIXTURES.llama;
  test('base^(-2i/d), linear scaling, per-pair factors', () => {
    const plain = ropeInvFreqOf(spec, null);
    expect(plain[1]).toBeCloseTo(10000 ** (-2 / 64), 7);
    const factors = Float32Array.from({ length: 32 }, (_, i) => 1 + i);
    const scaled = ropeInvFreqOf({ ...spec, ropeScaling: { type: 'linear', factor: 4, originalContext: 2048 } }, factors);
    for (let i = 0; i < 32; i++) expect(scaled[i]).toBeCloseTo(Math.fround(plain[i] as number) / 4 / (1 + i), 7);
  });
  test('yarn scaling and a wrong factor count are refused', () => {
    expect(() => ropeInvFreqOf({ ...spec, ropeScaling: { type: 'yarn', factor: 4, originalContext: 2048 } }, null)).toThrow(/yarn RoPE scaling is not supported/);
    expect(() => ropeInvFreqOf(spec, new Float32Array(3))).toThrow(/3 factors for 32 frequencies/);
  });
});

describe('the prompt of a GGUF workload', () => {
  const gen = { promptLens: [4], genTokens: 4, depths: [0], batches: [1], reps: 1, models: [], formats: ['f32'] } as unknown as GenerationConfig;
  const { vocab } = FIXTURES.qwen3; // SentencePiece, BOS added as the file says
  test('text is tokenised with the file\'s tokenizer, BOS as the file says', () => {
    const p = promptOf({ ...gen, promptText: 'The benchmark' }, vocab, 333);
    expect(p?.ids).toEqual(new Tokenizer(vocab).encode('The benchmark', { addSpecial: true }));
    expect(p?.ids[0]).toBe(vocab.bos);
    expect(p?.text).toBe('The benchmark');
  });
  test('token ids are taken as given, and must be in the vocabulary', () => {
    expect(promptOf({ ...gen, promptTokens: [1, 2, 3] }, vocab, 333)).toEqual({ ids: [1, 2, 3], text: null });
    expect(() => promptOf({ ...gen, promptTokens: [1, 333, 9999] }, vocab, 333)).toThrow(/333, 9999 are outside the vocabulary \(0\.\.332\)/);
    expect(promptOf(gen, vocab, 333)).toBeNull();
    expect(() => promptOf({ ...gen, promptText: 'x' }, null, 333)).toThrow(/tokenizer/);
  });
  test('workload ids from file names', () => {
    expect(fileWorkloadId('Llama-3.1-8B-Q4_K_M.gguf')).toBe('Llama-3.1-8B-Q4_K_M');
    expect(fileWorkloadId('model.bin')).toBe('model.bin');
  });
});
