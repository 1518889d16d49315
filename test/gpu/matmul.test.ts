import { describe, expect, test } from 'vitest';
import { createMatmul } from '../../src/kernels/matmul';
import { withDevice } from './helpers';

const opts = { seed: 99, timeoutMs: 60_000 };

describe('tiled f32 matmul matches the float64 CPU reference', () => {
  test.each([
    { M: 64, N: 64, K: 64 },
    { M: 1, N: 1, K: 1 },
    { M: 127, N: 129, K: 131 },
    { M: 65, N: 3, K: 200 },
    { M: 5, N: 300, K: 17 },
    { M: 256, N: 192, K: 96 },
  ])('$M x $N x $K', async (shape) => {
    await withDevice(async (ctx, res) => {
      const mm = await createMatmul(ctx.device, res, shape, opts);
      const v = await mm.verify();
      expect(v.state, `${v.method} error=${v.error} ${v.detail ?? ''}`).toBe('passed');
      expect(v.checked).toBe(shape.M * shape.N);
      expect(mm.amount.flops).toBe(2 * shape.M * shape.N * shape.K);
    });
  });

  test('a large shape is checked on sampled outputs including the edges', async () => {
    await withDevice(async (ctx, res) => {
      const shape = { M: 513, N: 511, K: 300 };
      const mm = await createMatmul(ctx.device, res, shape, opts);
      const v = await mm.verify();
      expect(v.state, v.detail).toBe('passed');
      expect(v.method).toMatch(/sampled/);
      expect(v.checked).toBeGreaterThan(700);
    });
  });

  test('skipped work is caught: poisoned outputs fail the check', async () => {
    await withDevice(async (ctx, res) => {
      const mm = await createMatmul(ctx.device, res, { M: 70, N: 70, K: 70 }, opts);
      const v = await mm.verify({ label: 'nothing', encode: () => {} });
      expect(v.state).toBe('failed');
      expect(v.detail).toMatch(/not written/);
    });
  });
});
