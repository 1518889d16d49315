/**
 * Hand-built result fixtures for the schema tests: small, valid, and easy to break one field at a time.
 * Derived figures come from the samples through the run's own functions, so the fixtures also pass the
 * integrity check (src/result/integrity.ts).
 */
import { metricFrom } from '../../src/measure/measure';
import { latencyPercentiles, perUnitSummary, rateOf } from '../../src/measure/stats';
import { efficiencyOf, medianMsPerToken, perSequenceRate } from '../../src/measure/token-figures';
import type { BenchResult, Measurement, Timing } from '../../src/schema/result';
import { sampleHeader } from '../../bench/board/sample-results';

const samplesNs = [1000, 900, 1200];
const timing: Timing = { source: 'gpu-timestamp', unitsPerSample: 1, warmupSamples: 2, samplesNs, perUnitNs: perUnitSummary(samplesNs, 1) };

const okMeasurement: Measurement = {
  id: 'read-bw-64MiB',
  label: 'Read bandwidth, 64 MiB',
  kind: 'bandwidth',
  params: { bytes: 67_108_864, workgroupSize: 256, vec4: true, layout: 'grid-stride' },
  work: { bytes: 67_108_864 },
  state: 'ok',
  timing,
  metric: metricFrom(timing, 67_108_864, 'GB/s'),
  verification: {
    state: 'passed',
    method: 'relative L2 vs float64 CPU reference on 1024 sampled outputs',
    error: 1.2e-7,
    threshold: 1e-5,
    checked: 1024,
  },
  plausibility: { bound: 5000, unit: 'GB/s' },
};

const skippedMeasurement: Measurement = {
  id: 'fma-f16',
  label: 'FMA peak, f16',
  kind: 'compute',
  params: { precision: 'f16' },
  work: {},
  state: 'skipped',
  reason: 'shader-f16 not supported by this adapter: f16 presets skipped',
};

const invalidMeasurement: Measurement = {
  id: 'matmul-f32-257',
  label: 'Tiled matmul 257x257x257, f32',
  kind: 'matmul',
  params: { M: 257, N: 257, K: 257 },
  work: { flops: 2 * 257 ** 3 },
  state: 'invalid',
  verification: {
    state: 'failed',
    method: 'relative L2 vs float64 CPU reference on full output',
    error: -1,
    threshold: 1e-5,
    checked: 66_049,
    detail: 'non-finite output at index 17',
  },
  reason: 'output does not match the CPU reference',
};

/** A fresh, valid result (a new object each call, so tests may mutate it). */
export function validResult(): BenchResult {
  return {
    ...sampleHeader(),
    phases: [
      {
        id: 'roofline',
        title: 'Roofline probes',
        startedAt: '2025-01-02T03:04:06.000Z',
        durationMs: 8123.5,
        state: 'completed',
        measurements: [
          structuredClone(okMeasurement),
          structuredClone(skippedMeasurement),
          structuredClone(invalidMeasurement),
        ],
      },
    ],
    errors: [],
    verification: { state: 'failed', passed: 1, failed: 1 },
  };
}

/** A valid result with a generation phase holding one workload (prefill + decode tests) and checks. */
export function validResultWithWorkload(): BenchResult {
  const r = validResult();
  const ns = [1e8, 1.1e8, 0.9e8];
  const [pp, tg] = [rateOf(16, ns), rateOf(4 * 8, ns)];
  const stepNs = [4e7, 4.1e7, 3.9e7];
  r.phases.push({
    id: 'generation',
    title: 'Token generation',
    startedAt: r.startedAt,
    durationMs: 1234,
    state: 'completed',
    measurements: [],
    checks: [{ id: 'linear', verification: { state: 'passed', method: 'm', error: 1e-7, threshold: 1e-5, checked: 10 } }],
    workloads: [
      {
        id: 'tiny-q4_0',
        preset: 'tiny',
        arch: { name: 'tiny', hidden: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 256, tiedEmbeddings: false, qkvBias: true, ropeTheta: 10000, normEps: 1e-5 },
        format: 'q4_0',
        state: 'ok',
        accounting: { params: 1e5, weightBytes: 5e4, decodeBytesPerToken: 6e4, flopsPerToken: 2e5, memoryBytes: 1e6, dispatchesPerDecodeStep: 33, dispatchesPerLayer: 14 },
        verification: { state: 'passed', method: 'forward', error: 1e-4, threshold: 1e-3, checked: 1280 },
        tests: [
          { name: 'pp16', kind: 'prefill', promptLen: 16, depth: 0, batch: 1, tokens: 16, gpu: pp, wall: pp, ttftMs: { gpu: medianMsPerToken(ns), wall: medianMsPerToken(ns) }, bounds: { bandwidth: 1e4, compute: 5e4, efficiency: efficiencyOf(pp.median, 1e4, 5e4) } },
          {
            name: 'tg8 b4', kind: 'decode', promptLen: 0, depth: 0, batch: 4, tokens: 8, gpu: null, wall: tg, perSequence: perSequenceRate(tg.median, 4),
            tpotMs: { gpu: null, wall: medianMsPerToken(ns, 8) }, itlNs: latencyPercentiles(stepNs), itlSource: 'wall-clock', stepNs,
            bounds: { bandwidth: 1e4, compute: null, efficiency: efficiencyOf(tg.median, 1e4, null) },
          },
        ],
        profile: { decode: [{ kernel: 'linear_q4_0', dispatches: 15, ns: 1e6, share: 0.6 }], prefill: [], source: 'gpu-timestamp' },
      },
    ],
  });
  return r;
}
