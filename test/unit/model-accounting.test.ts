import { describe, expect, test } from 'vitest';

import {
  decodeBytesPerToken,
  flopsPerToken,
  kvCacheBytes,
  layerMatrices,
  memoryPlan,
  paramCount,
  prefillFlops,
  weightBytes,
} from '../../src/model/accounting';
import { HEADLINE_PRESETS, PRESETS } from '../../src/model/presets';
import { tensorBytes } from '../../src/core/tensor';
import type { Arch } from '../../src/model/types';
import type { ModelFormat } from '../../src/model/formats/mix';
import { q4KMFormat } from '../../src/model/formats/recipe';
import { tensorBytes as ggufTensorBytes } from '../../src/model/formats/table';
import { modelSpec, tensorPlan } from '../../src/model/gguf/arch';

const preset = (name: string): Arch => {
  const a = PRESETS[name];
  if (a === undefined) throw new Error(`no preset ${name}`);
  return a;
};
/**
 * A small model whose numbers the by-hand tests spell out (the shape the tiny preset had before it grew to
 * take 256-weight k-quant blocks): hidden 64, ffn 96, 2 layers, 4 heads, 2 kv heads, headDim 16, vocab 256.
 */
const small: Arch = Object.freeze({ ...preset('tiny'), name: 'small', hidden: 64, ffn: 96, headDim: 16 });
const MiB = 1 << 20;
/** WebGPU's default limits: what every adapter offers without asking. */
const DEFAULT_LIMITS = { maxBindingBytes: 128 * MiB, maxBufferSize: 256 * MiB };

describe('tensorBytes (per 32 weights: f32 128, f16 64, q8_0 34, q4_0 18)', () => {
  test.each([
    { format: 'f32', bytes: 128 },
    { format: 'f16', bytes: 64 },
    { format: 'q8_0', bytes: 34 },
    { format: 'q4_0', bytes: 18 },
  ] as const)('$format', ({ format, bytes }) => {
    expect(tensorBytes(format, 1, 32)).toBe(bytes);
    expect(tensorBytes(format, 3, 64)).toBe(6 * bytes);
  });
});

