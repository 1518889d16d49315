/**
 * The KV cache in each element type (core/kv.ts): the cache writers (kvWrite, ropeKv, ropeKvNorm) and
 * readers (prefill and decode attention) against the float64 references, which round K and V to f16 as
 * the f16 cache stores them. Odd row counts and positions, caches poisoned with NaN past the attended
 * positions, outputs poisoned with NaN. The f16 cache is packed (pack2x16float): it runs here on
 * SwiftShader, which has no shader-f16.
 */
import { describe, expect, test } from 'vitest';
import { feasible } from '../../src/core/variant';
import { KV_TYPES, type KvType, kvElementBytes, packKv, unpackKv } from '../../src/core/kv';
import { f16round, hashValue, maxAbsNormalised, relativeL2 } from '../../src/core/numeric';
import { runOnce } from '../../src/core/work';
import { createBuffer, readBuffer } from '../../src/gpu/buffers';
import type { Resources } from '../../src/gpu/buffers';
import { createAttentionDecode, createAttentionPrefill } from '../../src/kernels/attention/attention';
import { attentionRef } from '../../src/kernels/attention/attention.ref';
import { ATTENTION_REL_L2_THRESHOLD, attentionCaches, checkAttention, decodeAttentionFixture } from '../../src/kernels/attention/check';
import { decodeTileVariants } from '../../src/kernels/attention/tiles';
import { ROPE_REL_L2_THRESHOLD, checkTransformerKernels } from '../../src/kernels/transformer/check';
import { createKvWrite, createRopeKv } from '../../src/kernels/transformer/rope';
import { cacheIndex, kvWriteRef, ropeKvRef } from '../../src/kernels/transformer/transformer.ref';
import { TIMEOUT_MS, f32Buf, readF32, sharedDevice, u32Buf } from './helpers';

const { device: sharedGpu, withRes } = sharedDevice();

const rand = (seed: number, n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => hashValue(seed, i, scale));

/** One f16 ulp relative to the largest value: what a cache write may differ by where the GPU rounds f32 -> f16 the other way (WGSL allows either). */
const F16_ULP = 2 ** -10;

function kvBuf(device: GPUDevice, res: Resources, kvType: KvType, values: ArrayLike<number>): GPUBuffer {
  const bytes = packKv(kvType, values);
  const b = createBuffer(device, res, `test.kv_${kvType}`, bytes.byteLength);
  device.queue.writeBuffer(b, 0, bytes);
  return b;
}

async function readKv(device: GPUDevice, b: GPUBuffer, kvType: KvType, n: number): Promise<Float32Array> {
  return unpackKv(kvType, await readBuffer(device, b, TIMEOUT_MS, 0, n * kvElementBytes(kvType)), n);
}

/** Values as a `kvType` cache holds them. */
const held = (kvType: KvType, a: Float32Array) => (kvType === 'f16' ? a.map(f16round) : a);

describe.each(KV_TYPES)('attention reads a %s cache', (kvType) => {
  test.each([
    { mode: 'prefill' as const, heads: 6, kvHeads: 2, headDim: 16, rows: 23, pos0: 9, ctxCap: 37 },
    { mode: 'prefill' as const, heads: 4, kvHeads: 4, headDim: 64, rows: 5, pos0: 30, ctxCap: 41 },
    { mode: 'decode' as const, heads: 6, kvHeads: 2, headDim: 16, rows: 3, pos0: 76, ctxCap: 83 },
    { mode: 'decode' as const, heads: 2, kvHeads: 1, headDim: 64, rows: 1, pos0: 0, ctxCap: 5 },
  ])('$mode, $heads/$kvHeads heads x $headDim, $rows rows at $pos0', async ({ mode, rows, pos0, ...shape }) => {
    await withRes(async (device, res) => {
      const lastPos = mode === 'prefill' ? pos0 + rows - 1 : pos0;
      const n = rows * shape.heads * shape.headDim;
      const q = rand(41, n, 2);
      // NaN past lastPos: reading beyond the attended positions poisons the output.
      const caches = attentionCaches(shape, mode === 'prefill' ? 1 : rows, lastPos, 43, kvType);
      const out = f32Buf(device, res, new Float32Array(n).fill(NaN));
      const cfg = { ...shape, kvType };
      const kernel = mode === 'prefill' ? await createAttentionPrefill(device, cfg) : await createAttentionDecode(device, cfg);
      const args = { q: f32Buf(device, res, q), kCache: kvBuf(device, res, kvType, caches.k), vCache: kvBuf(device, res, kvType, caches.v), out, state: u32Buf(device, res, [pos0, 0]), rows };
      runOnce(device, kernel.bind(args, res));
      const got = await readF32(device, out, n);
      expect(got.every(Number.isFinite)).toBe(true);
      expect(relativeL2(got, attentionRef(shape, q, caches.k, caches.v, rows, pos0, mode))).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
    });
  });

  test('the run-time self check passes, and a skipped dispatch fails it', async () => {
    const v = await checkAttention(sharedGpu(), TIMEOUT_MS, { kvType });
    for (const x of v) expect(x.state, `${x.method}: ${x.error} ${x.detail ?? ''}`).toBe('passed');
    expect(v.every((x) => x.method.includes(`${kvType} cache`))).toBe(true);
    const skipped = await checkAttention(sharedGpu(), TIMEOUT_MS, { kvType, tamper: (w) => (w.label === 'attention_decode' ? { label: 'skipped', encode: () => {} } : w) });
    expect(skipped.map((x) => x.state)).toEqual(['passed', 'failed']);
  });

  test('every decode tile passes the tuning check on this cache type', async () => {
    await withRes(async (device, res) => {
      const g = { heads: 4, kvHeads: 2, headDim: 64 };
      const build = await decodeAttentionFixture(device, res, g, 3, 45, TIMEOUT_MS, kvType);
      for (const tile of feasible(decodeTileVariants(g.headDim), device).slice(0, 3)) {
        const v = await (await build(tile.params)).check();
        expect(v.state, `${tile.id}: ${v.method} ${v.error} ${v.detail ?? ''}`).toBe('passed');
        expect(v.method).toContain(`${kvType} cache`);
      }
    });
  });
});

