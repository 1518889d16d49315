import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Resources, createBuffer } from '../../src/gpu/buffers';
import { type GpuContext, acquireGpu } from '../../src/gpu/device';
import { LINEAR_CHECK_CASES, type LinearCase, checkLinear, describeLinearCase, linearOutputs, verifyLinear } from '../../src/kernels/linear/check';
import { createLinear } from '../../src/kernels/linear/linear';
import { WEIGHT_FORMATS, allocTensor } from '../../src/core/tensor';
import { testGpu, withDevice } from './helpers';

const TIMEOUT_MS = 60_000;

/** Short K for plain cases; a long one (more 8-weight steps than the 64 threads) for split tensors. */
const K_SHORT = { f32: 40, f16: 40, bf16: 40, q8_0: 96, q4_0: 96, q4_k: 256, q5_k: 256, q6_k: 256 } as const;
const K_LONG = { f32: 520, f16: 520, bf16: 520, q8_0: 544, q4_0: 544, q4_k: 768, q5_k: 768, q6_k: 768 } as const;

/** Plain modes, then the fused forms: norm prologue (as QKV: with bias) and norm + SwiGLU (as gate/up). */
const MODES = ['bias', 'residual', '3 parts', 'norm+bias', 'norm 3 parts', 'norm swiglu', 'norm swiglu 3 parts'] as const;

const cases: LinearCase[] = WEIGHT_FORMATS.flatMap((format) =>
  [1, 5, 17].flatMap((rows) =>
    MODES.map((mode) => {
      const split = mode.endsWith('3 parts');
      const swiglu = mode.includes('swiglu');
      return {
        format,
        rows,
        K: split ? K_LONG[format] : K_SHORT[format],
        // Odd N for plain layers; SwiGLU needs whole (gate, up) pairs: 62 = parts of 22, 22, 18 rows.
        N: swiglu ? (split ? 62 : 38) : split ? 61 : 37,
        bias: mode.includes('bias'),
        residual: mode === 'residual',
        parts: split ? 3 : 1,
        ...(mode.startsWith('norm') ? { norm: { eps: rows === 5 ? 0.5 : 1e-5 } } : {}),
        ...(swiglu ? { swiglu: true } : {}),
      };
    }),
  ),
);

function expectPassed(v: Awaited<ReturnType<typeof verifyLinear>>) {
  expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
}

describe('linear layer matches the float64 CPU reference', () => {
  // One device for the grid: pipelines are cached per device, so each layer variant compiles once
  // (a compile is ~100 ms on SwiftShader; a fresh device per case would triple the file's runtime).
  // acquireGpu throws when no adapter exists, so the cases fail rather than skip.
  let ctx: GpuContext | undefined;
  beforeAll(async () => {
    ctx = await acquireGpu(testGpu());
  });
  afterAll(() => ctx?.device.destroy());

  test.each(cases.map((c) => ({ name: describeLinearCase(c), c })))('$name', async ({ c }) => {
    const v = await verifyLinear(ctx!.device, c, TIMEOUT_MS);
    expectPassed(v);
    expect(v.checked).toBe(linearOutputs(c));
  });

  // At a real model's fan-in the synthetic k-quant super-block scales are subnormal halves (d = amp 2^-12 (4..7),
  // amp 2^-5 at K 4096), as real files' often are: unpack2x16float must keep them (the run-time check has this case too).
  test.each(['q4_k', 'q5_k', 'q6_k'] as const)('%s at K 4096 (subnormal super-block scales)', async (format) => {
    const v = await verifyLinear(ctx!.device, { format, K: 4096, N: 21, rows: 2, bias: false, residual: false, parts: 1 }, TIMEOUT_MS);
    expectPassed(v);
  });

  // 131073 rows in groups of 2 = 65537 row groups: a 65535 x 2 grid whose second row is almost all idle.
  test('more than 65535 row groups use a 2-D dispatch (q4_0, N=131073, bias)', async () => {
    const c: LinearCase = { format: 'q4_0', K: 32, N: 131073, rows: 1, bias: true, residual: false, parts: 1 };
    expectPassed(await verifyLinear(ctx!.device, c, TIMEOUT_MS));
  });
});

