import { describe, expect, test } from 'vitest';
import { feasible } from '../../src/core/variant';
import { createAttentionDecode, createAttentionPrefill } from '../../src/kernels/attention/attention';
import { ATTENTION_REL_L2_THRESHOLD, attentionCaches, checkAttention, decodeAttentionFixture } from '../../src/kernels/attention/check';
import {
  type DecodeTile,
  PORTABLE_WORKGROUP_BYTES,
  type PrefillTile,
  decodeTileVariant,
  decodeTileVariants,
  defaultDecodeTile,
  defaultPrefillTile,
  prefillTileVariant,
} from '../../src/kernels/attention/tiles';
import { attentionRef } from '../../src/kernels/attention/attention.ref';
import { hashValue, relativeL2 } from '../../src/core/numeric';
import { createKvWrite } from '../../src/kernels/transformer/rope';
import { cacheIndex } from '../../src/kernels/transformer/transformer.ref';
import { runOnce } from '../../src/core/work';
import { TIMEOUT_MS, f32Buf, readF32, sharedDevice, u32Buf } from './helpers';

const { device: sharedGpu, withRes } = sharedDevice();


const rand = (seed: number, n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => hashValue(seed, i, scale));

interface Case {
  heads: number;
  kvHeads: number;
  headDim: number;
  rows: number;
  pos0: number;
  ctxCap: number;
  /** Scale of q: larger values give peakier softmax rows (exercising the running-max rescale). */
  qScale?: number;
}

/** Runs one mode on random q and caches (NaN past the attended positions) and returns the error. */
async function attentionError(mode: 'prefill' | 'decode', c: Case, tile?: PrefillTile | DecodeTile): Promise<number> {
  let err = Infinity;
  await withRes(async (device, res) => {
    const shape = { heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, ctxCap: c.ctxCap };
    const seqs = mode === 'prefill' ? 1 : c.rows;
    const lastPos = mode === 'prefill' ? c.pos0 + c.rows - 1 : c.pos0;
    const n = c.rows * c.heads * c.headDim;
    const q = rand(91, n, c.qScale ?? 2);
    const caches = attentionCaches(shape, seqs, lastPos, 93);
    const out = f32Buf(device, res, new Float32Array(n).fill(NaN));
    const kernel =
      mode === 'prefill'
        ? await createAttentionPrefill(device, { ...shape, ...(tile ? { tile: tile as PrefillTile } : {}) })
        : await createAttentionDecode(device, { ...shape, ...(tile ? { tile: tile as DecodeTile } : {}) });
    const args = {
      q: f32Buf(device, res, q),
      kCache: f32Buf(device, res, caches.k),
      vCache: f32Buf(device, res, caches.v),
      out,
      state: u32Buf(device, res, [c.pos0, 0]),
      rows: c.rows,
    };
    runOnce(device, kernel.bind(args, res));
    const got = await readF32(device, out, n);
    err = relativeL2(got, attentionRef(shape, q, caches.k, caches.v, c.rows, c.pos0, mode));
  });
  return err;
}

