import { describe, expect, test } from 'vitest';
import { createTimer } from '../../src/measure/timer';
import { createMatmul } from '../../src/kernels/matmul/matmul';
import { PRESETS } from '../../src/model/presets';
import type { Arch } from '../../src/model/types';
import type { TimerInfo } from '../../src/schema/result';
import { runWorkload } from '../../src/run/phases/generation';
import { SUITES } from '../../src/run/suites';
import { withDevice } from './helpers';

/** Counts queue submits and the command buffers in them. */
function countSubmits(device: GPUDevice): { submits: number; buffers: number } {
  const counter = { submits: 0, buffers: 0 };
  const submit = device.queue.submit.bind(device.queue);
  device.queue.submit = (cbs: Iterable<GPUCommandBuffer>) => {
    const list = [...cbs];
    counter.submits++;
    counter.buffers += list.length;
    submit(list);
  };
  return counter;
}

describe('watchdog: long work is split across submits', () => {
  test('every suite keeps submits within 100 ms', () => {
    for (const s of Object.values(SUITES)) expect(s.config.maxSubmitMs).toBeLessThanOrEqual(100);
  });

  test('a unit of work longer than the submit budget is never batched: one unit, one sample per submit', async () => {
    await withDevice(async (ctx, res) => {
      const timer = await createTimer(ctx.device, { forceWallClock: false, timeoutMs: 60_000 });
      const mm = await createMatmul(ctx.device, res, { M: 96, N: 96, K: 96 }, { seed: 5, timeoutMs: 60_000 });
      const counter = countSubmits(ctx.device);
      // A 0.01 ms budget: every dispatch of this matmul on SwiftShader is far longer.
      const t = await timer.measure(mm, { warmup: 2, reps: 5, minSampleMs: 5, maxSubmitMs: 0.01, timeoutMs: 60_000 });
      expect(t.unitsPerSample).toBe(1);
      expect(t.samplesNs).toHaveLength(5);
      // calibration (1) + warm-up (2) + samples (5), each in its own submit (plus read-backs).
      expect(counter.submits).toBeGreaterThanOrEqual(8);
    });
  });

  test('decode steps are chunked to fit the budget: a tight budget means one step per submit', async () => {
    await withDevice(async (ctx) => {
      const gen = { models: [], formats: ['q4_0' as const], promptLens: [4], genTokens: 6, depths: [0], batches: [1], reps: 1 };
      const timer: TimerInfo = { source: 'wall-clock', resolutionNs: 1000, quantized: false, roundTripNs: 1e5, notes: 'test' };
      const env = (maxSubmitMs: number) => ({
        device: ctx.device,
        timer,
        gen,
        maxSubmitMs,
        timeoutMs: 60_000,
        signal: { cancelled: false },
        ceilings: { readGBs: null, fmaGflops: null, matrixGflops: null },
        onStep: () => {},
      });
      const tight = countSubmits(ctx.device);
      const w = await runWorkload(env(0.01), 'tiny', PRESETS.tiny as Arch, 'q4_0', null);
      expect(w.state, w.reason).toBe('ok');
      // warm-up (4 steps) + 6 steps, one submit each, plus prefill and read-backs.
      expect(tight.buffers).toBeGreaterThanOrEqual(10);
      const tightBuffers = tight.buffers;
      const loose = countSubmits(ctx.device);
      const w2 = await runWorkload(env(60_000), 'tiny', PRESETS.tiny as Arch, 'q4_0', null);
      expect(w2.state).toBe('ok');
      // With room to spare, the steps of a generation share a submit: fewer command buffers overall.
      expect(loose.buffers).toBeLessThan(tightBuffers);
    });
  });
});
