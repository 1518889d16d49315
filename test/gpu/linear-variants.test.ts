import { describe, expect, test } from 'vitest';
import { feasible } from '../../src/core/variant';
import { verify } from '../../src/core/verify';
import { LINEAR_REL_L2_THRESHOLD, type LinearCase, describeLinearCase, linearFixture, verifyLinear } from '../../src/kernels/linear/check';
import { TOKEN_TILES, tokenTile } from '../../src/kernels/linear/config';
import { createLinear } from '../../src/kernels/linear/linear';
import { DEFAULT_LINEAR_PARAMS, LINEAR_CANDIDATES, type LinearParams, linearVariant, linearVariantId, linearVariants } from '../../src/kernels/linear/variants';
import type { WeightFormat } from '../../src/core/tensor';
import { TIMEOUT_MS, sharedDevice } from './helpers';

const { device, withRes } = sharedDevice();

/** Token counts hitting every tile (1, 4, 8 and several tiles of 8), each with a fused or plain mode. */
const SHAPES: ReadonlyArray<Omit<LinearCase, 'format'>> = [
  { K: 96, N: 37, rows: 1, bias: false, residual: false, parts: 1 },
  { K: 544, N: 61, rows: 3, bias: false, residual: true, parts: 3 },
  { K: 96, N: 37, rows: 5, bias: true, residual: false, parts: 3, norm: { eps: 0.25 } },
  { K: 544, N: 62, rows: 17, bias: false, residual: false, parts: 3, norm: { eps: 1e-5 }, swiglu: true },
];

/**
 * A variant changes threads, rows, steps per thread and the reduction, not the weight decoding: two
 * formats with different word layouts (16-byte f16 words, 4-byte q4_0 words with block scales) cover
 * it; linear.test.ts runs the default variant on every format.
 */
const FORMATS: readonly WeightFormat[] = ['f16', 'q4_0'];

const cases = LINEAR_CANDIDATES.flatMap((variant) =>
  FORMATS.flatMap((format) =>
    SHAPES.map((s) => {
      const c: LinearCase = { format, ...s, variants: { [tokenTile(s.rows)]: variant }, tiles: [tokenTile(s.rows)] };
      return { name: `${linearVariantId(variant)} ${describeLinearCase(c)}`, c, variant };
    }),
  ),
);

describe('every linear variant matches the float64 CPU reference', () => {
  test('this adapter can run the subgroup variants (so they are tested, not skipped)', () => {
    expect(device().features.has('subgroups')).toBe(true);
    const all = new Set(TOKEN_TILES.flatMap((tt) => feasible(linearVariants({ norm: { eps: 0 } }, tt), device()).map((v) => v.id)));
    // All but the subgroup-matrix ones (no matrix units here: test/gpu/linear-sgmat.test.ts).
    expect(all.size).toBe(LINEAR_CANDIDATES.filter((v) => v.kind !== 'sgmat').length);
  });

  test.each(cases)('$name', async ({ c, variant }) => {
    const tt = tokenTile(c.rows);
    const problem = linearVariant(c, tt, variant).problem(device());
    if (problem) {
      // An infeasible variant is refused when built, never run.
      await expect(createLinear(device(), c)).rejects.toThrow(problem);
      return;
    }
    const v = await verifyLinear(device(), c, TIMEOUT_MS);
    expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
  });
});

describe('variant limits come from the device', () => {
  const fake = (limits: Partial<GPUSupportedLimits>, features: string[] = []) =>
    ({
      limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 16384, ...limits },
      features: new Set(features),
    }) as unknown as GPUDevice;
  const wide: LinearParams = { wg: 256, rows: 2, vs: 1, reduce: 'tree' };
  const problem = (device: GPUDevice, cfg: Parameters<typeof linearVariant>[0], tt: number, p: LinearParams) => linearVariant(cfg, tt, p).problem(device);

  test('a workgroup larger than the device allows is refused', () => {
    expect(problem(fake({ maxComputeInvocationsPerWorkgroup: 128 }), {}, 1, wide)).toMatch(/exceeds/);
  });
  test('tree workgroup memory is checked against maxComputeWorkgroupStorageSize', () => {
    // 256 threads x (2 rows + norm) x 8 tokens x 4 B = 24 KiB.
    expect(problem(fake({}), { norm: { eps: 0 } }, 8, wide)).toMatch(/24576 B/);
    expect(problem(fake({ maxComputeWorkgroupStorageSize: 32768 }), { norm: { eps: 0 } }, 8, wide)).toBeUndefined();
  });
  test('subgroup variants need the feature; SwiGLU needs even rows', () => {
    const sg: LinearParams = { wg: 64, rows: 2, vs: 1, reduce: 'subgroup' };
    expect(problem(fake({}), {}, 1, sg)).toMatch(/subgroups feature/);
    expect(problem(fake({}, ['subgroups']), {}, 1, sg)).toBeUndefined();
    expect(problem(fake({}), { swiglu: true }, 1, { wg: 64, rows: 1, vs: 1, reduce: 'tree' })).toMatch(/even/);
  });
  test.each(TOKEN_TILES.map((tt) => ({ tt })))('the default variant runs everywhere WebGPU runs (default limits, no features), token tile $tt', ({ tt }) => {
    const [first] = feasible(linearVariants({ norm: { eps: 0 }, swiglu: true }, tt), fake({}));
    expect(first?.params).toEqual(DEFAULT_LINEAR_PARAMS);
    expect(linearVariants({}, tt)[0]?.id).toBe(linearVariantId(DEFAULT_LINEAR_PARAMS));
  });
});