describe('weightBytes and paramCount', () => {
  test('tiny in f32, by hand', () => {
    // small: hidden 64, ffn 96, 2 layers, 4 heads, 2 kv heads, headDim 16 (q 64, kv 32), vocab 256, untied, biases.
    // Per layer: q 64*64 + k 32*64 + v 32*64 + o 64*64 + gate/up/down 3*96*64 = 4096+2048+2048+4096+18432 = 30720.
    const perLayer = 30720 * 4;
    const embedding = 256 * 64 * 4; // 65536
    const norms = (2 * 2 + 1) * 64 * 4; // 1280
    const biases = 2 * (64 + 32 + 32) * 4; // 1024
    expect(weightBytes(small, 'f32')).toEqual({
      total: 2 * perLayer + 2 * embedding + norms + biases, // 379136
      embedding,
      lmHead: embedding,
      perLayer,
      layers: 2 * perLayer,
      norms,
      biases,
    });
    expect(paramCount(small)).toBe(379136 / 4);
  });

  test('tiny-tied in q4_0, by hand: no lm_head, no biases, norms stay f32', () => {
    // hidden 96, ffn 160, 3 layers, q 96, kv 32: per layer 96*96*2 + 32*96*2 + 160*96*3 = 18432 + 6144 + 46080 = 70656.
    const w = weightBytes(preset('tiny-tied'), 'q4_0');
    expect(w.perLayer).toBe((70656 * 18) / 32);
    expect(w.embedding).toBe((300 * 96 * 18) / 32);
    expect(w.lmHead).toBe(0);
    expect(w.biases).toBe(0);
    expect(w.norms).toBe(7 * 96 * 4);
    expect(w.total).toBe(3 * w.perLayer + w.embedding + w.norms);
  });

  // Rounded parameter counts from the model cards (tied heads counted once, as Hugging Face does).
  test.each([
    { name: 'qwen2.5-0.5b', published: 0.494e9 },
    { name: 'qwen2.5-1.5b', published: 1.54e9 },
    { name: 'qwen2.5-7b', published: 7.62e9 },
    { name: 'llama-3.2-1b', published: 1.24e9 },
    { name: 'llama-3.2-3b', published: 3.21e9 },
    { name: 'llama-3.1-8b', published: 8.03e9 },
    { name: 'mistral-7b-v0.3', published: 7.25e9 },
    { name: 'phi-3-mini', published: 3.82e9 },
  ])('$name has the published parameter count', ({ name, published }) => {
    expect(Math.abs(paramCount(preset(name)) / published - 1)).toBeLessThan(0.005);
  });

  test('llama-3.1-8b in f16 is about 16.06e9 bytes (8.03B params * 2)', () => {
    expect(Math.abs(weightBytes(preset('llama-3.1-8b'), 'f16').total / 16.06e9 - 1)).toBeLessThan(0.005);
  });

  test('llama-3.2-1b in q4_0 is 0.5625 bytes per matmul/embedding weight plus f32 norms', () => {
    const w = weightBytes(preset('llama-3.2-1b'), 'q4_0');
    expect(w.total).toBeGreaterThan(0.69e9);
    expect(w.total).toBeLessThan(0.70e9);
    expect(w.total / paramCount(preset('llama-3.2-1b'))).toBeCloseTo(18 / 32, 3);
  });

  test('qwen2.5-0.5b is tied: no separate lm_head', () => {
    const a = preset('qwen2.5-0.5b');
    const w = weightBytes(a, 'f16');
    expect(w.lmHead).toBe(0);
    expect(w.embedding).toBe(151936 * 896 * 2);
    expect(weightBytes({ ...a, tiedEmbeddings: false }, 'f16').total - w.total).toBe(w.embedding);
  });

  test.each([...HEADLINE_PRESETS, 'tiny', 'tiny-tied'])('%s: f32 bytes are 4 * paramCount', (name) => {
    expect(weightBytes(preset(name), 'f32').total).toBe(4 * paramCount(preset(name)));
  });

  test('layerMatrices lists the seven layer weights', () => {
    expect(layerMatrices(small).map((m) => `${m.name}[${m.rows}x${m.cols}]`)).toEqual([
      'q[64x64]',
      'k[32x64]',
      'v[32x64]',
      'o[64x64]',
      'gate[96x64]',
      'up[96x64]',
      'down[64x96]',
    ]);
  });
});

describe('kvCacheBytes', () => {
  test.each([
    // 2 (K,V) * layers * seqs * kvHeads * ctx * headDim * 4
    { name: 'tiny, 10 tokens, 1 sequence', arch: 'tiny', ctx: 10, seqs: 1, bytes: 2 * 2 * 1 * 2 * 10 * 64 * 4 },
    { name: 'tiny, 10 tokens, 3 sequences', arch: 'tiny', ctx: 10, seqs: 3, bytes: 3 * 20480 },
    { name: 'tiny, empty', arch: 'tiny', ctx: 0, seqs: 1, bytes: 0 },
    { name: 'llama-3.1-8b, 8192 tokens: 2 GiB in f32', arch: 'llama-3.1-8b', ctx: 8192, seqs: 1, bytes: 2 * 1024 ** 3 },
  ])('$name', ({ arch, ctx, seqs, bytes }) => {
    expect(kvCacheBytes(preset(arch), ctx, seqs)).toBe(bytes);
  });

  test('nonsense sizes throw', () => {
    expect(() => kvCacheBytes(small, -1, 1)).toThrow(RangeError);
    expect(() => kvCacheBytes(small, 4, 0)).toThrow(/seqs must be an integer >= 1/);
  });
});

