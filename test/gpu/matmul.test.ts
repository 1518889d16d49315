import { describe, expect, test } from 'vitest';
import { feasible } from '../../src/core/variant';
import { createMatmul } from '../../src/kernels/matmul/matmul';
import { MATMUL_VARIANTS } from '../../src/kernels/matmul/variants';
import { sharedDevice } from './helpers';

const opts = { seed: 99, timeoutMs: 60_000 };
const { device, withRes } = sharedDevice();

/** Shapes that are and are not multiples of every tile and of 4 (the vec4 kernel's aligned path). */
const SHAPES = [
  { M: 64, N: 64, K: 64 },
  { M: 1, N: 1, K: 1 },
  { M: 127, N: 129, K: 131 },
  { M: 65, N: 3, K: 200 },
  { M: 5, N: 300, K: 17 },
  { M: 256, N: 192, K: 96 },
  { M: 130, N: 132, K: 36 }, // aligned N and K, edge tiles on both sides
];

const CASES = MATMUL_VARIANTS.flatMap((variant) => SHAPES.map((shape) => ({ id: variant.id, ...shape })));

describe('f32 matmul variants match the float64 CPU reference', () => {
  test('SwiftShader runs every variant (so every case below is exercised)', () => {
    expect(feasible(MATMUL_VARIANTS, device()).map((v) => v.id)).toEqual(MATMUL_VARIANTS.map((v) => v.id));
  });

  test.each(CASES)('$id $M x $N x $K', async ({ id, ...shape }) => {
    await withRes(async (dev, res) => {
      const mm = await createMatmul(dev, res, shape, { ...opts, variant: id });
      const v = await mm.check();
      expect(v.state, `${v.method} error=${v.error} ${v.detail ?? ''}`).toBe('passed');
      expect(v.checked).toBe(shape.M * shape.N);
      expect(mm.params.variant).toBe(id);
      expect(mm.cost(0)).toEqual({ read: 4 * (shape.M * shape.K + shape.K * shape.N), written: 4 * shape.M * shape.N, flops: 2 * shape.M * shape.N * shape.K });
      expect(mm.variant).toBe(id);
    });
  });

  test.each(MATMUL_VARIANTS.map((v) => ({ id: v.id })))('$id: a large shape is checked on sampled outputs including the edges', async ({ id }) => {
    await withRes(async (dev, res) => {
      const shape = { M: 513, N: 511, K: 300 };
      const mm = await createMatmul(dev, res, shape, { ...opts, variant: id });
      const v = await mm.check();
      expect(v.state, v.detail).toBe('passed');
      expect(v.method).toMatch(/sampled/);
      expect(v.checked).toBeGreaterThan(700);
    });
  });

  test('the default is the first variant, named in the result', async () => {
    await withRes(async (dev, res) => {
      const mm = await createMatmul(dev, res, { M: 8, N: 8, K: 8 }, opts);
      expect(mm.params.variant).toBe('tile64x64k16_4x4');
      expect(mm.params.tile).toBe('64x64x16');
    });
  });

  test('skipped work is caught: poisoned outputs fail the check', async () => {
    await withRes(async (dev, res) => {
      const mm = await createMatmul(dev, res, { M: 70, N: 70, K: 70 }, opts);
      const v = await mm.check({ label: 'nothing', encode: () => {} });
      expect(v.state).toBe('failed');
      expect(v.detail).toMatch(/not written/);
    });
  });
});
