import { describe, expect, test } from 'vitest';
import { f16Bits, f16FromBits, hashValue, maxAbsNormalised, relativeL2 } from '../../src/core/numeric';
import { type GpuWork, runOnce } from '../../src/core/work';
import { createArgmax } from '../../src/kernels/transformer/argmax';
import { EXACT_THRESHOLD, ROPE_REL_L2_THRESHOLD, TRANSFORMER_REL_L2_THRESHOLD, checkTransformerKernels, uploadTable } from '../../src/kernels/transformer/check';
import { createEmbed } from '../../src/kernels/transformer/embed';
import { createRmsNorm } from '../../src/kernels/transformer/rmsnorm';
import { createKvWrite, createRope, createRopeKv } from '../../src/kernels/transformer/rope';
import { createStepAdvance } from '../../src/kernels/transformer/step';
import { argmaxRef, embedRef, kvWriteRef, packWeights, rmsnormRef, ropeKvRef, ropeRef } from '../../src/kernels/transformer/transformer.ref';
import { type QTensor, WEIGHT_FORMATS, type WeightFormat, colsMultiple } from '../../src/core/tensor';
import { alignTo, createBuffer } from '../../src/gpu/buffers';
import { dequantizeRows } from '../../src/model/formats/dequant';
import { packRows } from '../../src/model/formats/pack';
import { rowBytes } from '../../src/model/formats/table';
import { ggufBytes } from '../unit/gguf-bytes';
import { TIMEOUT_MS, f32Buf, readF32, readU32, sharedDevice, u32Buf } from './helpers';

const { device: sharedGpu, withRes } = sharedDevice();

const rand = (seed: number, n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => hashValue(seed, i, scale));

