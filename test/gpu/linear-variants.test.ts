import { describe, expect, test } from 'vitest';
import {
  DEFAULT_LINEAR_VARIANT,
  LINEAR_CANDIDATES,
  type LinearCase,
  type LinearVariant,
  TOKEN_TILES,
  createLinear,
  describeLinearCase,
  linearFixture,
  linearVariantId,
  linearVariantProblem,
  linearVariants,
  tokenTile,
  verifyLinear,
} from '../../src/kernels/linear/linear';
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
    const all = new Set(TOKEN_TILES.flatMap((tt) => linearVariants(device(), { norm: { eps: 0 } }, tt).map(linearVariantId)));
    // All but the subgroup-matrix ones (no matrix units here: test/gpu/linear-sgmat.test.ts).
    expect(all.size).toBe(LINEAR_CANDIDATES.filter((v) => v.kind !== 'sgmat').length);
  });

  test.each(cases)('$name', async ({ c, variant }) => {
    const tt = tokenTile(c.rows);
    const problem = linearVariantProblem(device(), c, tt, variant);
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
  const wide: LinearVariant = { wg: 256, rows: 2, vs: 1, reduce: 'tree' };

  test('a workgroup larger than the device allows is refused', () => {
    expect(linearVariantProblem(fake({ maxComputeInvocationsPerWorkgroup: 128 }), {}, 1, wide)).toMatch(/exceeds/);
  });
  test('tree workgroup memory is checked against maxComputeWorkgroupStorageSize', () => {
    // 256 threads x (2 rows + norm) x 8 tokens x 4 B = 24 KiB.
    expect(linearVariantProblem(fake({}), { norm: { eps: 0 } }, 8, wide)).toMatch(/24576 B/);
    expect(linearVariantProblem(fake({ maxComputeWorkgroupStorageSize: 32768 }), { norm: { eps: 0 } }, 8, wide)).toBeUndefined();
  });
  test('subgroup variants need the feature; SwiGLU needs even rows', () => {
    const sg: LinearVariant = { wg: 64, rows: 2, vs: 1, reduce: 'subgroup' };
    expect(linearVariantProblem(fake({}), {}, 1, sg)).toMatch(/subgroups feature/);
    expect(linearVariantProblem(fake({}, ['subgroups']), {}, 1, sg)).toBeUndefined();
    expect(linearVariantProblem(fake({}), { swiglu: true }, 1, { wg: 64, rows: 1, vs: 1, reduce: 'tree' })).toMatch(/even/);
  });
  test('the default variant runs everywhere WebGPU runs (default limits, no features)', () => {
    for (const tt of TOKEN_TILES) {
      expect(linearVariants(fake({}), { norm: { eps: 0 }, swiglu: true }, tt)[0]).toEqual(DEFAULT_LINEAR_VARIANT);
    }
  });
});

describe('real-shape check on sampled columns', () => {
  const big: LinearCase = { format: 'q4_0', K: 2048, N: 3000, rows: 1, bias: true, residual: false, parts: 1, norm: { eps: 1e-5 } };

  test('passes for a correct variant and names the sampling', async () => {
    await withRes(async (d, res) => {
      const f = await linearFixture(d, res, big, TIMEOUT_MS, 48);
      const op = (await createLinear(d, { ...big, variants: { 1: LINEAR_CANDIDATES[3]! }, tiles: [1] })).bind(f.args, res);
      const v = await f.check(op);
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
      const v = await f.check(plain.bind(args, res));
      expect(v.state).toBe('failed');
      expect(v.error).toBeGreaterThan(1e-3);
    });
  });

  test('fails when a sampled-out output is left unwritten', async () => {
    await withRes(async (d, res) => {
      const f = await linearFixture(d, res, big, TIMEOUT_MS, 48);
      const v = await f.check({ label: 'nothing', encode: () => {} });
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
    for (const v of tiled) expect(linearVariantProblem(device(), {}, 4, v)).toMatch(/token tile 8 only/);
  });
  test.each(cases)('$name', async ({ c }) => {
    const v = await verifyLinear(device(), c, TIMEOUT_MS);
    expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
  });
});