describe('attentionPrefill (causal flash attention) matches the float64 reference', () => {
  test.each([
    { name: 'GQA 4/2, headDim 16, from position 0', heads: 4, kvHeads: 2, headDim: 16, rows: 37, pos0: 0, ctxCap: 40 },
    { name: 'GQA 14/2, headDim 64, after 13 cached positions', heads: 14, kvHeads: 2, headDim: 64, rows: 19, pos0: 13, ctxCap: 40 },
    { name: 'MHA 6/6, headDim 96, after 5', heads: 6, kvHeads: 6, headDim: 96, rows: 23, pos0: 5, ctxCap: 29 },
    { name: 'GQA 4/2, headDim 128, after 40', heads: 4, kvHeads: 2, headDim: 128, rows: 17, pos0: 40, ctxCap: 64 },
    { name: 'one query row late in the context', heads: 2, kvHeads: 1, headDim: 64, rows: 1, pos0: 100, ctxCap: 101 },
    { name: 'peaky scores (q x 12)', heads: 4, kvHeads: 2, headDim: 64, rows: 33, pos0: 7, ctxCap: 48, qScale: 12 },
  ])('$name: $rows rows', async (c) => {
    expect(await attentionError('prefill', c)).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
  });

  test.each([
    { bq: 8, bk: 8, wg: 64 },
    { bq: 16, bk: 16, wg: 128 },
    { bq: 4, bk: 16, wg: 32 },
  ])('tile $bq x $bk with $wg threads', async (tile) => {
    const c = { heads: 4, kvHeads: 2, headDim: 64, rows: 21, pos0: 6, ctxCap: 32 };
    expect(await attentionError('prefill', c, tile)).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
  });

  test('default tiles fit the portable workgroup memory and grow keys as heads narrow', () => {
    expect([16, 64, 96, 128].map((hd) => defaultPrefillTile(hd))).toEqual([
      { bq: 16, bk: 64, wg: 64 },
      { bq: 16, bk: 32, wg: 64 },
      { bq: 16, bk: 16, wg: 64 },
      { bq: 16, bk: 8, wg: 64 },
    ]);
    // headDim 256 does not fit 16 KiB; it runs where the device grants more.
    expect(defaultPrefillTile(256)).toBeNull();
    expect(defaultPrefillTile(256, 32768)).toEqual({ bq: 8, bk: 16, wg: 64 });
    expect(PORTABLE_WORKGROUP_BYTES).toBe(16384);
  });

  test('a tile that cannot run the head dimension is refused', async () => {
    await expect(
      createAttentionPrefill(sharedGpu(), { heads: 2, kvHeads: 1, headDim: 128, ctxCap: 8, tile: { bq: 16, bk: 64, wg: 64 } }),
    ).rejects.toThrow(/attention_prefill \(headDim 128\): variant 16x64\/64 cannot run on this device: \d+ bytes of workgroup memory/);
    expect(prefillTileVariant(128, { bq: 16, bk: 64, wg: 64 }).problem(sharedGpu())).toMatch(/bytes of workgroup memory >/);
    expect(prefillTileVariant(64, { bq: 16, bk: 64, wg: 64 }).problem(sharedGpu())).toBeUndefined();
  });

  test('after kvWrite in the same pass, a second chunk attends to the first (chunked prefill)', async () => {
    await withRes(async (device, res) => {
      const shape = { heads: 4, kvHeads: 2, headDim: 16, ctxCap: 32 };
      const kvDim = shape.kvHeads * shape.headDim;
      const chunks = [11, 9];
      const total = chunks[0]! + chunks[1]!;
      const kAll = rand(94, total * kvDim);
      const vAll = rand(95, total * kvDim);
      const qAll = rand(96, total * shape.heads * shape.headDim, 2);
      const kCache = f32Buf(device, res, new Float32Array(shape.kvHeads * shape.ctxCap * shape.headDim).fill(NaN));
      const vCache = f32Buf(device, res, new Float32Array(shape.kvHeads * shape.ctxCap * shape.headDim).fill(NaN));
      const kvw = await createKvWrite(device, shape);
      const attn = await createAttentionPrefill(device, shape);
      const outs: Float32Array[] = [];
      let pos = 0;
      for (const rows of chunks) {
        const state = u32Buf(device, res, [pos, 0]);
        const sl = (a: Float32Array, w: number) => a.slice(pos * w, (pos + rows) * w);
        const out = f32Buf(device, res, new Float32Array(rows * shape.heads * shape.headDim).fill(NaN));
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        const k = f32Buf(device, res, sl(kAll, kvDim));
        const v = f32Buf(device, res, sl(vAll, kvDim));
        kvw.bind({ k, v, kCache, vCache, state, rows, posStep: 1 }, res).encode(pass);
        attn.bind({ q: f32Buf(device, res, sl(qAll, shape.heads * shape.headDim)), kCache, vCache, out, state, rows }, res).encode(pass);
        pass.end();
        device.queue.submit([enc.finish()]);
        outs.push(await readF32(device, out, rows * shape.heads * shape.headDim));
        pos += rows;
      }
      // Reference: the whole sequence at once from a cache built on the CPU.
      const kc = new Float64Array(shape.kvHeads * shape.ctxCap * shape.headDim);
      const vc = new Float64Array(kc.length);
      for (let t = 0; t < total; t++) {
        for (let h = 0; h < shape.kvHeads; h++) {
          for (let d = 0; d < shape.headDim; d++) {
            kc[cacheIndex(shape, 0, h, t, d)] = kAll[(t * shape.kvHeads + h) * shape.headDim + d]!;
            vc[cacheIndex(shape, 0, h, t, d)] = vAll[(t * shape.kvHeads + h) * shape.headDim + d]!;
          }
        }
      }
      const ref = attentionRef(shape, qAll, kc, vc, total, 0, 'prefill');
      const got = new Float32Array(ref.length);
      got.set(outs[0]!, 0);
      got.set(outs[1]!, outs[0]!.length);
      expect(relativeL2(got, ref)).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
    });
  });
});

