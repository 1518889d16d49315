import { describe, expect, test } from 'vitest';
import type { Arch } from '../../src/model/types';
import { PRESETS } from '../../src/model/presets';
import { decodeTraffic } from '../../src/model/traffic';
import { decodeBytesPerToken } from '../../src/model/accounting';
import type { BenchResult, TimerInfo } from '../../src/schema/result';
import { createTimer } from '../../src/measure/timer';
import { formats } from '../../src/result/formats';
import { validResult as fakeResult } from '../unit/fixtures';
import { type GenEnv, runWorkload } from '../../src/run/phases/generation';
import { withDevice } from './helpers';

const timer: TimerInfo = { source: 'wall-clock', resolutionNs: 1000, quantized: false, roundTripNs: 1e5, notes: 'test' };

function env(device: GPUDevice, over: Partial<GenEnv['gen']> = {}, timerInfo: TimerInfo = timer): GenEnv {
  return {
    device,
    timer: timerInfo,
    gen: { models: [], formats: ['f32'], promptLens: [8], genTokens: 2, depths: [0], batches: [1], reps: 1, ...over },
    maxSubmitMs: 1000,
    timeoutMs: 60_000,
    signal: { cancelled: false },
    ceilings: { readGBs: 10, fmaGflops: 100, matrixGflops: null },
    onStep: () => {},
  };
}

