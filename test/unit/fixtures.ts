/** Hand-built result fixtures for the schema tests: small, valid, and easy to break one field at a time. */
import type { BenchResult, Measurement, Summary } from '../../src/result/schema';
import { SCHEMA_ID, SCHEMA_VERSION } from '../../src/result/schema';

const summary: Summary = {
  n: 3,
  median: 1000,
  p10: 920,
  p90: 1180,
  min: 900,
  max: 1200,
  mean: 1033.3333333333333,
  sd: 152.7525231651947,
  cv: 0.14782502241793036,
};

const okMeasurement: Measurement = {
  id: 'read-bw-64MiB',
  label: 'Read bandwidth, 64 MiB',
  kind: 'bandwidth',
  params: { bytes: 67_108_864, workgroupSize: 256, vec4: true, layout: 'grid-stride' },
  work: { bytes: 67_108_864 },
  state: 'ok',
  timing: {
    source: 'gpu-timestamp',
    unitsPerSample: 1,
    warmupSamples: 2,
    samplesNs: [1000, 900, 1200],
    perUnitNs: summary,
  },
  metric: { unit: 'GB/s', median: 67108.864, p10: 56871.92, p90: 72944.43, best: 74565.4 },
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
    schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'tokenbench', version: '0.1.0', commit: '2e9e2930000000000000000000000000000000ab' },
    startedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '2025-01-02T03:04:15.500Z',
    status: 'completed',
    config: {
      suite: 'smoke',
      warmup: 2,
      reps: 3,
      minSampleMs: 1,
      maxSubmitMs: 100,
      gpuTimeoutMs: 10_000,
      forceWallClock: false,
      generation: { models: ['tiny'], formats: ['f32'], promptLens: [16], genTokens: 8, depths: [0], batches: [1], reps: 2 },
    },
    runtime: { kind: 'node', node: 'v20.19.0', dawn: 'webgpu@0.6.2', platform: 'linux', hardwareConcurrency: 16 },
    environment: {
      adapter: {
        vendor: 'nvidia',
        architecture: 'hopper',
        device: '',
        description: 'NVIDIA H100 80GB HBM3',
        isFallbackAdapter: false,
        subgroupMinSize: 32,
        subgroupMaxSize: 32,
      },
      adapterFeatures: ['shader-f16', 'timestamp-query'],
      deviceFeatures: ['shader-f16', 'timestamp-query'],
      adapterLimits: { maxBufferSize: 4_294_967_296, maxComputeWorkgroupSizeX: 1024 },
      deviceLimits: { maxBufferSize: 4_294_967_296, maxComputeWorkgroupSizeX: 1024 },
      software: { isSoftware: false, reason: 'hardware adapter' },
    },
    timer: {
      source: 'gpu-timestamp',
      resolutionNs: 1,
      quantized: false,
      roundTripNs: 45_000,
      notes: 'timestamp-query available: per-pass GPU timestamps',
    },
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