describe('attentionDecode matches the float64 reference', () => {
  test.each([
    { name: 'B=3, GQA 4/2, headDim 16, 300 positions', heads: 4, kvHeads: 2, headDim: 16, rows: 3, pos0: 299, ctxCap: 311 },
    { name: 'B=3, GQA 14/2, headDim 64', heads: 14, kvHeads: 2, headDim: 64, rows: 3, pos0: 70, ctxCap: 80 },
    { name: 'B=3, MHA 6/6, headDim 96', heads: 6, kvHeads: 6, headDim: 96, rows: 3, pos0: 41, ctxCap: 50 },
    { name: 'B=3, GQA 4/2, headDim 128', heads: 4, kvHeads: 2, headDim: 128, rows: 3, pos0: 100, ctxCap: 101 },
    { name: 'B=1 at position 0 (a single key)', heads: 4, kvHeads: 2, headDim: 64, rows: 1, pos0: 0, ctxCap: 8 },
    { name: 'B=2, 3000 positions', heads: 2, kvHeads: 1, headDim: 64, rows: 2, pos0: 2999, ctxCap: 3000 },
    { name: 'B=3, peaky scores (q x 12)', heads: 4, kvHeads: 2, headDim: 64, rows: 3, pos0: 200, ctxCap: 256, qScale: 12 },
  ])('$name', async (c) => {
    expect(await attentionError('decode', c)).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
  });

  test.each([
    { rowGroups: 1, keysPerGroup: 8 },
    { rowGroups: 3, keysPerGroup: 1 },
    { rowGroups: 16, keysPerGroup: 4 },
  ])('tile of $rowGroups row groups x $keysPerGroup keys', async (tile) => {
    const c = { heads: 4, kvHeads: 2, headDim: 64, rows: 3, pos0: 77, ctxCap: 90 };
    expect(await attentionError('decode', c, tile)).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
  });

  test('each sequence reads its own cache rows', async () => {
    // Same q for every sequence; different caches must give different outputs.
    await withRes(async (device, res) => {
      const shape = { heads: 2, kvHeads: 1, headDim: 16, ctxCap: 12 };
      const rows = 3;
      const pos0 = 9;
      const qRow = rand(97, shape.heads * shape.headDim, 2);
      const q = new Float32Array(rows * qRow.length);
      for (let b = 0; b < rows; b++) q.set(qRow, b * qRow.length);
      const caches = attentionCaches(shape, rows, pos0, 98);
      const out = f32Buf(device, res, new Float32Array(q.length).fill(NaN));
      const k = await createAttentionDecode(device, shape);
      const args = {
        q: f32Buf(device, res, q),
        kCache: f32Buf(device, res, caches.k),
        vCache: f32Buf(device, res, caches.v),
        out,
        state: u32Buf(device, res, [pos0, 0]),
        rows,
      };
      runOnce(device, k.bind(args, res));
      const got = await readF32(device, out, q.length);
      expect(relativeL2(got, attentionRef(shape, q, caches.k, caches.v, rows, pos0, 'decode'))).toBeLessThan(ATTENTION_REL_L2_THRESHOLD);
      const n = qRow.length;
      expect(relativeL2(got.subarray(0, n), got.subarray(n, 2 * n))).toBeGreaterThan(0.05);
    });
  });

  test('default tiles use 128 threads', () => {
    expect([16, 64, 96, 128].map((hd) => defaultDecodeTile(hd).rowGroups * (hd / 4))).toEqual([128, 128, 120, 128]);
  });
});