describe.each(KV_TYPES)('the cache writers fill a %s cache', (kvType) => {
  test.each([
    { name: 'prefill at 11', rows: 5, kvHeads: 3, headDim: 6, ctxCap: 19, seqCap: 1, pos0: 11, posStep: 1 as const },
    { name: 'decode of 3 sequences at 9', rows: 3, kvHeads: 2, headDim: 18, ctxCap: 13, seqCap: 3, pos0: 9, posStep: 0 as const },
    { name: 'prefill running past ctxCap drops the overflow', rows: 4, kvHeads: 1, headDim: 10, ctxCap: 13, seqCap: 1, pos0: 11, posStep: 1 as const },
  ])('kvWrite: $name', async ({ rows, kvHeads, headDim, ctxCap, seqCap, pos0, posStep }) => {
    await withRes(async (device, res) => {
      const n = rows * kvHeads * headDim;
      const cacheLen = seqCap * kvHeads * ctxCap * headDim;
      const kRows = rand(4, n);
      const vRows = rand(5, n);
      const before = { k: held(kvType, rand(6, cacheLen)), v: held(kvType, rand(7, cacheLen)) };
      const kCache = kvBuf(device, res, kvType, before.k);
      const vCache = kvBuf(device, res, kvType, before.v);
      const k = await createKvWrite(device, { kvHeads, headDim, ctxCap, kvType });
      runOnce(device, k.bind({ k: f32Buf(device, res, kRows), v: f32Buf(device, res, vRows), kCache, vCache, state: u32Buf(device, res, [pos0, 0]), rows, posStep }, res));
      const got = { k: await readKv(device, kCache, kvType, cacheLen), v: await readKv(device, vCache, kvType, cacheLen) };
      const ref = kvWriteRef(before, { k: kRows, v: vRows }, { rows, kvHeads, headDim, ctxCap }, pos0, posStep, kvType);
      const bound = kvType === 'f16' ? F16_ULP : 0;
      expect(maxAbsNormalised(got.k, ref.k)).toBeLessThanOrEqual(bound);
      expect(maxAbsNormalised(got.v, ref.v)).toBeLessThanOrEqual(bound);
      expect(maxAbsNormalised(got.k, before.k)).toBeGreaterThan(0.01); // something was written
    });
  });

  test.each([
    { name: 'GQA prefill at 7', rows: 5, heads: 6, kvHeads: 2, headDim: 18, ctxCap: 13, seqCap: 1, pos0: 7, posStep: 1 as const, norm: false },
    { name: 'decode of 3 sequences at 9', rows: 3, heads: 4, kvHeads: 1, headDim: 32, ctxCap: 11, seqCap: 3, pos0: 9, posStep: 0 as const, norm: false },
    { name: 'with q/k norm, prefill past ctxCap', rows: 4, heads: 2, kvHeads: 2, headDim: 14, ctxCap: 13, seqCap: 1, pos0: 11, posStep: 1 as const, norm: true },
    { name: 'with q/k norm, decode of 2 at 5', rows: 2, heads: 3, kvHeads: 1, headDim: 70, ctxCap: 7, seqCap: 2, pos0: 5, posStep: 0 as const, norm: true },
  ])('ropeKv: $name', async ({ rows, heads, kvHeads, headDim, ctxCap, seqCap, pos0, posStep, norm }) => {
    await withRes(async (device, res) => {
      const theta = 10000;
      const nq = heads * headDim;
      const cacheLen = seqCap * kvHeads * ctxCap * headDim;
      const qkv = rand(12, rows * (heads + 2 * kvHeads) * headDim, norm ? 8 : 1);
      const before = { k: held(kvType, rand(13, cacheLen)), v: held(kvType, rand(14, cacheLen)) };
      const q = f32Buf(device, res, new Float32Array(rows * nq).fill(NaN));
      const kCache = kvBuf(device, res, kvType, before.k);
      const vCache = kvBuf(device, res, kvType, before.v);
      const w = rand(15, 2 * headDim, 2);
      const k = await createRopeKv(device, { heads, kvHeads, headDim, theta, ctxCap, kvType, ...(norm ? { qkNorm: { eps: 1e-6 } } : {}) });
      const args = { qkv: f32Buf(device, res, qkv), q, kCache, vCache, state: u32Buf(device, res, [pos0, 3]), rows, posStep, ...(norm ? { qkNorm: f32Buf(device, res, w) } : {}) };
      runOnce(device, k.bind(args, res));
      const got = { q: await readF32(device, q, rows * nq), k: await readKv(device, kCache, kvType, cacheLen), v: await readKv(device, vCache, kvType, cacheLen) };
      const ref = ropeKvRef(qkv, before, { rows, heads, kvHeads, headDim, theta, ctxCap }, pos0, posStep, norm ? { w, eps: 1e-6 } : undefined, kvType);
      expect(relativeL2(got.q, ref.q)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      expect(relativeL2(got.k, ref.k)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      expect(maxAbsNormalised(got.v, ref.v)).toBeLessThanOrEqual(kvType === 'f16' ? F16_ULP : 0);
      expect(maxAbsNormalised(got.v, before.v)).toBeGreaterThan(0.01); // something was written
    });
  });

  test('the run-time self checks of ropeKv and ropeKvNorm pass', async () => {
    const v = await checkTransformerKernels(sharedGpu(), TIMEOUT_MS, { kvType });
    for (const x of v) expect(x.state, `${x.method}: ${x.error} ${x.detail ?? ''}`).toBe('passed');
    expect(v.slice(4).every((x) => x.method.includes(`${kvType} cache`))).toBe(true);
  });
});

describe('f16 cache', () => {
  test('the reference models the rounding: an unrounded reference is measurably off, the rounded one is not', async () => {
    await withRes(async (device, res) => {
      const shape = { kvHeads: 2, headDim: 8, ctxCap: 5 };
      const rows = 3;
      const kRows = rand(21, rows * shape.kvHeads * shape.headDim);
      const vRows = rand(22, rows * shape.kvHeads * shape.headDim);
      const cacheLen = rows * shape.kvHeads * shape.ctxCap * shape.headDim;
      const zeros = { k: new Float32Array(cacheLen), v: new Float32Array(cacheLen) };
      const kCache = kvBuf(device, res, 'f16', zeros.k);
      const vCache = kvBuf(device, res, 'f16', zeros.v);
      const k = await createKvWrite(device, { ...shape, kvType: 'f16' });
      runOnce(device, k.bind({ k: f32Buf(device, res, kRows), v: f32Buf(device, res, vRows), kCache, vCache, state: u32Buf(device, res, [2, 0]), rows, posStep: 0 }, res));
      const got = await readKv(device, kCache, 'f16', cacheLen);
      const exact = kvWriteRef(zeros, { k: kRows, v: vRows }, { ...shape, rows }, 2, 0, 'f32');
      const rounded = kvWriteRef(zeros, { k: kRows, v: vRows }, { ...shape, rows }, 2, 0, 'f16');
      expect(maxAbsNormalised(got, rounded.k)).toBeLessThanOrEqual(F16_ULP);
      expect(maxAbsNormalised(got, exact.k)).toBeGreaterThan(1e-5);
      // Word-sized writes: every element of each written row holds its own value (no half lost to a race).
      for (let s = 0; s < rows; s++) for (let d = 0; d < shape.headDim; d++) expect(got[cacheIndex(shape, s, 1, 2, d)]).not.toBe(0);
    });
  });

  test('an odd head dimension is refused with the reason', async () => {
    await expect(createRopeKv(sharedGpu(), { heads: 2, kvHeads: 1, headDim: 2 * 7 + 1, theta: 1e4, ctxCap: 4, kvType: 'f16' })).rejects.toThrow(/headDim 15 must be even/);
    await expect(createKvWrite(sharedGpu(), { kvHeads: 1, headDim: 15, ctxCap: 4, kvType: 'f16' })).rejects.toThrow(/headDim 15 must be a positive even integer/);
  });
});