describe('decodeBytesPerToken', () => {
  test('tiny f32 at ctx 10, batch 1, by hand', () => {
    const w = weightBytes(small, 'f32');
    const kvPerToken = 2 * 2 * 2 * 16 * 4; // K+V * layers * kvHeads * headDim * 4 = 512
    const d = decodeBytesPerToken(small, 'f32', 10, 1);
    expect(d.weights).toBe(w.layers + w.lmHead + 64 * 4 + w.norms + w.biases);
    expect(d.kvRead).toBe(11 * kvPerToken);
    expect(d.kvWrite).toBe(kvPerToken);
    expect(d.total).toBe(d.weights + d.kvRead + d.kvWrite);
    expect(d.perToken).toBe(d.total);
  });

  test('tied: the embedding is read as the head', () => {
    const a = preset('tiny-tied');
    const w = weightBytes(a, 'q8_0');
    expect(decodeBytesPerToken(a, 'q8_0', 0, 1).weights).toBe(w.layers + w.embedding + (96 * 34) / 32 + w.norms);
  });

  test('batching amortises weights but not the KV cache', () => {
    const a = preset('llama-3.2-1b');
    const one = decodeBytesPerToken(a, 'q4_0', 512, 1);
    const eight = decodeBytesPerToken(a, 'q4_0', 512, 8);
    // Weights: the same matrices once per step; only the embedding lookups grow with the batch.
    expect(eight.weights - one.weights).toBe(7 * tensorBytes('q4_0', 1, 2048));
    expect(eight.kvRead).toBe(8 * one.kvRead);
    expect(eight.kvWrite).toBe(8 * one.kvWrite);
    expect(eight.perToken).toBe(eight.total / 8);
    expect(eight.perToken).toBeLessThan(one.perToken / 4);
  });

  test('KV read grows linearly with ctx', () => {
    const a = preset('qwen2.5-7b');
    const d0 = decodeBytesPerToken(a, 'f16', 0, 1);
    const d = decodeBytesPerToken(a, 'f16', 1000, 1);
    expect(d.kvRead).toBe(1001 * d0.kvRead);
    expect(d.weights).toBe(d0.weights);
  });
});