describe('checkAttention', () => {
  test('passes for prefill and decode', async () => {
    const v = await checkAttention(sharedGpu(), TIMEOUT_MS);
    expect(v.length).toBe(2);
    for (const x of v) {
      expect(x.state, `${x.method}: error ${x.error} ${x.detail ?? ''}`).toBe('passed');
      expect(x.checked).toBeGreaterThan(0);
      expect(x.error).toBeLessThan(x.threshold);
    }
  });

  test.each(['attention_prefill', 'attention_decode'])('a skipped %s dispatch fails its check', async (label) => {
    const v = await checkAttention(sharedGpu(), TIMEOUT_MS, {
      tamper: (work) => (work.label === label ? { label: 'skipped', encode: () => {} } : work),
    });
    const failed = v.filter((x) => x.state === 'failed');
    expect(failed.length).toBe(1);
    expect(failed[0]?.method).toMatch(label === 'attention_prefill' ? /prefill/ : /decode/);
    expect(failed[0]?.detail).toMatch(/not written/);
  });
});

describe('decode attention tiles (autotuning candidates)', () => {
  // Head geometries of the presets (64 and 128 wide), GQA, several key tiles and a partial last one.
  const geometries = [
    { heads: 4, kvHeads: 2, headDim: 64 },
    { heads: 4, kvHeads: 1, headDim: 128 },
  ];
  test('the candidate list starts with the default tile and respects the device limits', () => {
    for (const g of geometries) {
      const all = decodeTileVariants(g.headDim);
      const tiles = feasible(all, sharedGpu());
      expect(tiles[0]?.params).toEqual(defaultDecodeTile(g.headDim));
      expect(tiles.length).toBeGreaterThan(2);
      expect(new Set(all.map((v) => v.id)).size).toBe(all.length);
      for (const t of tiles) expect(t.problem(sharedGpu())).toBeUndefined();
    }
  });

  test.each(
    geometries.flatMap((g) => [
      { g, rows: 1, pos: 70 },
      { g, rows: 3, pos: 133 },
    ]),
  )('every tile passes the tuning check: $g.heads/$g.kvHeads x $g.headDim, $rows rows at $pos', async ({ g, rows, pos }) => {
    await withRes(async (device, res) => {
      const build = await decodeAttentionFixture(device, res, g, rows, pos, TIMEOUT_MS);
      for (const tile of feasible(decodeTileVariants(g.headDim), device)) {
        const work = await build(tile.params);
        const v = await work.check();
        expect(v.state, `${tile.id}: ${v.method} ${v.error} ${v.detail ?? ''}`).toBe('passed');
        expect(v.checked).toBe(Math.min(rows, 2) * g.heads * g.headDim);
        // The check runs the tile on its own operands: a skipped dispatch fails it.
        const skipped = await work.check({ label: 'skipped', encode: () => {} });
        expect(skipped.state).toBe('failed');
        expect(skipped.detail).toMatch(/not written/);
      }
    });
  });

  test('a tile too large for the device is refused with the reason', async () => {
    const tile = { rowGroups: 64, keysPerGroup: 8 };
    expect(decodeTileVariant(128, tile).problem(sharedGpu())).toMatch(/threads exceed/);
    await expect(createAttentionDecode(sharedGpu(), { heads: 2, kvHeads: 1, headDim: 128, ctxCap: 8, tile })).rejects.toThrow(/r64\.k8 cannot run/);
  });
});