describe('the check catches broken work', () => {
  const skip = () => ({ label: 'nothing', encode: () => {} });

  test('a skipped dispatch leaves poison and fails', async () => {
    await withDevice(async ({ device }) => {
      const v = await verifyLinear(device, { format: 'q8_0', K: 64, N: 33, rows: 3, bias: false, residual: false, parts: 1 }, TIMEOUT_MS, { tamper: skip });
      expect(v.state).toBe('failed');
      expect(v.detail).toMatch(/not written/);
    });
  });

  test('a skipped residual update fails on the error', async () => {
    await withDevice(async ({ device }) => {
      const v = await verifyLinear(device, { format: 'f16', K: 64, N: 33, rows: 3, bias: false, residual: true, parts: 1 }, TIMEOUT_MS, { tamper: skip });
      expect(v.state).toBe('failed');
      expect(v.error).toBeGreaterThan(1e-2);
    });
  });

  // A decode that reads a wrong byte shows as a wrong block: one corrupted super-block scale (q4_k/q5_k: the
  // header word of a block; q6_k: its d in the scale array) fails the check on the error.
  test.each(['q4_k', 'q5_k', 'q6_k'] as const)('%s: one corrupted super-block scale fails the check', async (format) => {
    await withDevice(async ({ device }, res) => {
      const { linearFixture, linearThreshold } = await import('../../src/kernels/linear/check');
      const { verify } = await import('../../src/core/verify');
      const c: LinearCase = { format, K: 512, N: 7, rows: 2, bias: false, residual: false, parts: 1 };
      const fixture = await linearFixture(device, res, c, TIMEOUT_MS);
      const work = (await createLinear(device, c)).bind(fixture.args, res);
      const check = fixture.check(linearThreshold({ wg: 64, rows: 2, vs: 1, reduce: 'tree' }));
      expectPassed(await verify(device, work, check));
      const part = fixture.args.w.parts[0]!;
      // Block 3 (row 1, second block): d of q6_k is the high half of scale word 1; q4_k/q5_k's header is word 0 of the block.
      if (format === 'q6_k') device.queue.writeBuffer(part.scales!, 4, new Uint32Array([0x3c003c00]));
      else device.queue.writeBuffer(part.data, 3 * (format === 'q4_k' ? 144 : 176), new Uint32Array([0x3c003c00]));
      const v = await verify(device, work, check);
      expect(v.state).toBe('failed');
      expect(v.error).toBeGreaterThan(1e-2);
    });
  });

  test('a skipped k-quant dispatch leaves poison and fails', async () => {
    await withDevice(async ({ device }) => {
      const v = await verifyLinear(device, { format: 'q5_k', K: 256, N: 9, rows: 4, bias: true, residual: false, parts: 1 }, TIMEOUT_MS, { tamper: skip });
      expect(v.state).toBe('failed');
      expect(v.detail).toMatch(/not written/);
    });
  });

  test('a skipped SwiGLU dispatch leaves poison and fails', async () => {
    await withDevice(async ({ device }) => {
      const c: LinearCase = { format: 'q4_0', K: 64, N: 34, rows: 3, bias: false, residual: false, parts: 1, norm: { eps: 1e-5 }, swiglu: true };
      const v = await verifyLinear(device, c, TIMEOUT_MS, { tamper: skip });
      expect(v.state).toBe('failed');
      expect(v.detail).toMatch(/not written/);
    });
  });

  test('bind rejects SwiGLU weights whose parts split a (gate, up) pair', async () => {
    await withDevice(async ({ device }) => {
      const res = new Resources();
      try {
        const layer = await createLinear(device, { format: 'f32', K: 32, N: 10, bias: false, residual: false, swiglu: true });
        const w = allocTensor(device, res, 'w', 'f32', 10, 32, 3 * 32 * 4); // parts of 3 rows
        const buf = createBuffer(device, res, 'buf', 4096);
        expect(() => layer.bind({ x: buf, w, y: buf, rows: 1 }, res)).toThrow(/whole \(gate, up\) pairs/);
        const even = allocTensor(device, res, 'w2', 'f32', 10, 32, 3 * 32 * 4, 2); // parts of 2 rows
        expect(even.parts.map((p) => p.rows)).toEqual([2, 2, 2, 2, 2]);
        expect(() => layer.bind({ x: buf, w: even, y: buf, rows: 1 }, res)).not.toThrow();
      } finally {
        res.destroyAll();
      }
    });
  });

  test('bind requires norm weights exactly when the layer has the norm prologue', async () => {
    await withDevice(async ({ device }) => {
      const res = new Resources();
      try {
        const normed = await createLinear(device, { format: 'q8_0', K: 32, N: 4, bias: false, residual: false, norm: { eps: 1e-6 } });
        const plain = await createLinear(device, { format: 'q8_0', K: 32, N: 4, bias: false, residual: false });
        const w = allocTensor(device, res, 'w', 'q8_0', 4, 32, 1 << 20);
        const buf = createBuffer(device, res, 'buf', 4096);
        expect(() => normed.bind({ x: buf, w, y: buf, rows: 1 }, res)).toThrow(/norm weights are required/);
        expect(() => plain.bind({ x: buf, w, y: buf, rows: 1, norm: buf }, res)).toThrow(/without norm/);
        expect(normed.bind({ x: buf, w, y: buf, rows: 1, norm: buf }, res).label).toBe('linear_q8_0_norm');
      } finally {
        res.destroyAll();
      }
    });
  });

  test('bind rejects weights of another shape', async () => {
    await withDevice(async ({ device }) => {
      const res = new Resources();
      try {
        const layer = await createLinear(device, { format: 'q4_0', K: 64, N: 10, bias: false, residual: false });
        const w = allocTensor(device, res, 'w', 'q4_0', 10, 32, 1 << 20);
        const buf = createBuffer(device, res, 'buf', 4096);
        expect(() => layer.bind({ x: buf, w, y: buf, rows: 1 }, res)).toThrow(/expected q4_0 \[10, 64\]/);
      } finally {
        res.destroyAll();
      }
    });
  });
});