describe('mean context over a run', () => {
  test('a fractional ctx gives the mean of the per-step costs', () => {
    const a = preset('llama-3.2-1b');
    const mean = (f: (ctx: number) => number) => (f(10) + f(11)) / 2;
    expect(decodeBytesPerToken(a, 'q4_0', 10.5, 4).perToken).toBeCloseTo(mean((c) => decodeBytesPerToken(a, 'q4_0', c, 4).perToken), 6);
    expect(flopsPerToken(a, 10.5)).toBeCloseTo(mean((c) => flopsPerToken(a, c)), 6);
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('ctx %s throws', (ctx) => {
    expect(() => flopsPerToken(small, ctx)).toThrow(/ctx must be a finite number >= 0/);
    expect(() => decodeBytesPerToken(small, 'f32', ctx, 1)).toThrow(RangeError);
  });

  test('a fractional batch throws', () => {
    expect(() => decodeBytesPerToken(small, 'f32', 0, 1.5)).toThrow(/batch must be an integer >= 1/);
  });
});

describe('FLOPs', () => {
  test('tiny decode at ctx 0, by hand', () => {
    // 2 * (2 layers * 30720 + lm_head 256*64) + 2 layers * 4 * 4 heads * 16 * 1
    expect(flopsPerToken(small, 0)).toBe(2 * (61440 + 16384) + 512);
  });

  test.each(['qwen2.5-0.5b', 'llama-3.2-1b', 'llama-3.2-3b', 'tiny-tied'])(
    '%s (tied) decode at ctx 0 is about 2 * params',
    (name) => {
      expect(Math.abs(flopsPerToken(preset(name), 0) / (2 * paramCount(preset(name))) - 1)).toBeLessThan(0.01);
    },
  );

  test.each(['qwen2.5-7b', 'llama-3.1-8b', 'mistral-7b-v0.3', 'phi-3-mini'])(
    '%s (untied) decode at ctx 0 is about 2 * (params - embedding): lookups cost no FLOPs',
    (name) => {
      const a = preset(name);
      expect(Math.abs(flopsPerToken(a, 0) / (2 * (paramCount(a) - a.vocab * a.hidden)) - 1)).toBeLessThan(0.01);
    },
  );

  test('attention adds 4 * heads * headDim per layer per cached token', () => {
    const a = preset('llama-3.1-8b');
    expect(flopsPerToken(a, 100) - flopsPerToken(a, 99)).toBe(4 * 32 * 128 * 32);
  });

  test('prefill of 1 token equals a decode step at ctx 0', () => {
    for (const a of [small, preset('qwen2.5-0.5b')]) expect(prefillFlops(a, 1)).toBe(flopsPerToken(a, 0));
  });

  test('prefill equals the sum of decode steps minus the lm_head of all but the last token', () => {
    const P = 17;
    let sum = 0;
    for (let ctx = 0; ctx < P; ctx++) sum += flopsPerToken(small, ctx);
    expect(prefillFlops(small, P)).toBe(sum - (P - 1) * 2 * 256 * 64);
  });
});

describe('memoryPlan', () => {
  test('tiny fits at default limits, by hand', () => {
    const p = memoryPlan(small, 'f32', { ctx: 64, batch: 1, promptLen: 8, ...DEFAULT_LIMITS });
    // rows = 8: 4 * (8 * (2*64 + 2*64 + 2*32 + 3*96) + 1 * 256) = 4 * (8*608 + 256)
    expect(p.activations).toBe(20480);
    expect(p.weights).toBe(379136);
    expect(p.kvCache).toBe(kvCacheBytes(small, 64, 1));
    expect(p.total).toBe(p.weights + p.kvCache + p.activations);
    expect(p.fits).toBe(true);
    expect(p.reason).toMatch(/^fits: total \d+ bytes/);
    // Largest: the f32 embedding, 256 x 64 x 4.
    expect(p.largestBuffer).toBe(65536);
  });

  test.each(HEADLINE_PRESETS)('%s in q4_0 at 4096 tokens fits default limits', (name) => {
    const p = memoryPlan(preset(name), 'q4_0', { ctx: 4096, batch: 1, promptLen: 512, ...DEFAULT_LIMITS });
    expect(p.reason).toMatch(/^fits/);
    expect(p.largestBuffer).toBeLessThanOrEqual(DEFAULT_LIMITS.maxBindingBytes);
  });

  test('rejects a KV layer buffer above maxBindingBytes, with the numbers', () => {
    // One layer's K: batch 4 * kvHeads 2 * ctx 1024 * headDim 16 * 4 = 524288 bytes.
    const p = memoryPlan(small, 'f32', { ctx: 1024, batch: 4, promptLen: 16, maxBindingBytes: 262144, maxBufferSize: 1 << 30 });
    expect(p.fits).toBe(false);
    expect(p.reason).toBe('KV cache for one layer needs 524288 bytes > maxStorageBufferBindingSize 262144');
  });

  test.each([
    // batch 4 * kvHeads 8 * headDim 128 * 4 bytes = 16 KiB per token per layer buffer.
    { name: '128 Ki tokens is exactly 2 GiB: allowed', ctx: 131072, reason: /^fits/ },
    {
      name: '132 Ki tokens is over',
      ctx: 135168,
      reason: /^KV cache for one layer needs 2214592512 bytes > maxStorageBufferBindingSize 2147483648$/,
    },
  ])('llama-3.1-8b q4_0, batch 4, 2 GiB binding limit: $name', ({ ctx, reason }) => {
    const p = memoryPlan(preset('llama-3.1-8b'), 'q4_0', { ctx, batch: 4, promptLen: 512, maxBindingBytes: 2 ** 31, maxBufferSize: 2 ** 32 });
    expect(p.reason).toMatch(reason);
  });

  test('rejects a total over the budget', () => {
    const p = memoryPlan(small, 'f32', { ctx: 64, batch: 1, promptLen: 8, ...DEFAULT_LIMITS, budgetBytes: 100_000 });
    expect(p.fits).toBe(false);
    expect(p.reason).toBe(`total ${p.total} bytes (weights 379136 + KV cache 32768 + activations 20480) > budget 100000`);
  });

  test('rejects a weight row wider than the binding limit, once per width', () => {
    const p = memoryPlan(small, 'f32', { ctx: 1, batch: 1, promptLen: 1, maxBindingBytes: 300, maxBufferSize: 1 << 30 });
    expect(p.fits).toBe(false);
    expect(p.reason).toContain('one row of 96 f32 weights needs 384 bytes > maxStorageBufferBindingSize 300');
    expect(p.reason.match(/one row of/g)).toHaveLength(1);
  });

  test('large matrices are split into row parts, so they fit a small binding limit', () => {
    const p = memoryPlan(small, 'f32', { ctx: 4, batch: 1, promptLen: 4, maxBindingBytes: 4096, maxBufferSize: 1 << 30 });
    expect(p.reason).toMatch(/^fits/);
    // The 64 KiB embedding goes in 16-row parts of 256 bytes each.
    expect(p.largestBuffer).toBe(4096);
  });

  test('rejects activations above the binding limit (logits of a big batch)', () => {
    const p = memoryPlan(preset('qwen2.5-0.5b'), 'q4_0', { ctx: 64, batch: 256, promptLen: 16, ...DEFAULT_LIMITS });
    // 256 * 151936 * 4 = 155582464 > 128 MiB
    expect(p.reason).toBe('activation buffer logits (256 x 151936) needs 155582464 bytes > maxStorageBufferBindingSize 134217728');
  });

  test('rejects a prompt longer than the cache', () => {
    const p = memoryPlan(small, 'f32', { ctx: 8, batch: 1, promptLen: 9, ...DEFAULT_LIMITS });
    expect(p.reason).toBe('promptLen 9 exceeds the KV-cache capacity ctx 8');
  });

  test('rejects a buffer above maxBufferSize', () => {
    const p = memoryPlan(small, 'f32', { ctx: 64, batch: 1, promptLen: 8, maxBindingBytes: 1 << 20, maxBufferSize: 32768 });
    expect(p.reason).toBe('largest buffer needs 65536 bytes > maxBufferSize 32768');
  });
});

/**
 * What a GGUF file of the model holds for the tensors tokenbench runs, computed independently of
 * weightBytes: llama.cpp's tensor list for the architecture (gguf/arch.ts tensorPlan), each tensor's type
 * from the Q4_K_M recipe (formats/recipe.ts) or the plain format, its bytes from the GGML block table.
 */
function ggufFileBytes(a: Arch, format: ModelFormat): number {
  const spec = modelSpec('llama', a);
  return tensorPlan(spec).reduce((sum, t) => {
    const f = format === 'q4_k_m' ? q4KMFormat(t, a.layers, a.tiedEmbeddings) : t.dims.length < 2 ? 'f32' : format;
    const [cols, rows = 1] = t.dims as [number, number?];
    return sum + ggufTensorBytes(f, rows, cols);
  }, 0);
}

describe('weight bytes equal what a GGUF file of the model holds', () => {
  test('a synthetic Llama-3.1-8B in q4_k_m: llama.cpp Q4_K_M tensor bytes (about 4.9 GB)', () => {
    const a = preset('llama-3.1-8b');
    const w = weightBytes(a, 'q4_k_m');
    expect(w.total).toBe(ggufFileBytes(a, 'q4_k_m'));
    // 4.58 GiB, 4.89 bits per weight: llama.cpp's "model size" of a Llama-3.1-8B Q4_K_M (193 q4_K, 33 q6_K and
    // 65 f32 tensors here; the file adds its header, the vocabulary and Llama 3.1's 256-byte rope_freqs: 4.92 GB).
    expect(w.total).toBe(4_912_898_048);
    expect((8 * w.total) / paramCount(a)).toBeCloseTo(4.89, 2);
    // The head (q6_k) and the embedding (q4_k).
    expect(w.lmHead).toBe((128256 * 4096 * 210) / 256);
    expect(w.embedding).toBe((128256 * 4096 * 144) / 256);
  });

  const cases = HEADLINE_PRESETS.filter((n) => n !== 'qwen2.5-0.5b').flatMap((name) => (['q4_k', 'q5_k', 'q6_k', 'bf16', 'q4_k_m'] as const).map((format) => ({ name, format })));
  test.each(cases)('$name in $format', ({ name, format }) => {
    expect(weightBytes(preset(name), format).total).toBe(ggufFileBytes(preset(name), format));
  });

  test('a mix spends more bytes than its main format and fewer than its largest', () => {
    const a = preset('llama-3.2-1b');
    const mix = weightBytes(a, 'q4_k_m').total;
    expect(mix).toBeGreaterThan(weightBytes(a, 'q4_k').total);
    expect(mix).toBeLessThan(weightBytes(a, 'q6_k').total);
  });

  test('decode reads the mix per tensor: the looked-up embedding row in q4_k, the head in q6_k', () => {
    const a = preset('llama-3.1-8b');
    const d = decodeBytesPerToken(a, 'q4_k_m', 0, 1);
    const w = weightBytes(a, 'q4_k_m');
    expect(d.weights).toBe(w.layers + w.lmHead + (4096 * 144) / 256 + w.norms + w.biases);
  });
});