describe('real-shape check on sampled columns', () => {
  const big: LinearCase = { format: 'q4_0', K: 2048, N: 3000, rows: 1, bias: true, residual: false, parts: 1, norm: { eps: 1e-5 } };

  test('passes for a correct variant and names the sampling', async () => {
    await withRes(async (d, res) => {
      const f = await linearFixture(d, res, big, TIMEOUT_MS, 48);
      const work = (await createLinear(d, { ...big, variants: { 1: LINEAR_CANDIDATES[3]! }, tiles: [1] })).bind(f.args, res);
      const v = await verify(d, work, f.check(LINEAR_REL_L2_THRESHOLD));
      expect(v.state, v.detail).toBe('passed');
      expect(v.checked).toBe(48);
      expect(v.method).toMatch(/48 sampled columns/);
    });
  });

  test('fails when the layer computes something else (no norm prologue on normed weights)', async () => {
    await withRes(async (d, res) => {
      const f = await linearFixture(d, res, big, TIMEOUT_MS, 48);
      const { norm: _norm, ...plainCase } = big;
      const { norm: _normBuffer, ...args } = f.args;
      const plain = await createLinear(d, { ...plainCase, tiles: [1] });
      const v = await verify(d, plain.bind(args, res), f.check(LINEAR_REL_L2_THRESHOLD));
      expect(v.state).toBe('failed');
      expect(v.error).toBeGreaterThan(1e-3);
    });
  });

  test('fails when a sampled-out output is left unwritten', async () => {
    await withRes(async (d, res) => {
      const f = await linearFixture(d, res, big, TIMEOUT_MS, 48);
      const v = await verify(d, { label: 'nothing', encode: () => {} }, f.check(LINEAR_REL_L2_THRESHOLD));
      expect(v.state).toBe('failed');
      expect(v.detail).toMatch(/3000 outputs not written/);
    });
  });
});

describe('the tiled GEMM variants (token tile 8) on edge shapes', () => {
  const tiled = LINEAR_CANDIDATES.filter((v) => v.kind === 'tiled');
  // K not a multiple of the K slice (104 = 3 x 32 + 8; 6 x 16 + 8), tokens spanning several token tiles
  // with a partial last one, row parts that are not multiples of the row tile, and every fusion.
  const shapes: Array<Omit<LinearCase, 'format'>> = [
    { K: 104, N: 37, rows: 70, bias: true, residual: false, parts: 1 },
    { K: 104, N: 61, rows: 9, bias: false, residual: true, parts: 3 },
    { K: 104, N: 37, rows: 33, bias: true, residual: false, parts: 3, norm: { eps: 0.25 } },
    { K: 104, N: 130, rows: 65, bias: false, residual: false, parts: 3, norm: { eps: 1e-5 }, swiglu: true },
  ];
  const cases = tiled.flatMap((variant) =>
    (['f32', 'f16'] as const).flatMap((format) =>
      shapes.map((s) => {
        const c: LinearCase = { format, ...s, variants: { 8: variant }, tiles: [8] };
        return { name: `${linearVariantId(variant)} ${describeLinearCase(c)}`, c };
      }),
    ),
  );
  test('there are tiled candidates, refused below token tile 8', () => {
    expect(tiled.length).toBeGreaterThan(0);
    for (const v of tiled) expect(linearVariant({}, 4, v).problem(device())).toMatch(/token tile 8 only/);
  });
  test.each(cases)('$name', async ({ c }) => {
    const v = await verifyLinear(device(), c, TIMEOUT_MS);
    expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
  });
});