describe('run-time self check', () => {
  test('checkLinear passes on every format', async () => {
    await withDevice(async ({ device }) => {
      const v = await checkLinear(device, TIMEOUT_MS);
      expect(v.state, v.detail).toBe('passed');
      expect(v.checked).toBe(LINEAR_CHECK_CASES.reduce((s, c) => s + linearOutputs(c), 0));
      expect(v.method).toMatch(/norm.*swiglu/);
      for (const f of WEIGHT_FORMATS) expect(v.method).toContain(f);
    });
  });
});

describe('residual mode: outputs outside the sampled columns are checked for being written', () => {
  test.each(['f32', 'q8_0'] as const)('%s: a unit that leaves the last rows of y untouched fails with the count of unwritten outputs', async (format) => {
    await withDevice(async (ctx, res) => {
      const { linearFixture, linearThreshold } = await import('../../src/kernels/linear/check');
      const { verify } = await import('../../src/core/verify');
      const { DEFAULT_LINEAR_PARAMS } = await import('../../src/kernels/linear/variants');
      const c: LinearCase = { format, rows: 1, K: 64, N: 200, bias: false, residual: true, parts: 1 };
      // 16 sampled columns of 200 (both ends among them), as a real-shape tuning check samples.
      const fixture = await linearFixture(ctx.device, res, c, TIMEOUT_MS, 16);
      const check = fixture.check(linearThreshold(DEFAULT_LINEAR_PARAMS));
      const whole = (await createLinear(ctx.device, c)).bind(fixture.args, res);
      const ok = await verify(ctx.device, whole, check);
      expect(ok.state, ok.detail).toBe('passed');
      // The same kernel over the first 150 rows of W only: outputs 150..199 are never written.
      const w = fixture.args.w;
      const part = w.parts[0]!;
      const short = { ...w, rows: 150, parts: [{ ...part, rows: 150 }] };
      const broken = (await createLinear(ctx.device, { ...c, N: 150 })).bind({ ...fixture.args, w: short }, res);
      const bad = await verify(ctx.device, broken, check);
      expect(bad.state).toBe('failed');
      const unwritten = Number(/(\d+) outputs not written/.exec(bad.detail ?? '')?.[1]);
      // Untouched outputs outside the sampled columns are counted (before, their finite pre-fill hid them);
      // the sampled ones among the 50 (at least the last column) fail the error against the reference.
      expect(unwritten).toBeGreaterThanOrEqual(50 - 16);
      expect(unwritten).toBeLessThan(50);
      expect(bad.error).toBeGreaterThan(bad.threshold);
    });
  });
});
