/**
 * Synthetic results: schema-valid, completed and verified, with one token workload (tiny, q4_0 unless
 * varied). The board's benchmark (bench/board/bench-list.ts) fills a board with them, and the unit tests
 * build their results from them (test/unit/fixtures.ts, token-fixture.ts, board-helpers.ts). Not a
 * measurement: the figures are made up, but every derived figure comes from its samples through the run's
 * own functions, so the results pass the integrity check (src/result/integrity.ts) like real ones.
 */
import { metricFrom } from '../../src/measure/measure';
import { latencyPercentiles, perUnitSummary, rateOf, tokensPerSecond } from '../../src/measure/stats';
import { efficiencyOf, medianMsPerToken, perSequenceRate } from '../../src/measure/token-figures';
import { type BenchResult, type Measurement, SCHEMA_ID, SCHEMA_VERSION, type TokenTest, type Workload } from '../../src/schema/result';

/** Everything of a result but its phases, errors and verification: a hardware adapter, Node, a GPU timer. */
export function sampleHeader(): Omit<BenchResult, 'phases' | 'errors' | 'verification'> {
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
  };
}

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
  const base = sampleHeader();
  return {
    ...base,
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
    errors: [],
    verification: { state: 'passed', passed: 5, failed: 0 },
  };
}

export interface Variant {
  decode?: number;
  vendor?: string;
  architecture?: string;
  description?: string;
  software?: boolean;
  runtime?: 'browser' | 'node';
  startedAt?: string;
  /** Tool commit: makes otherwise equal results distinct. */
  commit?: string;
  /** The workload's weight format (default q4_0). */
  format?: Workload['format'];
}

/** A valid result with one tiny workload (q4_0 unless `format`), varied where a test needs it. */
export function boardResult(v: Variant = {}): BenchResult {
  const decode = v.decode ?? 100;
  const r = tokenResult({ prefill: decode * 10, decode, batch4: decode * 3.2 });
  const adapter = r.environment?.adapter;
  if (!r.environment || !adapter) throw new Error('fixture without an adapter');
  r.environment.adapter = {
    ...adapter,
    vendor: v.vendor ?? adapter.vendor,
    architecture: v.architecture ?? adapter.architecture,
    description: v.description ?? adapter.description,
  };
  if (v.software) r.environment.software = { isSoftware: true, reason: 'SwiftShader' };
  if (v.runtime === 'browser') r.runtime = { kind: 'browser', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36' };
  if (v.startedAt) {
    r.startedAt = v.startedAt;
    r.finishedAt = v.startedAt;
  }
  if (v.commit) r.tool = { ...r.tool, commit: v.commit };
  if (v.format) {
    for (const w of r.phases.flatMap((p) => p.workloads ?? [])) Object.assign(w, { id: `${w.preset}-${v.format}`, format: v.format });
  }
  return r;
}

/** The devices `spreadResults` cycles through: four hardware vendors and a software adapter. */
const DEVICES: ReadonlyArray<Pick<Variant, 'vendor' | 'architecture' | 'description' | 'software'>> = [
  { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' },
  { vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX' },
  { vendor: 'intel', architecture: 'xe-lpg', description: 'Intel Arc A770' },
  { vendor: 'apple', architecture: 'metal-3', description: 'Apple M3 Max' },
  { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)', software: true },
];

const FORMATS: ReadonlyArray<Workload['format']> = ['q4_0', 'q8_0', 'f16'];

/**
 * The `i`th of a spread of distinct results (distinct bytes: each has its own commit, `salt` apart from other
 * batches), over five devices, three formats, both runtimes and a month of start dates, so that a board's
 * filters each keep a part of them.
 */
export function spreadResult(i: number, salt = 0): BenchResult {
  return boardResult({
    ...DEVICES[i % DEVICES.length],
    format: FORMATS[Math.floor(i / DEVICES.length) % FORMATS.length],
    runtime: i % 2 ? 'browser' : 'node',
    decode: 10 + (i % 997),
    startedAt: new Date(Date.UTC(2026, 10, 1) + (i % 30) * 86_400_000 + i * 1000).toISOString(),
    commit: `${salt.toString(16).padStart(8, '0')}${i.toString(16).padStart(32, '0')}`,
  });
}