describe('workload preflight and gating', () => {
  test('a workload whose KV cache cannot fit is skipped with the numbers, before allocating', async () => {
    await withDevice(async (ctx) => {
      const wide: Arch = { ...(PRESETS.tiny as Arch), name: 'wide-kv', heads: 64, kvHeads: 64, headDim: 128, hidden: 256 };
      const w = await runWorkload(env(ctx.device, { depths: [40_000] }), 'custom', wide, 'f32', null);
      expect(w.state).toBe('skipped');
      expect(w.reason).toMatch(/KV cache for one layer needs \d+ bytes > maxStorageBufferBindingSize \d+/);
      expect(w.accounting?.weightBytes).toBeGreaterThan(0);
      expect(w.tests).toEqual([]);
    });
  });

  test('a workload whose checks failed is reported invalid and never timed', async () => {
    await withDevice(async (ctx) => {
      const w = await runWorkload(env(ctx.device), 'tiny', PRESETS.tiny as Arch, 'q4_0', 'full-forward check failed in q4_0');
      expect(w.state).toBe('invalid');
      expect(w.reason).toMatch(/full-forward check failed/);
      expect(w.tests).toEqual([]);
    });
  });

  test('a tiny workload with wall-clock timing reports both rates and no GPU figure', async () => {
    await withDevice(async (ctx) => {
      const w = await runWorkload(env(ctx.device, { batches: [1, 3], depths: [0, 5] }), 'tiny', PRESETS.tiny as Arch, 'f16', null);
      expect(w.state, w.reason).toBe('ok');
      expect(w.tests.map((t) => t.name)).toEqual(['pp8', 'tg2', 'tg2@d5', 'tg2 b3']);
      for (const t of w.tests) {
        expect(t.gpu).toBeNull();
        expect(t.wall.median).toBeGreaterThan(0);
        expect(t.bounds?.efficiency).toBeGreaterThan(0);
        if (t.kind === 'prefill') {
          expect(t.traffic).toBeUndefined();
          continue;
        }
        // Traffic per generated token from the built ops at the mean of state[0] over the 2 steps.
        const pos = t.depth + 0.5;
        const pure = decodeTraffic(PRESETS.tiny as Arch, 'f16', t.batch, pos);
        expect(t.traffic).toMatchObject({ pos, readPerToken: pure.read / t.batch, neededPerToken: pure.needed / t.batch });
        expect(t.traffic?.ratio).toBeCloseTo(pure.ratio, 12);
      }
      // Accounting: q/k/v/o/gate/up/down + embedding + untied head, f16 = 2 bytes per weight.
      expect(w.accounting?.decodeBytesPerToken).toBeGreaterThan(w.accounting!.weightBytes * 0.5);
      expect(w.profile).toBeUndefined();
    });
  });

  test('an f16 KV cache: the workload counts K and V at 2 bytes, as its built ops read them', async () => {
    await withDevice(async (ctx) => {
      const arch = PRESETS.tiny as Arch;
      const w = await runWorkload(env(ctx.device, { depths: [5], kvType: 'f16' }), 'tiny', arch, 'q8_0', null);
      expect(w.state, w.reason).toBe('ok');
      const t = w.tests.find((x) => x.kind === 'decode');
      const pure = decodeTraffic(arch, 'q8_0', 1, 5.5, undefined, 'f16');
      expect(t?.traffic).toMatchObject({ readPerToken: pure.read, neededPerToken: pure.needed });
      expect(pure.needed).toBeLessThan(decodeTraffic(arch, 'q8_0', 1, 5.5).needed);
      expect(w.accounting?.decodeBytesPerToken).toBe(decodeBytesPerToken(arch, 'q8_0', 0, 1, undefined, 'f16').perToken);
    });
  });

  // SwiftShader has timestamp-query: these runs take real GPU spans and judge them against the timer's quantum.
  const gpuTimer = (resolutionNs: number, quantized: boolean): TimerInfo => ({ source: 'gpu-timestamp', resolutionNs, quantized, roundTripNs: 1e5, notes: 'test' });

  test('spans shorter than 20 timer quanta are not GPU figures: wall clock reported, gpuNote says why', async () => {
    await withDevice(async (ctx) => {
      // A 10 s quantum: no tiny-model span reaches 20 quanta.
      const w = await runWorkload(env(ctx.device, { reps: 2 }, gpuTimer(1e10, true)), 'tiny', PRESETS.tiny as Arch, 'q8_0', null);
      expect(w.state, w.reason).toBe('ok');
      for (const t of w.tests) {
        expect(t.gpu, t.name).toBeNull();
        expect(t.gpuNote).toMatch(/shorter than 20 timer quanta/);
        expect(t.wall.median).toBeGreaterThan(0);
      }
    });
  });

  test('quantised timestamps give no inter-token percentiles (n/a with the reason); unquantised ones do, with busy time beside the end-to-end span', async () => {
    await withDevice(async (ctx) => {
      const coarse = await runWorkload(env(ctx.device, { reps: 2, genTokens: 3 }, gpuTimer(1, true)), 'tiny', PRESETS.tiny as Arch, 'q8_0', null);
      const decode = coarse.tests.find((t) => t.kind === 'decode');
      expect(decode?.itlNs).toBeUndefined();
      expect(decode?.stepNs).toBeUndefined();
      expect(decode?.itlNote).toMatch(/^n\/a: per-token latency needs per-token samples; GPU timestamps are quantised/);
      expect(decode?.gpu?.median).toBeGreaterThan(0);
      const fine = await runWorkload(env(ctx.device, { reps: 2, genTokens: 3 }, gpuTimer(1, false)), 'tiny', PRESETS.tiny as Arch, 'q8_0', null);
      const d = fine.tests.find((t) => t.kind === 'decode');
      expect(d?.itlNs?.p50).toBeGreaterThan(0);
      expect(d?.stepNs).toHaveLength(2 * 3);
      expect(d?.itlSource).toBe('gpu-timestamp');
      // End-to-end includes the gaps between step passes: never shorter than the passes alone.
      expect(d?.gpuBusy?.median).toBeGreaterThanOrEqual(d?.gpu?.median ?? Infinity);
      d?.gpu?.samplesNs.forEach((ns, i) => expect(ns).toBeGreaterThanOrEqual(d.gpuBusy?.samplesNs[i] ?? Infinity));
    });
  });

  test('decode GEMV: the same projection timed cache-resident (for reference) and streamed through distinct copies (the figure)', async () => {
    await withDevice(async (ctx) => {
      const kernelTimer = await createTimer(ctx.device, { forceWallClock: false, timeoutMs: 60_000 });
      const e = { ...env(ctx.device, { reps: 1 }, gpuTimer(1, false)), kernelTimer, stream: { targetBytes: 1 << 24, maxCopies: 5 } };
      const w = await runWorkload(e, 'tiny', PRESETS.tiny as Arch, 'q8_0', null);
      expect(w.state, w.reason).toBe('ok');
      expect(w.gemv?.map((g) => g.role)).toEqual(['qkv', 'o', 'gateUp', 'down', 'head']);
      for (const g of w.gemv ?? []) {
        // tiny has 2 layers: 3 fresh copies are added to reach 5 (the head has 1 matrix: 4 are added); 16 MiB is
        // more than 5 copies of any of its matrices, so every figure stops at the cap and says so.
        expect(g.streamed).toMatchObject({ copies: 5, distinctBytes: 5 * g.readBytes, cacheSafe: false });
        expect(g.streamed?.note).toMatch(/a cache may serve it/);
        expect(g.resident?.gbps).toBeGreaterThan(0);
        expect(g.gbps).toBeCloseTo(g.readBytes / g.timing.perUnitNs.median, 9);
        // The ceiling in env() is 10 GB/s: SwiftShader stays far below it, so the figures are plausible.
        expect(g.state).toBe('ok');
      }
      const text = formats.text({ ...fakeResult(), phases: [{ id: 'generation', title: 'g', startedAt: '', durationMs: 0, state: 'completed', measurements: [], workloads: [w] }] } as BenchResult);
      expect(text).toMatch(/qkv \S+ GB\/s \(\d+% of read\) streamed over 5 copies, not cache-safe \[one copy, cache-resident: \S+ GB\/s\]/);
    });
  });

  test('a decode GEMV figure above the measured read ceiling is implausible and withheld from the report', async () => {
    await withDevice(async (ctx) => {
      const kernelTimer = await createTimer(ctx.device, { forceWallClock: false, timeoutMs: 60_000 });
      const e = { ...env(ctx.device, { reps: 1 }, gpuTimer(1, false)), kernelTimer, ceilings: { readGBs: 1e-9, fmaGflops: 100, matrixGflops: null } };
      const w = await runWorkload(e, 'tiny', PRESETS.tiny as Arch, 'q8_0', null);
      expect(w.gemv?.every((g) => g.state === 'implausible')).toBe(true);
      const text = formats.text({ ...fakeResult(), phases: [{ id: 'generation', title: 'g', startedAt: '', durationMs: 0, state: 'completed', measurements: [], workloads: [w] }] } as BenchResult);
      expect(text).toMatch(/qkv withheld: \S+ GB\/s is above the read ceiling \(implausible\)/);
    });
  });
});
