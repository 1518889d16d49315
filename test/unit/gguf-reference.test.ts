import { describe, expect, test } from 'vitest';
import { type ModelSpec, modelSpec, ropeRowPermutation, tensorPlan } from '../../src/model/gguf/arch';
import { GgufReference } from '../../src/model/gguf/reference';
import { PRESETS } from '../../src/model/presets';
import { syntheticGguf, syntheticTensorValues } from '../../src/model/synth/gguf';
import { syntheticBpeVocab, syntheticSpmVocab } from '../../src/model/tokenizer/synthetic';
import { Tokenizer } from '../../src/model/tokenizer/tokenize';
import { ggufChunks } from '../../src/model/gguf/write';
import { readGgufHeader } from '../../src/model/gguf/read';
import { bytesSource } from '../../src/model/gguf/source';
import { q4KMFormat, usesMoreBits } from '../../src/model/formats/recipe';
import { FIXTURES } from './gguf-fixtures';

function weightsOf(spec: ModelSpec): Map<string, Float32Array> {
  return new Map(tensorPlan(spec).map((t) => [t.name, syntheticTensorValues(spec, t, 3)]));
}

describe('interleaved RoPE equals rotate-half RoPE on permuted q/k rows', () => {
  test('llama weights, permuted per head with ropeRowPermutation, give the same logits in neox style', () => {
    const spec = FIXTURES.llama.spec;
    const w = weightsOf(spec);
    const perm = ropeRowPermutation(spec.headDim);
    const permuted = new Map(w);
    for (let l = 0; l < spec.layers; l++) {
      for (const [name, heads] of [[`blk.${l}.attn_q.weight`, spec.heads], [`blk.${l}.attn_k.weight`, spec.kvHeads]] as const) {
        const src = w.get(name)!;
        const dst = new Float32Array(src.length);
        for (let h = 0; h < heads; h++) {
          for (let r = 0; r < spec.headDim; r++) {
            const from = (h * spec.headDim + perm[r]!) * spec.hidden;
            dst.set(src.subarray(from, from + spec.hidden), (h * spec.headDim + r) * spec.hidden);
          }
        }
        permuted.set(name, dst);
      }
    }
    const ids = [3, 70, 151, 9, 288, 41];
    const a = new GgufReference(spec, w).teacherForcedLogits(ids);
    const b = new GgufReference({ ...spec, ropeStyle: 'neox' }, permuted).teacherForcedLogits(ids);
    const unpermuted = new GgufReference({ ...spec, ropeStyle: 'neox' }, w).teacherForcedLogits(ids);
    let err = 0;
    let diff = 0;
    a.forEach((l, i) => l.forEach((v, j) => {
      err = Math.max(err, Math.abs(v - b[i]![j]!));
      diff = Math.max(diff, Math.abs(v - unpermuted[i]![j]!));
    }));
    expect(err).toBeLessThan(1e-9);
    expect(diff).toBeGreaterThan(1e-3); // the permutation matters
    expect(ropeRowPermutation(6)).toEqual([0, 2, 4, 1, 3, 5]);
  });

  test('the reference refuses what it does not implement, and ids outside the vocabulary', () => {
    const spec = FIXTURES.qwen3.spec;
    expect(() => new GgufReference({ ...spec, ropeScaling: { type: 'yarn', factor: 4, originalContext: 2048 } }, weightsOf(spec))).toThrow(
      'the reference implements no yarn RoPE scaling (none and linear only)',
    );
    const ref = new GgufReference(spec, weightsOf(spec));
    expect(() => ref.step(spec.vocab)).toThrow('token 333 is outside the vocabulary (0..332)');
    const w = weightsOf(spec);
    w.delete('blk.1.attn_q_norm.weight');
    expect(() => new GgufReference(spec, w)).toThrow('reference model lacks blk.1.attn_q_norm.weight');
  });
});

describe('presets as GGUF files', () => {
  test.each([
    ['qwen2.5-0.5b', 'qwen2', 'f16'],
    ['llama-3.2-1b', 'llama', 'q8_0'],
    ['phi-3-mini', 'phi3', 'q4_k_m'],
  ] as const)('%s (%s, %s): a header llama.cpp-shaped, data made lazily', async (preset, arch, format) => {
    const spec = modelSpec(arch, PRESETS[preset]!);
    const vocab = arch === 'phi3' ? syntheticSpmVocab(spec.vocab) : syntheticBpeVocab(spec.vocab, { pre: arch === 'qwen2' ? 'qwen2' : 'llama-bpe' });
    expect(vocab.tokens.length).toBe(spec.vocab);
    expect(new Set(vocab.tokens).size).toBe(spec.vocab);
    const first = ggufChunks(syntheticGguf(spec, { format, vocab })).next().value!;
    // The header alone parses; the tensors' data lies past its end, so only a header-sized source is read.
    const h = await readGgufHeader(bytesSource(first), { allowUnsupportedTypes: true }).catch((e: Error) => e);
    expect(h).toBeInstanceOf(Error);
    expect((h as Error).message).toMatch(/^tensor "token_embd.weight" occupies bytes \d+\.\.\d+ but the file ends at \d+/);
    expect(new Tokenizer(vocab).encode('The benchmark').length).toBeGreaterThan(0);
  });

  test('k-quant rows need a multiple of 256 weights: qwen2.5-0.5b (hidden 896) cannot be q4_k', () => {
    const spec = modelSpec('qwen2', PRESETS['qwen2.5-0.5b']!);
    expect(() => syntheticGguf(spec, { format: 'q4_k', vocab: syntheticBpeVocab(spec.vocab) })).toThrow(
      'token_embd.weight: rows of 896 weights are not a whole number of q4_k blocks (256); pick shapes that are',
    );
  });
});

describe('Q4_K_M recipe', () => {
  test('more bits in the first and last eighth and every third layer between', () => {
    expect(Array.from({ length: 32 }, (_, i) => (usesMoreBits(i, 32) ? 1 : 0)).join('')).toBe('11110010010010010010010010011111');
  });

  test.each([
    ['token_embd.weight', [3072, 32064], false, 'q4_k'],
    ['token_embd.weight', [2048, 128256], true, 'q6_k'],
    ['output.weight', [3072, 32064], false, 'q6_k'],
    ['output.weight', [896, 151936], false, 'q8_0'],
    ['blk.0.attn_v.weight', [4096, 1024], false, 'q6_k'],
    ['blk.5.attn_v.weight', [4096, 1024], false, 'q4_k'],
    ['blk.6.ffn_down.weight', [14336, 4096], false, 'q6_k'],
    ['blk.6.attn_qkv.weight', [3072, 9216], false, 'q5_k'],
    ['blk.6.ffn_up.weight', [3072, 16384], false, 'q4_k'],
    ['blk.6.attn_norm.weight', [3072], false, 'f32'],
    ['blk.6.attn_q.bias', [3072], false, 'f32'],
  ] as const)('%s %j tied=%s → %s', (name, dims, tied, want) => {
    expect(q4KMFormat({ name, dims }, 32, tied)).toBe(want);
  });

  test('a row length k-quants cannot hold is an error naming the fallback llama.cpp would use', () => {
    expect(() => q4KMFormat({ name: 'blk.0.attn_q.weight', dims: [896, 896] }, 24, true)).toThrow(
      "blk.0.attn_q.weight: rows of 896 weights cannot hold q4_k blocks; llama.cpp would use Q5_0, which tokenbench does not support",
    );
  });
});
