import { describe, expect, test } from 'vitest';
import { readBuffer } from '../../src/gpu/buffers';
import { relativeL2 } from '../../src/core/numeric';
import { GpuModel, LAYER_KERNELS, encodeForward } from '../../src/model/model';
import { PRESETS } from '../../src/model/presets';
import { dataBytes } from '../../src/core/tensor';
import { ReferenceModel } from '../../src/model/reference';
import type { Arch } from '../../src/model/types';
import type { WeightFormat } from '../../src/core/tensor';
import { MODEL_FORMATS, type ModelFormat } from '../../src/model/formats/mix';
import { modelPlan } from '../../src/model/plan';
import { FORWARD_LOGIT_TOLERANCE, checkForward, promptTokens } from '../../src/run/phases/generation';
import { withDevice } from './helpers';

const TIMEOUT_MS = 60_000;

describe('full forward of tiny architectures matches the float64 CPU reference', () => {
  test.each<[string, ModelFormat]>([
    ...MODEL_FORMATS.map((f): [string, ModelFormat] => ['tiny', f]),
    ['tiny-tied', 'f32'],
    ['tiny-tied', 'q4_0'],
    ['tiny-tied', 'bf16'],
  ])('%s in %s: prefill + decode tokens match, logits within tolerance', async (name, format) => {
    await withDevice(async (ctx) => {
      const v = await checkForward(ctx.device, PRESETS[name] as Arch, format, TIMEOUT_MS);
      expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
      expect(v.error).toBeGreaterThanOrEqual(0);
    });
  });
});

describe('with an f16 KV cache (packed: runs without shader-f16) against the reference that rounds K and V to f16', () => {
  test.each<[string, ModelFormat]>([
    ['tiny', 'f32'],
    ['tiny', 'q4_k_m'],
    ['tiny-tied', 'f16'],
  ])('%s in %s: tokens match, logits within tolerance', async (name, format) => {
    await withDevice(async (ctx) => {
      const v = await checkForward(ctx.device, PRESETS[name] as Arch, format, TIMEOUT_MS, { kvType: 'f16' });
      expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
      expect(v.method).toMatch(/f16 KV cache/);
    });
  });
});

describe('a layer is at most 6 dispatches (fused norm/QKV, rope+KV append, gate/up+SwiGLU)', () => {
  test.each<[string, WeightFormat]>([
    ['tiny', 'f32'],
    ['tiny', 'q4_0'],
    ['tiny-tied', 'f16'],
    ['tiny-tied', 'q8_0'],
  ])('%s in %s: counted from the built prefill and decode ops', async (name, format) => {
    await withDevice(async (ctx, res) => {
      const arch = PRESETS[name] as Arch;
      const model = await GpuModel.create(ctx.device, res, { arch, format, maxRows: 5, seqCap: 3, ctxCap: 8, logCap: 2 });
      const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
      for (const f of [await model.forward('prefill', 5), await model.forward('decode', 3), await model.forward('decode', 1)]) {
        expect(f.dispatchesPerLayer).toBeLessThanOrEqual(6);
        expect(f.dispatchesPerLayer).toBe(LAYER_KERNELS);
        expect(f.dispatchesPerLayer).toBe(GpuModel.dispatchesPerLayer(arch, format, limit));
        // Embedding + layers; every op a single dispatch here (nothing is split).
        expect(f.body.length).toBe(1 + arch.layers * LAYER_KERNELS);
        expect(new Set(f.body.map((op) => op.label))).toEqual(
          new Set(['embed', `linear_${format}_norm_qkv`, 'rope_kv', expect.stringMatching(/^attention_/), `linear_${format}`, `linear_${format}_norm_swiglu`]),
        );
      }
      expect(GpuModel.dispatchesPerLayer()).toBe(6);
    });
  });

  test('tiny in q4_k_m: the layer whose attn_v gets q6_k runs its qkv as two dispatches, one per format', async () => {
    await withDevice(async (ctx, res) => {
      const arch = PRESETS.tiny as Arch;
      const plan = modelPlan(arch, 'q4_k_m');
      // 2 layers: layer 1 (the last eighth) uses more bits: attn_v and ffn_down in q6_k; the head q6_k too.
      expect(plan.layers.map((l) => l.qkv.segments.map((s) => s.format))).toEqual([['q4_k'], ['q4_k', 'q6_k']]);
      expect(plan.layers.map((l) => l.down.segments[0]?.format)).toEqual(['q4_k', 'q6_k']);
      expect(plan.lmHead?.segments.map((s) => s.format)).toEqual(['q6_k']);
      const model = await GpuModel.create(ctx.device, res, { arch, format: 'q4_k_m', maxRows: 2, seqCap: 1, ctxCap: 4, logCap: 2 });
      const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
      const f = await model.forward('decode', 1);
      expect(f.dispatchesPerLayer).toBe(7);
      expect(GpuModel.dispatchesPerLayer(arch, 'q4_k_m', limit)).toBe(7);
      expect(f.linears.qkv.map((w) => w.label)).toEqual(['linear_q4_k_norm_qkv', 'linear_q4_k_norm_qkv+linear_q6_k_norm_qkv']);
      expect(f.linears.down.map((w) => w.label)).toEqual(['linear_q4_k', 'linear_q6_k']);
      expect(f.linears.head.map((w) => w.label)).toEqual(['linear_q6_k']);
    });
  });
});

