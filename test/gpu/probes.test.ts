import { describe, expect, test } from 'vitest';
import { createCopyProbe, createFmaProbe, createReadProbe } from '../../src/kernels/probes/probes';
import { withDevice } from './helpers';

const opts = { seed: 4242, timeoutMs: 60_000 };

describe('roofline probes match their CPU references', () => {
  // Sizes that are not multiples of the workgroup or of the grid stride, plus one that is.
  test.each([16 * 1000, 1 << 20, 16 * 77777])('read bandwidth over %i bytes', async (bytes) => {
    await withDevice(async (ctx, res) => {
      const probe = await createReadProbe(ctx.device, res, bytes, opts);
      const v = await probe.check();
      expect(v.state, v.detail).toBe('passed');
      expect(v.checked).toBeGreaterThan(0);
      expect(probe.cost(0)).toEqual({ read: Math.floor(bytes / 16) * 16, written: 0, flops: 0 });
    });
  });

  test.each([16 * 999, 1 << 20])('copy bandwidth over %i bytes', async (bytes) => {
    await withDevice(async (ctx, res) => {
      const probe = await createCopyProbe(ctx.device, res, bytes, opts);
      const v = await probe.check();
      expect(v.state, v.detail).toBe('passed');
      expect(v.checked).toBe(Math.floor(bytes / 16) * 4);
      expect(probe.cost(0)).toEqual({ read: Math.floor(bytes / 16) * 16, written: Math.floor(bytes / 16) * 16, flops: 0 });
    });
  });

  test.each([
    { threads: 1000, iterations: 33 },
    { threads: 4096, iterations: 128 },
  ])('f32 FMA peak, $threads threads x $iterations iterations', async ({ threads, iterations }) => {
    await withDevice(async (ctx, res) => {
      const probe = await createFmaProbe(ctx.device, res, { precision: 'f32', threads, iterations }, opts);
      const v = await probe.check();
      expect(v.state, v.detail).toBe('passed');
      expect(probe.cost(0)).toEqual({ read: 0, written: 0, flops: threads * iterations * 64 });
    });
  });
});

describe('probe checks can fail', () => {
  const nothing = { label: 'nothing', encode: () => {} };
  test.each(['read', 'copy', 'fma'] as const)('%s probe with its dispatch skipped fails verification', async (which) => {
    await withDevice(async (ctx, res) => {
      const probe =
        which === 'read'
          ? await createReadProbe(ctx.device, res, 1 << 16, opts)
          : which === 'copy'
            ? await createCopyProbe(ctx.device, res, 1 << 16, opts)
            : await createFmaProbe(ctx.device, res, { precision: 'f32', threads: 512, iterations: 8 }, opts);
      const v = await probe.check(nothing);
      expect(v.state).toBe('failed');
    });
  });

  test('f16 FMA probe is skipped with a reason when shader-f16 is missing, verified when present', async () => {
    await withDevice(async (ctx, res) => {
      if (!ctx.device.features.has('shader-f16')) {
        await expect(
          createFmaProbe(ctx.device, res, { precision: 'f16', threads: 256, iterations: 8 }, opts),
        ).rejects.toThrow(/shader-f16 not supported by this adapter/);
        return;
      }
      const probe = await createFmaProbe(ctx.device, res, { precision: 'f16', threads: 1000, iterations: 40 }, opts);
      expect((await probe.check()).state).toBe('passed');
    });
  });

  test.each(['read', 'copy'] as const)('%s bandwidth rotates through distinct copies, each checked: a broken copy fails the whole probe', async (kind) => {
    await withDevice(async (ctx, res) => {
      const make = kind === 'read' ? createReadProbe : createCopyProbe;
      const bytes = 16 * 4000;
      const probe = await make(ctx.device, res, bytes, { ...opts, copies: 3 });
      const perCopy = kind === 'read' ? bytes : 2 * bytes;
      expect(probe.params).toMatchObject({ copies: 3, distinctBytes: 3 * perCopy, cacheSafe: false });
      const v = await probe.check();
      expect(v.state, v.detail).toBe('passed');
      expect(v.method).toMatch(/each of 3 copies/);
      // A unit that skips its dispatch fails on every copy.
      const broken = await probe.check({ label: 'skip', encode: () => {} });
      expect(broken.state).toBe('failed');
      expect(broken.detail).toMatch(/copy 0.*copy 1.*copy 2/);
    });
  });
});