function runAll(device: GPUDevice, ...ops: GpuWork[]): void {
  // Several ops in one pass, as the forward pass encodes them.
  const enc = device.createCommandEncoder({ label: 'test' });
  const pass = enc.beginComputePass({ label: 'test.pass' });
  for (const op of ops) op.encode(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
}

describe('rmsnorm matches the float64 reference', () => {
  test.each([
    { rows: 1, dim: 1, eps: 1e-6, inPlace: false },
    { rows: 5, dim: 333, eps: 1e-5, inPlace: false },
    { rows: 3, dim: 4096, eps: 1e-6, inPlace: false },
    { rows: 4, dim: 67, eps: 0.5, inPlace: true },
  ])('$rows x $dim, eps $eps, in place: $inPlace', async ({ rows, dim, eps, inPlace }) => {
    await withRes(async (device, res) => {
      const x = rand(1, rows * dim, 3);
      const w = rand(2, dim);
      const xb = f32Buf(device, res, x);
      const yb = inPlace ? xb : f32Buf(device, res, new Float32Array(rows * dim).fill(NaN));
      const k = await createRmsNorm(device, { dim, eps });
      runOnce(device, k.bind({ x: xb, w: f32Buf(device, res, w), y: yb, rows }, res));
      const got = await readF32(device, yb, rows * dim);
      expect(relativeL2(got, rmsnormRef(x, w, rows, dim, eps))).toBeLessThan(TRANSFORMER_REL_L2_THRESHOLD);
    });
  });
});

describe('rope matches the float64 reference', () => {
  test.each([
    { name: 'prefill at 0', rows: 5, heads: 2, headDim: 16, theta: 10000, pos0: 0, posStep: 1 as const },
    { name: 'prefill at 37', rows: 7, heads: 3, headDim: 64, theta: 10000, pos0: 37, posStep: 1 as const },
    { name: 'decode batch at 1000', rows: 3, heads: 14, headDim: 128, theta: 1e6, pos0: 1000, posStep: 0 as const },
    { name: 'decode at 4095, kv heads', rows: 1, heads: 2, headDim: 96, theta: 500000, pos0: 4095, posStep: 0 as const },
  ])('$name: $rows rows x $heads heads x $headDim', async ({ rows, heads, headDim, theta, pos0, posStep }) => {
    await withRes(async (device, res) => {
      const n = rows * heads * headDim;
      const x = rand(3, n);
      const xb = f32Buf(device, res, x);
      const k = await createRope(device, { heads, headDim, theta });
      runOnce(device, k.bind({ x: xb, state: u32Buf(device, res, [pos0, 5]), rows, posStep }, res));
      const got = await readF32(device, xb, n);
      const err = relativeL2(got, ropeRef(x, { rows, heads, headDim, theta }, pos0, posStep));
      expect(err).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      // Position 0 (theta irrelevant) leaves x as it is; anywhere else rows must actually rotate.
      if (pos0 > 0) expect(relativeL2(got, x)).toBeGreaterThan(0.1);
    });
  });
});

describe('kvWrite places rows in the cache and nothing else', () => {
  test.each([
    { name: 'prefill at 11', rows: 5, kvHeads: 3, headDim: 16, ctxCap: 29, seqCap: 1, pos0: 11, posStep: 1 as const },
    { name: 'decode of 3 sequences at 9', rows: 3, kvHeads: 2, headDim: 64, ctxCap: 17, seqCap: 3, pos0: 9, posStep: 0 as const },
    { name: 'prefill running past ctxCap drops the overflow', rows: 4, kvHeads: 1, headDim: 8, ctxCap: 13, seqCap: 1, pos0: 11, posStep: 1 as const },
  ])('$name', async ({ rows, kvHeads, headDim, ctxCap, seqCap, pos0, posStep }) => {
    await withRes(async (device, res) => {
      const n = rows * kvHeads * headDim;
      const cacheLen = seqCap * kvHeads * ctxCap * headDim;
      const kRows = rand(4, n);
      const vRows = rand(5, n);
      const before = { k: rand(6, cacheLen), v: rand(7, cacheLen) };
      const kCache = f32Buf(device, res, before.k);
      const vCache = f32Buf(device, res, before.v);
      const k = await createKvWrite(device, { kvHeads, headDim, ctxCap });
      runOnce(
        device,
        k.bind(
          { k: f32Buf(device, res, kRows), v: f32Buf(device, res, vRows), kCache, vCache, state: u32Buf(device, res, [pos0, 0]), rows, posStep },
          res,
        ),
      );
      const got = { k: await readF32(device, kCache, cacheLen), v: await readF32(device, vCache, cacheLen) };
      const ref = kvWriteRef(before, { k: kRows, v: vRows }, { rows, kvHeads, headDim, ctxCap }, pos0, posStep);
      expect(maxAbsNormalised(got.k, ref.k)).toBe(0);
      expect(maxAbsNormalised(got.v, ref.v)).toBe(0);
      expect(maxAbsNormalised(got.k, before.k)).toBeGreaterThan(0); // something was written
    });
  });
});

describe('ropeKv rotates q into its buffer and appends rotated k and v to the caches', () => {
  const cases = [
    { name: 'GQA prefill at 0', rows: 5, heads: 4, kvHeads: 2, headDim: 16, ctxCap: 13, seqCap: 1, pos0: 0, posStep: 1 as const },
    { name: 'GQA prefill at 11', rows: 7, heads: 6, kvHeads: 2, headDim: 64, ctxCap: 29, seqCap: 1, pos0: 11, posStep: 1 as const },
    { name: 'decode of 3 sequences at 9', rows: 3, heads: 4, kvHeads: 1, headDim: 32, ctxCap: 17, seqCap: 4, pos0: 9, posStep: 0 as const },
    { name: 'MHA decode at 4000', rows: 1, heads: 3, kvHeads: 3, headDim: 96, ctxCap: 4001, seqCap: 1, pos0: 4000, posStep: 0 as const },
    { name: 'prefill running past ctxCap drops the overflow', rows: 4, heads: 2, kvHeads: 2, headDim: 8, ctxCap: 13, seqCap: 1, pos0: 11, posStep: 1 as const },
  ];

  async function run(device: GPUDevice, res: Parameters<Parameters<typeof withRes>[0]>[1], c: (typeof cases)[number], statePos = c.pos0) {
    const { rows, heads, kvHeads, headDim, ctxCap, seqCap, pos0, posStep } = c;
    const theta = 10000;
    const nq = heads * headDim;
    const cacheLen = seqCap * kvHeads * ctxCap * headDim;
    const qkv = rand(12, rows * (heads + 2 * kvHeads) * headDim);
    const before = { k: rand(13, cacheLen), v: rand(14, cacheLen) };
    const q = f32Buf(device, res, new Float32Array(rows * nq).fill(NaN));
    const kCache = f32Buf(device, res, before.k);
    const vCache = f32Buf(device, res, before.v);
    const k = await createRopeKv(device, { heads, kvHeads, headDim, theta, ctxCap });
    runOnce(device, k.bind({ qkv: f32Buf(device, res, qkv), q, kCache, vCache, state: u32Buf(device, res, [statePos, 3]), rows, posStep }, res));
    const got = { q: await readF32(device, q, rows * nq), k: await readF32(device, kCache, cacheLen), v: await readF32(device, vCache, cacheLen) };
    const ref = ropeKvRef(qkv, before, { rows, heads, kvHeads, headDim, theta, ctxCap }, pos0, posStep);
    return { got, ref, before };
  }

  test.each(cases)('$name', async (c) => {
    await withRes(async (device, res) => {
      const { got, ref, before } = await run(device, res, c);
      expect(relativeL2(got.q, ref.q)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      expect(relativeL2(got.k, ref.k)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      expect(maxAbsNormalised(got.v, ref.v)).toBe(0);
      expect(maxAbsNormalised(got.v, before.v)).toBeGreaterThan(0); // something was written
    });
  });

  test('a wrong position (state[0] off by one) fails the tolerance', async () => {
    await withRes(async (device, res) => {
      const c = cases[1]!;
      const { got, ref } = await run(device, res, c, c.pos0 + 1);
      expect(relativeL2(got.q, ref.q)).toBeGreaterThan(100 * ROPE_REL_L2_THRESHOLD);
      expect(maxAbsNormalised(got.v, ref.v)).toBeGreaterThan(0.1);
    });
  });
});

/**
 * qwen3's per-head q/k RMSNorm fused into ropeKv (rope_kv_norm.wgsl), with frequencies given per pair (linear
 * scaling and rope_freqs factors): against the float64 reference, and mutations that must fail it.
 */
describe('ropeKv with per-head q/k RMSNorm and given frequencies', () => {
  const cases = [
    { name: 'qwen3-like GQA prefill at 5, head dim 128', rows: 6, heads: 4, kvHeads: 2, headDim: 128, ctxCap: 16, seqCap: 1, pos0: 5, posStep: 1 as const },
    { name: 'decode of 3 sequences at 9, head dim 96 (not a multiple of the workgroup)', rows: 3, heads: 3, kvHeads: 1, headDim: 96, ctxCap: 17, seqCap: 3, pos0: 9, posStep: 0 as const },
    { name: 'head dim 8, prefill running past ctxCap', rows: 4, heads: 2, kvHeads: 2, headDim: 8, ctxCap: 13, seqCap: 1, pos0: 11, posStep: 1 as const },
  ];
  type Mutation = 'none' | 'no-norm' | 'q-weights-for-k' | 'theta-frequencies' | 'eps';

  async function run(device: GPUDevice, res: Parameters<Parameters<typeof withRes>[0]>[1], c: (typeof cases)[number], mutation: Mutation = 'none') {
    const { rows, heads, kvHeads, headDim, ctxCap, seqCap, pos0, posStep } = c;
    const theta = 1e6;
    const eps = 1e-6;
    const nq = heads * headDim;
    const cacheLen = seqCap * kvHeads * ctxCap * headDim;
    const qkv = rand(21, rows * (heads + 2 * kvHeads) * headDim, 6);
    const w = rand(22, 2 * headDim, 2);
    const invFreq = Float32Array.from({ length: headDim / 2 }, (_, i) => (theta ** ((-2 * i) / headDim) / 4) * (1 + i / headDim));
    const before = { k: rand(23, cacheLen), v: rand(24, cacheLen) };
    const q = f32Buf(device, res, new Float32Array(rows * nq).fill(NaN));
    const kCache = f32Buf(device, res, before.k);
    const vCache = f32Buf(device, res, before.v);
    const k = await createRopeKv(device, { heads, kvHeads, headDim, theta, ctxCap, invFreq, qkNorm: { eps } });
    const state = u32Buf(device, res, [pos0, 0]);
    runOnce(device, k.bind({ qkv: f32Buf(device, res, qkv), q, kCache, vCache, state, rows, posStep, qkNorm: f32Buf(device, res, w) }, res));
    const got = { q: await readF32(device, q, rows * nq), k: await readF32(device, kCache, cacheLen), v: await readF32(device, vCache, cacheLen) };
    const refW = mutation === 'q-weights-for-k' ? Float32Array.from([...w.subarray(0, headDim), ...w.subarray(0, headDim)]) : w;
    const shape = { rows, heads, kvHeads, headDim, theta, ctxCap, ...(mutation === 'theta-frequencies' ? {} : { invFreq }) };
    const norm = mutation === 'no-norm' ? undefined : { w: refW, eps: mutation === 'eps' ? 1 : eps };
    return { got, ref: ropeKvRef(qkv, before, shape, pos0, posStep, norm), before };
  }

  test.each(cases)('$name', async (c) => {
    await withRes(async (device, res) => {
      const { got, ref, before } = await run(device, res, c);
      expect(relativeL2(got.q, ref.q)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      expect(relativeL2(got.k, ref.k)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
      expect(maxAbsNormalised(got.v, ref.v)).toBe(0);
      expect(maxAbsNormalised(got.v, before.v)).toBeGreaterThan(0); // something was written
    });
  });

  test.each<Mutation>(['no-norm', 'q-weights-for-k', 'theta-frequencies', 'eps'])('a reference with %s fails the tolerance', async (mutation) => {
    await withRes(async (device, res) => {
      const { got, ref } = await run(device, res, cases[0]!, mutation);
      const worst = Math.max(relativeL2(got.q, ref.q), relativeL2(got.k, ref.k));
      expect(worst).toBeGreaterThan(10 * ROPE_REL_L2_THRESHOLD);
    });
  });
});

describe('embed dequantises table rows in every format', () => {
  test.each([
    { format: 'f32' as WeightFormat, vocab: 37, hidden: 24, partRows: 16 },
    { format: 'f16' as WeightFormat, vocab: 37, hidden: 40, partRows: 10 },
    { format: 'q8_0' as WeightFormat, vocab: 37, hidden: 96, partRows: 16 },
    { format: 'q4_0' as WeightFormat, vocab: 37, hidden: 96, partRows: 13 },
    { format: 'q4_0' as WeightFormat, vocab: 1001, hidden: 64, partRows: 1001 },
    { format: 'bf16' as WeightFormat, vocab: 37, hidden: 40, partRows: 10 },
    { format: 'q4_k' as WeightFormat, vocab: 37, hidden: 512, partRows: 16 },
    { format: 'q5_k' as WeightFormat, vocab: 37, hidden: 768, partRows: 10 },
    { format: 'q6_k' as WeightFormat, vocab: 37, hidden: 768, partRows: 13 },
  ])('$format, $vocab x $hidden in parts of $partRows rows', async ({ format, vocab, hidden, partRows }) => {
    await withRes(async (device, res) => {
      // Every part, both ends of the table, repeats, and out-of-range ids (clamped to vocab - 1).
      const tokens = [0, vocab - 1, 17, partRows % vocab, vocab, 0xffffffff, 3, 17, Math.floor(vocab / 2)];
      const rows = tokens.length;
      const { table, values } = uploadTable({ device, res }, 'test.table', format, vocab, hidden, partRows, 77);
      expect(table.parts.length).toBe(Math.ceil(vocab / partRows));
      const x = f32Buf(device, res, new Float32Array(rows * hidden).fill(NaN));
      const k = await createEmbed(device, { hidden, vocab });
      runOnce(device, k.bind({ tokens: u32Buf(device, res, tokens), table, x, rows }, res));
      const got = await readF32(device, x, rows * hidden);
      expect(maxAbsNormalised(got, embedRef(tokens, values, vocab, hidden))).toBeLessThanOrEqual(EXACT_THRESHOLD);
    });
  });

  // The path of real weights: GGUF bytes packed into the GPU layout (model/formats/pack.ts), read by the
  // embedding's load_w, equal GGML's dequantisation (dequant.ts) of the file's bytes.
  test.each(WEIGHT_FORMATS)('%s: packed GGUF bytes decode as dequant.ts decodes the file', async (format) => {
    await withRes(async (device, res) => {
      const vocab = 23;
      const partRows = 9;
      const hidden = colsMultiple(format) === 256 ? 512 : 64;
      const gguf = ggufBytes(format, vocab, hidden, 5);
      const parts: QTensor['parts'] = [];
      for (let r0 = 0; r0 < vocab; r0 += partRows) {
        const rows = Math.min(partRows, vocab - r0);
        const packed = packRows(format, gguf, hidden, rows, undefined, 0, r0 * rowBytes(format, hidden));
        const up = (what: string, b: Uint8Array) => {
          const words = new Uint8Array(alignTo(b.byteLength, 4));
          words.set(b);
          const buf = createBuffer(device, res, `test.gguf.${what}`, words.byteLength);
          device.queue.writeBuffer(buf, 0, words);
          return buf;
        };
        parts.push({ rowStart: r0, rows, data: up('data', packed.data), scales: packed.scales && up('scales', packed.scales) });
      }
      const tokens = Array.from({ length: vocab }, (_, i) => (i * 7) % vocab);
      const x = f32Buf(device, res, new Float32Array(vocab * hidden).fill(NaN));
      const k = await createEmbed(device, { hidden, vocab, formats: [format] });
      runOnce(device, k.bind({ tokens: u32Buf(device, res, tokens), table: { label: 'gguf', format, rows: vocab, cols: hidden, parts }, x, rows: vocab }, res));
      const got = await readF32(device, x, vocab * hidden);
      const values = dequantizeRows(format, gguf, hidden, 0, vocab, new Float64Array(vocab * hidden));
      expect(maxAbsNormalised(got, embedRef(tokens, values, vocab, hidden))).toBeLessThanOrEqual(EXACT_THRESHOLD);
    });
  });

  test('packWeights follows the documented layouts', () => {
    // f16: element 2i in the low half.
    const f16 = packWeights('f16', 1, 8, 3);
    expect(f16FromBits((f16.data[0] as number) & 0xffff)).toBe(f16.values[0]);
    expect(f16FromBits((f16.data[0] as number) >>> 16)).toBe(f16.values[1]);
    // q8_0: element 4i+j in byte j (two's complement), block scales as f16 pairs, low half first.
    const q8 = packWeights('q8_0', 2, 32, 4);
    const s1 = f16FromBits((q8.scales?.[0] as number) >>> 16);
    const byte = ((q8.data[8] as number) >>> 8) & 0xff; // element 33 = row 1, col 1: word 8, byte 1, block 1
    expect(q8.values[33]).toBe(s1 * ((byte << 24) >> 24));
    // q4_0: element 8i+j in bits 4j..4j+3, weight = scale * (nibble - 8).
    const q4 = packWeights('q4_0', 1, 64, 5);
    const s0 = f16FromBits((q4.scales?.[0] as number) & 0xffff);
    const nib = ((q4.data[1] as number) >>> 12) & 0xf; // element 11
    expect(q4.values[11]).toBe(s0 * (nib - 8));
    // Codes cover their range and values are never all zero.
    expect(q8.values.some((v) => v !== 0)).toBe(true);
    expect(f16Bits(1)).toBe(0x3c00);
    expect(f16Bits(-2)).toBe(0xc000);
    expect(f16Bits(2 ** -24)).toBe(1);
    expect(f16FromBits(0x3555)).toBeCloseTo(1 / 3, 3);
  });
});

describe('argmax is greedy: ties to the lowest index, NaN never wins', () => {
  const NEG_INF = -Infinity;
  test.each([
    { name: 'tie for the maximum', row: [0.5, 2, -1, 2, 2] },
    { name: 'NaN before the maximum', row: [NaN, 1, NaN, 3, 2] },
    { name: 'NaN after the maximum', row: [1, 3, NaN, 2] },
    { name: 'all NaN', row: [NaN, NaN, NaN] },
    { name: 'NaN and -inf only', row: [NaN, NEG_INF, NEG_INF] },
    { name: '+0 and -0 tie', row: [-1, -0, 0, -2] },
    { name: 'all negative', row: [-5, -3, -4, -3] },
    { name: '+inf wins', row: [1e38, Infinity, 3] },
  ])('$name', async ({ row }) => {
    await withRes(async (device, res) => {
      const vocab = row.length;
      const rows = 1;
      const cur = u32Buf(device, res, [0xdeadbeef]);
      const log = u32Buf(device, res, [7, 7, 7]);
      const k = await createArgmax(device, { vocab });
      runOnce(device, k.bind({ logits: f32Buf(device, res, row), cur, log, state: u32Buf(device, res, [9, 1]), rows }, res));
      const want = argmaxRef(row, 1, vocab)[0];
      expect((await readU32(device, cur, 1))[0]).toBe(want);
      expect([...(await readU32(device, log, 3))]).toEqual([7, want, 7]);
    });
  });

  test('Qwen-sized vocab (152064), 3 rows, logged at state[1] * rows + r', async () => {
    await withRes(async (device, res) => {
      const vocab = 152064;
      const rows = 3;
      const logits = rand(10, rows * vocab, 10);
      logits[vocab - 1] = 20; // row 0: the very last index
      logits[vocab + 5] = 20; // row 1: a tie, the lower index wins
      logits[vocab + 150000] = 20;
      logits[2 * vocab + 77777] = NaN; // row 2: NaN ignored
      const counter = 4;
      const cur = u32Buf(device, res, [0, 0, 0]);
      const log = u32Buf(device, res, new Array<number>(rows * 6).fill(0xffffffff));
      const k = await createArgmax(device, { vocab });
      runOnce(device, k.bind({ logits: f32Buf(device, res, logits), cur, log, state: u32Buf(device, res, [0, counter]), rows }, res));
      const want = [...argmaxRef(logits, rows, vocab)];
      expect(want.slice(0, 2)).toEqual([vocab - 1, 5]);
      expect([...(await readU32(device, cur, rows))]).toEqual(want);
      const logged = await readU32(device, log, rows * 6);
      expect([...logged.subarray(counter * rows, (counter + 1) * rows)]).toEqual(want);
      expect(logged.filter((v) => v !== 0xffffffff).length).toBe(rows);
    });
  });

  test('a log too short for state[1] is left alone', async () => {
    await withRes(async (device, res) => {
      const log = u32Buf(device, res, [1, 2]);
      const cur = u32Buf(device, res, [0]);
      const k = await createArgmax(device, { vocab: 4 });
      runOnce(device, k.bind({ logits: f32Buf(device, res, [0, 0, 5, 0]), cur, log, state: u32Buf(device, res, [0, 2]), rows: 1 }, res));
      expect([...(await readU32(device, cur, 1))]).toEqual([2]);
      expect([...(await readU32(device, log, 2))]).toEqual([1, 2]);
    });
  });
});

describe('stepAdvance', () => {
  test.each([
    { name: 'one decode step', start: [5, 2], posDelta: 1, steps: 1 },
    { name: 'a prefill chunk of 19', start: [0, 0], posDelta: 19, steps: 1 },
    { name: '8 steps in one submit', start: [100, 3], posDelta: 1, steps: 8 },
  ])('$name', async ({ start, posDelta, steps }) => {
    await withRes(async (device, res) => {
      const state = u32Buf(device, res, start);
      const k = await createStepAdvance(device);
      const op = k.bind({ state, posDelta }, res);
      runAll(device, ...new Array<GpuWork>(steps).fill(op));
      expect([...(await readU32(device, state, 2))]).toEqual([(start[0] as number) + steps * posDelta, (start[1] as number) + steps]);
    });
  });

  test('decode steps chained on the GPU: rope and argmax see the advanced state', async () => {
    await withRes(async (device, res) => {
      const vocab = 5;
      const rows = 2;
      const steps = 3;
      const state = u32Buf(device, res, [10, 0]);
      const x = rand(11, rows * 16);
      const xb = f32Buf(device, res, x);
      const logits = f32Buf(device, res, [0, 1, 0, 0, 0, 0, 0, 0, 3, 0]);
      const cur = u32Buf(device, res, [0, 0]);
      const log = u32Buf(device, res, new Array<number>(rows * steps).fill(0xffffffff));
      const rope = (await createRope(device, { heads: 1, headDim: 16, theta: 10000 })).bind({ x: xb, state, rows, posStep: 0 }, res);
      const am = (await createArgmax(device, { vocab })).bind({ logits, cur, log, state, rows }, res);
      const adv = (await createStepAdvance(device)).bind({ state, posDelta: 1 }, res);
      const ops: GpuWork[] = [];
      for (let s = 0; s < steps; s++) ops.push(rope, am, adv);
      runAll(device, ...ops);
      expect([...(await readU32(device, state, 2))]).toEqual([13, 3]);
      expect([...(await readU32(device, log, rows * steps))]).toEqual([1, 3, 1, 3, 1, 3]);
      // Rotations at positions 10, 11, 12 compose to one at 33.
      const got = await readF32(device, xb, rows * 16);
      const ref = ropeRef(x, { rows, heads: 1, headDim: 16, theta: 10000 }, 33, 0);
      expect(relativeL2(got, ref)).toBeLessThan(ROPE_REL_L2_THRESHOLD);
    });
  });
});

describe('checkTransformerKernels', () => {
  test('passes for every kernel', async () => {
    const v = await checkTransformerKernels(sharedGpu(), TIMEOUT_MS);
    expect(v.map((x) => x.method.split(' ')[0])).toEqual(['rmsnorm', 'embed', 'argmax', 'stepAdvance', 'ropeKv', 'ropeKvNorm']);
    for (const x of v) {
      expect(x.state, `${x.method}: error ${x.error} ${x.detail ?? ''}`).toBe('passed');
      expect(x.checked).toBeGreaterThan(0);
    }
  });

  test.each([
    { label: 'rmsnorm', method: 'rmsnorm' },
    { label: 'embed', method: 'embed' },
    { label: 'argmax', method: 'argmax' },
    { label: 'step_advance', method: 'stepAdvance' },
    { label: 'rope_kv', method: 'ropeKv' },
    { label: 'rope_kv_norm', method: 'ropeKvNorm' },
  ])('a skipped $label dispatch fails its check', async ({ label, method }) => {
    const v = await checkTransformerKernels(sharedGpu(), TIMEOUT_MS, {
      tamper: (work) => (work.label === label ? { label: 'skipped', encode: () => {} } : work),
    });
    const failed = v.filter((x) => x.state === 'failed');
    expect(failed.map((x) => x.method.split(' ')[0])).toEqual([method]);
    expect(failed[0]?.error).not.toBe(0);
  });
});
