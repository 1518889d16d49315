import { describe, expect, test } from 'vitest';
import { MODEL_FORMATS, matrixFormat, modelColsMultiple } from '../../src/model/formats/mix';
import { usesMoreBits } from '../../src/model/formats/recipe';
import { roleFormats } from '../../src/model/model';
import { modelPlan } from '../../src/model/plan';
import { PRESETS } from '../../src/model/presets';
import { ReferenceModel } from '../../src/model/reference';
import type { Arch } from '../../src/model/types';
import { WEIGHT_FORMATS } from '../../src/core/tensor';

const preset = (name: string): Arch => {
  const a = PRESETS[name];
  if (a === undefined) throw new Error(`no preset ${name}`);
  return a;
};

describe('model formats: plain formats and the Q4_K_M mix', () => {
  test('every tensor format, then the mix', () => {
    expect(MODEL_FORMATS).toEqual([...WEIGHT_FORMATS, 'q4_k_m']);
    expect(modelColsMultiple('q4_k_m')).toBe(256);
    expect(modelColsMultiple('q8_0')).toBe(32);
  });

  test('a plain format gives every matrix that format', () => {
    const a = preset('llama-3.2-1b');
    for (const kind of ['token_embd', 'attn_v', 'ffn_down', 'output'] as const) expect(matrixFormat(a, 'q5_k', kind, kind.startsWith('attn') || kind.startsWith('ffn') ? 3 : null)).toBe('q5_k');
  });

  test('Llama-3.1-8B in q4_k_m: q4_k everywhere, q6_k for the head and for attn_v / ffn_down in 16 of 32 layers', () => {
    const a = preset('llama-3.1-8b');
    const p = modelPlan(a, 'q4_k_m');
    expect(p.embedding.segments).toEqual([{ rowStart: 0, rows: 128256, format: 'q4_k' }]);
    expect(p.lmHead?.segments).toEqual([{ rowStart: 0, rows: 128256, format: 'q6_k' }]);
    const more = p.layers.flatMap((l, i) => (l.down.segments[0]?.format === 'q6_k' ? [i] : []));
    expect(more).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    expect(more).toEqual(p.layers.map((_, i) => i).filter((i) => usesMoreBits(i, 32)));
    for (const [i, l] of p.layers.entries()) {
      const v = usesMoreBits(i, 32) ? 'q6_k' : 'q4_k';
      // q (4096 rows) and k (1024) in q4_k; v (1024) in q4_k (merged into one segment) or q6_k.
      expect(l.qkv.segments).toEqual(v === 'q4_k' ? [{ rowStart: 0, rows: 6144, format: 'q4_k' }] : [{ rowStart: 0, rows: 5120, format: 'q4_k' }, { rowStart: 5120, rows: 1024, format: 'q6_k' }]);
      expect([l.o, l.gateUp].map((t) => t.segments.map((s) => s.format))).toEqual([['q4_k'], ['q4_k']]);
    }
    // Tuned on the format holding most of each role's bytes (down: as many q6_k layers as q4_k ones).
    expect(roleFormats(p)).toEqual({ qkv: ['q4_k', 'q6_k'], o: ['q4_k'], gateUp: ['q4_k'], down: ['q6_k', 'q4_k'], head: ['q6_k'] });
  });

  test('a tied model in q4_k_m keeps its embedding in q6_k (it doubles as the head)', () => {
    const p = modelPlan(preset('llama-3.2-1b'), 'q4_k_m');
    expect(p.lmHead).toBeNull();
    expect(p.embedding.segments.map((s) => s.format)).toEqual(['q6_k']);
    expect(roleFormats(p).head).toEqual(['q6_k']);
  });

  test('the CPU reference reads each segment in its own format (tiny in q4_k_m)', { timeout: 60_000 }, () => {
    const a = preset('tiny');
    const ref = new ReferenceModel(a, 'q4_k_m');
    expect(ref.plan.layers[1]?.qkv.segments.map((s) => s.format)).toEqual(['q4_k', 'q6_k']);
    const run = ref.generate([1, 2, 3], 2);
    expect(run.tokens).toHaveLength(3);
    // Sane logits: finite and spread (the synthetic k-quant amplitudes keep activations O(1)).
    for (const l of run.logits) {
      expect(l.every(Number.isFinite)).toBe(true);
      const rms = Math.sqrt(l.reduce((s, v) => s + v * v, 0) / l.length);
      expect(rms).toBeGreaterThan(1e-3);
      expect(rms).toBeLessThan(1e3);
    }
  });

  test('a mix whose recipe cannot place its blocks throws with llama.cpp\'s fallback named', () => {
    expect(() => matrixFormat(preset('qwen2.5-0.5b'), 'q4_k_m', 'attn_q', 0)).toThrow(/cannot hold q4_k blocks; llama.cpp would use Q5_0/);
  });
});
