/**
 * A result with roofline figures and one token workload, for the cost, formats, compare and board tests.
 * Samples are chosen so that the figures come out as asked; every figure is then derived from them with the
 * run's own functions, so the result passes the integrity check (src/result/integrity.ts) like a real one.
 */
import { metricFrom } from '../../src/measure/measure';
import { latencyPercentiles, perUnitSummary, rateOf, tokensPerSecond } from '../../src/measure/stats';
import { efficiencyOf, medianMsPerToken, perSequenceRate } from '../../src/measure/token-figures';
import type { BenchResult, Measurement, TokenTest, Workload } from '../../src/schema/result';
import { validResult } from './fixtures';

const tiny = {
  name: 'tiny', hidden: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 256,
  tiedEmbeddings: false, qkvBias: true, ropeTheta: 10000, normEps: 1e-5,
};

/** The double after (step 1) or before (step -1) a positive double. */
function adjacent(x: number, step: 1 | -1): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigUint64(0, v.getBigUint64(0) + BigInt(step));
  return v.getFloat64(0);
}

/** A time near `ns` for which `figure(time)` is exactly `want` (the figure's formula rounds; a few ulps away one hits). */
export function exactNs(ns: number, want: number, figure: (ns: number) => number): number {
  let [up, down] = [ns, ns];
  for (let i = 0; i < 64; i++) {
    if (figure(up) === want) return up;
    if (figure(down) === want) return down;
    [up, down] = [adjacent(up, 1), adjacent(down, -1)];
  }
  return ns;
}

/** A rate whose median is `tokPerSec`: samples of `tokens` tokens each (jitter's median is 1), spread derived. */
function rate(tokens: number, tokPerSec: number, jitter: number[] = [1, 0.98, 1.02]) {
  const ns = exactNs((tokens / tokPerSec) * 1e9, tokPerSec, (x) => tokensPerSecond(tokens, x));
  return rateOf(tokens, jitter.map((j) => ns * j));
}

export interface TokenRates {
  prefill: number;
  decode: number;
  /** Aggregate tok/s at batch 4. */
  batch4: number;
  /** Multiplies every per-step time (decode samples for significance). */
  stepScale?: number;
}

/** Six repetitions: enough for the rank test (3 vs 3 can never reach p < 0.05). */
const SIX = [1, 0.98, 1.02, 0.99, 1.01, 1];

type Measured = Pick<TokenTest, 'name' | 'kind' | 'promptLen' | 'depth' | 'batch' | 'tokens' | 'gpu' | 'wall' | 'stepNs'> & {
  bandwidth: number;
  compute: number;
};

/** A token test with every figure derived from its samples and bounds, as the run derives them. */
function tokenTest(m: Measured): TokenTest {
  const { bandwidth, compute, ...t } = m;
  const measured = (t.gpu ?? t.wall).median;
  const ms = (per: number) => ({ gpu: t.gpu ? medianMsPerToken(t.gpu.samplesNs, per) : null, wall: medianMsPerToken(t.wall.samplesNs, per) });
  return {
    ...t,
    ...(t.kind === 'prefill' ? { ttftMs: ms(1) } : { perSequence: perSequenceRate(measured, t.batch), tpotMs: ms(t.tokens) }),
    ...(t.stepNs ? { itlNs: latencyPercentiles(t.stepNs), itlSource: 'gpu-timestamp' as const } : {}),
    bounds: { bandwidth, compute, efficiency: efficiencyOf(measured, bandwidth, compute) },
  };
}