/**
 * Prefill + decode with every weight split into row parts (odd part sizes for QKV, even ones for the
 * interleaved gate/up): the fused kernels must give the reference's tokens and logits across parts.
 */
describe('full forward with split weight tensors matches the reference', () => {
  const PROMPT = 6;
  const STEPS = 3;
  test.each<[string, WeightFormat, ModelFormat]>([
    ['tiny', 'f32', 'f32'],
    ['tiny', 'q4_0', 'q4_0'],
    ['tiny-tied', 'f16', 'f16'],
    // Parts of 19 q4_k rows: the q6_k segments (v, down, the head) split into more, smaller parts.
    ['tiny', 'q4_k', 'q4_k_m'],
  ])('%s in %s', async (name, partFormat, format) => {
    await withDevice(async (ctx, res) => {
      const arch = PRESETS[name] as Arch;
      // 19 rows of `hidden` columns per part: QKV splits at 19, 38, ...; gate/up at 18, 36, ... (pairs).
      const maxBindingBytes = 19 * dataBytes(partFormat, arch.hidden);
      const model = await GpuModel.create(ctx.device, res, {
        arch,
        format,
        maxRows: PROMPT,
        seqCap: 1,
        ctxCap: PROMPT + STEPS + 1,
        logCap: STEPS + 2,
        maxBindingBytes,
      });
      const prefill = await model.forward('prefill', PROMPT);
      const decode = await model.forward('decode', 1);
      const planned = GpuModel.dispatchesPerLayer(arch, format, maxBindingBytes);
      expect(planned).toBeGreaterThan(3 * LAYER_KERNELS);
      expect(prefill.dispatchesPerLayer).toBe(planned);
      expect(decode.dispatchesPerLayer).toBe(planned);

      const prompt = promptTokens(PROMPT, arch.vocab, 5);
      const ref = new ReferenceModel(arch, format).generate([...prompt], STEPS);
      model.setPrompt(prompt);
      model.setState(0, 0);
      const tokens: number[] = [];
      for (let s = 0; s <= STEPS; s++) {
        const enc = ctx.device.createCommandEncoder({ label: 'split_forward' });
        encodeForward(enc, s === 0 ? prefill : decode);
        ctx.device.queue.submit([enc.finish()]);
        const logits = new Float32Array(await readBuffer(ctx.device, model.logits, TIMEOUT_MS, 0, 4 * arch.vocab));
        tokens.push(new Uint32Array(await readBuffer(ctx.device, model.cur, TIMEOUT_MS, 0, 4))[0] as number);
        expect(relativeL2(logits, ref.logits[s] as Float64Array), `step ${s}`).toBeLessThanOrEqual(FORWARD_LOGIT_TOLERANCE);
      }
      expect(tokens).toEqual(ref.tokens);
    });
  });
});

describe('the full-forward check runs the variants a workload tuned', () => {
  test('tuned linear variants and decode tiles (one that cannot run this head dimension is left out) pass and are named', async () => {
    await withDevice(async (ctx) => {
      const { DEFAULT_LINEAR_PARAMS } = await import('../../src/kernels/linear/variants');
      const wide = { kind: 'tiled', wgX: 16, wgY: 8, tm: 4, tn: 4, bk: 32 } as const;
      const tuned = {
        linearVariants: {
          qkv: { 1: { wg: 128, rows: 2, vs: 1, reduce: 'tree' } as const, 8: wide },
          o: { 1: DEFAULT_LINEAR_PARAMS, 8: wide },
          gateUp: { 8: wide },
          down: { 1: { wg: 32, rows: 2, vs: 4, reduce: 'tree' } as const },
          head: {},
        },
        // tiny has headDim 64: 1000 row groups cannot run it and must not be used.
        decodeTiles: { 1: { rowGroups: 1000, keysPerGroup: 8 } },
      };
      const v = await checkForward(ctx.device, PRESETS.tiny as Arch, 'q8_0', 60_000, tuned);
      expect(v.state, v.detail).toBe('passed');
      expect(v.method).toMatch(/the tuned variants of the workload/);
    });
  });
});