export function tokenTests(r: TokenRates): TokenTest[] {
  const steps = (tokPerSec: number, batch: number) =>
    Array.from({ length: 16 }, (_, i) => (batch / tokPerSec) * 1e9 * (1 + ((i * 7) % 5) / 100) * (r.stepScale ?? 1));
  return [
    tokenTest({
      name: 'pp16', kind: 'prefill', promptLen: 16, depth: 0, batch: 1, tokens: 16,
      gpu: rate(16, r.prefill), wall: rate(16, r.prefill * 0.9),
      bandwidth: r.prefill * 4, compute: r.prefill * 2,
    }),
    tokenTest({
      name: 'tg8', kind: 'decode', promptLen: 0, depth: 0, batch: 1, tokens: 8,
      gpu: rate(8, r.decode, SIX), wall: rate(8, r.decode * 0.9, SIX),
      stepNs: steps(r.decode, 1),
      bandwidth: r.decode * 5, compute: r.decode * 10,
    }),
    tokenTest({
      name: 'tg8 b4', kind: 'decode', promptLen: 0, depth: 0, batch: 4, tokens: 8,
      gpu: rate(32, r.batch4, SIX), wall: rate(32, r.batch4 * 0.9, SIX),
      stepNs: steps(r.batch4, 4),
      bandwidth: r.batch4 * 2, compute: r.batch4 * 10,
    }),
  ];
}

export function tokenWorkload(r: TokenRates): Workload {
  return {
    id: 'tiny-q4_0', preset: 'tiny', arch: tiny, format: 'q4_0', state: 'ok',
    accounting: {
      params: 94784, weightBytes: 55296, decodeBytesPerToken: 47140, flopsPerToken: 156160, memoryBytes: 113664,
      dispatchesPerDecodeStep: 33, dispatchesPerLayer: 14,
    },
    verification: { state: 'passed', method: 'tiny q4_0 forward vs float64', error: 1e-4, threshold: 1e-3, checked: 1280 },
    tests: tokenTests(r),
  };
}

function okMeasurement(id: string, label: string, kind: Measurement['kind'], unit: 'GB/s' | 'GFLOP/s', value: number, work: { bytes?: number; flops?: number }): Measurement {
  const amount = (unit === 'GB/s' ? work.bytes : work.flops) ?? 1;
  const ns = exactNs(amount / value, value, (x) => amount / x);
  const samplesNs = [ns, ns * 1.01, ns * 0.99, ns * 1.02, ns * 0.98];
  const timing = { source: 'gpu-timestamp' as const, unitsPerSample: 1, warmupSamples: 1, samplesNs, perUnitNs: perUnitSummary(samplesNs, 1) };
  return {
    id, label, kind, params: {}, work, state: 'ok', timing,
    metric: metricFrom(timing, amount, unit),
    verification: { state: 'passed', method: 'vs CPU reference', error: 0, threshold: 1e-4, checked: 100 },
    plausibility: { bound: 1e6, unit },
  };
}

/** A completed, verified hardware result with the given token rates and roofline ceilings. */
export function tokenResult(r: TokenRates = { prefill: 1000, decode: 100, batch4: 320 }, ceilings = { readGBs: 100, fmaGflops: 1000, matmulGflops: 400 }): BenchResult {
  const base = validResult();
  return {
    ...base,
    verification: { state: 'passed', passed: 5, failed: 0 },
    phases: [
      {
        id: 'roofline', title: 'Roofline probes', startedAt: base.startedAt, durationMs: 100, state: 'completed',
        measurements: [
          okMeasurement('read-bandwidth', 'read bandwidth (4 MiB)', 'bandwidth', 'GB/s', ceilings.readGBs, { bytes: 4 * 2 ** 20 }),
          okMeasurement('fma-f32', 'f32 FMA peak', 'compute', 'GFLOP/s', ceilings.fmaGflops, { flops: 2 ** 24 }),
        ],
      },
      {
        id: 'matmul', title: 'Matmul (f32, tiled)', startedAt: base.startedAt, durationMs: 100, state: 'completed',
        measurements: [
          okMeasurement('matmul-f32-64x64x64', 'matmul f32 64x64x64', 'matmul', 'GFLOP/s', ceilings.matmulGflops, { flops: 2 * 64 ** 3, bytes: 4 * 3 * 64 * 64 }),
        ],
      },
      {
        id: 'generation', title: 'Token generation', startedAt: base.startedAt, durationMs: 100, state: 'completed',
        measurements: [], workloads: [tokenWorkload(r)], checks: [],
      },
    ],
  };
}
