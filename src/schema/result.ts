/**
 * The result schema, versioned. Everything tokenbench writes or imports goes through it; the JSON
 * Schema in schema/result.schema.json is generated from it (`npm run schema`) and a test keeps the two
 * in step. Bump SCHEMA_VERSION on any incompatible change.
 */
import { z } from 'zod';

export const SCHEMA_ID = 'tokenbench/result';
export const SCHEMA_VERSION = 1;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNeg = finite.refine((v) => v >= 0, 'must be >= 0');
const count = z.number().int().nonnegative();
const isoDate = z.iso.datetime();

/** Order statistics of a sample set (all in the unit of the samples). */
export const SummarySchema = z.object({
  n: count,
  median: nonNeg,
  p10: nonNeg,
  p90: nonNeg,
  min: nonNeg,
  max: nonNeg,
  mean: nonNeg,
  sd: nonNeg,
  /** Coefficient of variation: sd / mean. */
  cv: nonNeg,
});

export const TimerSourceSchema = z.enum(['gpu-timestamp', 'wall-clock']);

export const TimingSchema = z.object({
  source: TimerSourceSchema,
  /** How many units of work (e.g. dispatches) each sample covers. */
  unitsPerSample: z.number().int().positive(),
  warmupSamples: count,
  /** Raw samples: nanoseconds per sample (not per unit). */
  samplesNs: z.array(nonNeg).min(1),
  /** Summary of the time per unit, in nanoseconds. */
  perUnitNs: SummarySchema,
});

export const MetricSchema = z.object({
  unit: z.enum(['GB/s', 'GFLOP/s']),
  /** From the median time per unit. */
  median: nonNeg,
  /** From the 90th-percentile time (the slow end). */
  p10: nonNeg,
  /** From the 10th-percentile time (the fast end). */
  p90: nonNeg,
  /** From the fastest sample. */
  best: nonNeg,
});

export const VerificationSchema = z.object({
  state: z.enum(['passed', 'failed']),
  /** What was compared, in words (e.g. "relative L2 vs float64 CPU reference on 1024 sampled outputs"). */
  method: z.string(),
  error: nonNeg.or(z.literal(-1)),
  threshold: nonNeg,
  /** Outputs compared with the reference. */
  checked: count,
  detail: z.string().optional(),
});

export const WorkSchema = z.object({
  /** Bytes moved per unit of work (reads + writes that the metric counts). */
  bytes: nonNeg.optional(),
  /** Floating-point operations per unit of work (an FMA counts 2). */
  flops: nonNeg.optional(),
});

const measurementBase = {
  id: z.string().min(1),
  label: z.string(),
  kind: z.enum(['bandwidth', 'compute', 'matmul']),
  params: z.record(z.string(), z.union([finite, z.string(), z.boolean()])),
  work: WorkSchema,
};

export const PlausibilitySchema = z.object({ bound: nonNeg, unit: z.string() });

/** One benchmark figure. Tagged by `state`: only `ok` figures are results. */
export const MeasurementSchema = z.discriminatedUnion('state', [
  z.object({
    ...measurementBase,
    state: z.literal('ok'),
    timing: TimingSchema,
    metric: MetricSchema,
    verification: VerificationSchema,
    plausibility: PlausibilitySchema,
  }),
  z.object({
    ...measurementBase,
    state: z.literal('implausible'),
    timing: TimingSchema,
    /** Withheld from reports: exceeds the plausibility bound, so the work was probably optimised away. */
    metric: MetricSchema,
    verification: VerificationSchema,
    plausibility: PlausibilitySchema,
    reason: z.string(),
  }),
  z.object({
    ...measurementBase,
    state: z.literal('invalid'),
    verification: VerificationSchema,
    reason: z.string(),
  }),
  z.object({ ...measurementBase, state: z.literal('errored'), error: z.string() }),
  z.object({ ...measurementBase, state: z.literal('skipped'), reason: z.string() }),
]);

/** A transformer architecture as measured (presets or custom). */
export const ArchSchema = z.object({
  name: z.string().min(1),
  hidden: z.number().int().positive(),
  ffn: z.number().int().positive(),
  layers: z.number().int().positive(),
  heads: z.number().int().positive(),
  kvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  vocab: z.number().int().positive(),
  tiedEmbeddings: z.boolean(),
  qkvBias: z.boolean(),
  ropeTheta: finite,
  normEps: finite,
});

/** A model's weight format: one format for every matrix, or a llama.cpp mix (q4_k_m: per tensor). */
export const WeightFormatSchema = z.enum(['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m']);

/** A workload's format: a weight format, or 'mixed': a model file whose matrices mix formats as no named mix does (its source lists them). */
export const WorkloadFormatSchema = z.union([WeightFormatSchema, z.literal('mixed')]);

/** Percentiles of per-token (inter-token) latency, ns. */
export const LatencySchema = z.object({ p50: nonNeg, p90: nonNeg, p99: nonNeg });

/** A rate measured two ways: GPU timestamps (when available) and wall clock. */
export const RateSchema = z.object({
  /** Tokens per second from the median sample, and the p10/p90 spread (slow end / fast end). */
  median: nonNeg,
  p10: nonNeg,
  p90: nonNeg,
  /** Raw samples behind the rate: ns per repetition. */
  samplesNs: z.array(nonNeg).min(1),
});

/** One token test in llama-bench terms: pp512, tg128, tg128@d4096, tg128 b16. */
export const TokenTestSchema = z.object({
  name: z.string(),
  kind: z.enum(['prefill', 'decode']),
  promptLen: count,
  depth: count,
  batch: z.number().int().positive(),
  /** Tokens processed (prefill) or generated per sequence (decode) per repetition. */
  tokens: z.number().int().positive(),
  /**
   * Aggregate tokens per second (all sequences) from GPU timestamps: each repetition's span from the first
   * pass's begin to the last pass's end (decode: the gaps between steps and submits included, as a real
   * decode pays them). Null without timestamp-query, or when a span covers fewer than 20 timer quanta
   * (gpuNote says so).
   */
  gpu: RateSchema.nullable(),
  /** Why `gpu` is null although the adapter has timestamps (spans too short for the timer's quantum). */
  gpuNote: z.string().optional(),
  /** Decode: the step passes alone, without the gaps between them (unquantised timestamps only). */
  gpuBusy: RateSchema.optional(),
  /** Aggregate tokens per second, wall clock (submit → work done, including readback where stated). */
  wall: RateSchema,
  /** Tokens per second per sequence (decode), from the preferred source. */
  perSequence: nonNeg.optional(),
  /**
   * Time to first token, ms (prefill tests). gpu: the GPU span of the prompt forward, lm_head and argmax;
   * wall: from submit to the token read back on the CPU.
   */
  ttftMs: z.object({ gpu: nonNeg.nullable(), wall: nonNeg }).optional(),
  /** Time per output token, ms (decode tests). */
  tpotMs: z.object({ gpu: nonNeg.nullable(), wall: nonNeg }).optional(),
  /**
   * Inter-token latency distribution (decode), ns, from per-step GPU timestamps when they are unquantised.
   * Absent otherwise, with itlNote saying why (results before this rule may hold chunk averages here).
   */
  itlNs: LatencySchema.optional(),
  itlSource: TimerSourceSchema.optional(),
  /** Why itlNs is absent ("n/a: ..."). */
  itlNote: z.string().optional(),
  /** Raw per-step times behind itlNs (decode), ns, all repetitions in order. */
  stepNs: z.array(nonNeg).optional(),
  /** Decode: the token ids the first sequence generated in the first repetition (greedy). */
  generatedTokens: z.array(count).optional(),
  /**
   * Memory traffic per generated token (decode tests), counted from the built ops at the run's mean
   * position (src/model/traffic.ts): what the kernels read against what the step needs. Optional so that
   * results written before it still import under this schema version.
   */
  traffic: z
    .object({
      /** Bytes the kernels read per generated token. */
      readPerToken: nonNeg,
      /** Bytes the step needs per token (decodeBytesPerToken: weights, looked-up rows, KV read and write). */
      neededPerToken: nonNeg,
      /** readPerToken / neededPerToken; the target is <= 1.05. */
      ratio: nonNeg,
      /** Mean of state[0] (cached positions per sequence) over the generated steps. */
      pos: nonNeg,
      method: z.string(),
    })
    .optional(),
  /** Bounds from this run's roofline probes, tokens/s (aggregate). */
  bounds: z
    .object({
      bandwidth: nonNeg.nullable(),
      compute: nonNeg.nullable(),
      /** Measured / the tighter bound. */
      efficiency: nonNeg.nullable(),
      /**
       * The compute ceiling of the units this test ran on: the f32 FMA peak, or the matrix units' f16
       * GEMM measured by the matmul phase (null compute bound when that was not measured).
       */
      computeCeiling: z.enum(['f32-fma', 'matrix-f16']).optional(),
    })
    .optional(),
  /** The linear variant each role ran in this test (absent in results before this field). */
  variants: z.record(z.string(), z.string()).optional(),
  /**
   * Arithmetic of the linear layers: f32, or f16 inputs with f32 accumulation (the subgroup-matrix GEMM;
   * never used for f32 weights).
   */
  arithmetic: z.enum(['f32', 'f16-inputs']).optional(),
});

/**
 * Element type of the attention KV cache: f16 (llama.cpp's default; two values packed per u32 with
 * pack2x16float, so it needs no shader-f16) or f32.
 */
export const KvTypeSchema = z.enum(['f16', 'f32']);

/** The engines tokenbench can run beside itself: llama.cpp's WebGPU backend in the page (wllama), native llama.cpp. */
export const PeerEngineSchema = z.enum(['webgpu', 'native']);

/** Native llama.cpp backends a run may ask for (`--peer native:vulkan`); auto: the best one llama.cpp finds. */
export const NativeBackendSchema = z.enum(['auto', 'cpu', 'cuda', 'vulkan', 'metal']);

/** The peers a run asks for. */
export const PeerRequestSchema = z.object({
  engines: z.array(PeerEngineSchema).min(1),
  native: NativeBackendSchema,
});

/** One token test of a peer, named as tokenbench's test it stands beside (pp16, tg8@d32). */
export const PeerTestSchema = z.object({
  name: z.string(),
  kind: z.enum(['prefill', 'decode']),
  promptLen: count,
  depth: count,
  /** Tokens processed (prefill) or generated (decode) per repetition, as the peer counted them. */
  tokens: z.number().int().positive(),
  /** Tokens per second per repetition: median and spread, with the raw samples (ns per repetition). */
  rate: RateSchema,
  /** Where the times come from, in words (llama.cpp's own timings, or a wall clock around its calls). */
  timer: z.string(),
});

/**
 * tokenbench beside a peer on one token test: tokenbench's tok/s (the figure it reports: GPU timestamps when
 * the test has them, else wall clock) over the peer's, both medians.
 */
export const PeerRatioSchema = z.object({
  test: z.string(),
  tokenbench: nonNeg,
  peer: nonNeg,
  /** tokenbench / peer (1 = as fast as llama.cpp). */
  ratio: nonNeg,
  /**
   * WebGPU peer on the same adapter only: tokenbench below KERNEL_LIMITED_RATIO of it, so the figure measures
   * tokenbench's kernels, not the hardware.
   */
  kernelLimited: z.boolean(),
  /** Settings that differ between the two sides (each a sentence); empty: like for like. */
  differences: z.array(z.string()),
});

/** A peer engine run on the same model bytes as a workload, after tokenbench's own tests. */
export const PeerSchema = z.object({
  engine: PeerEngineSchema,
  /** ok: figures below; skipped: could not run here (reason says why); errored: failed while running. */
  state: z.enum(['ok', 'skipped', 'errored']),
  reason: z.string().optional(),
  /** The engine in words and its version: "llama.cpp via @wllama/wllama 3.8.1", "llama.cpp via node-llama-cpp 3.22.1". */
  name: z.string(),
  version: z.string().optional(),
  /** The backend llama.cpp actually used: webgpu, cpu (also the WebAssembly fallback), cuda, vulkan, metal. */
  backend: z.string().optional(),
  /** Why the backend is not the one asked for (e.g. ggml-webgpu needs shader-f16). */
  backendNote: z.string().optional(),
  /** The device llama.cpp names (GPU name, or the CPU). */
  device: z.string().optional(),
  settings: z
    .object({
      kvType: KvTypeSchema,
      flashAttention: z.boolean().nullable(),
      batch: z.number().int().positive().nullable(),
      threads: z.number().int().positive().nullable(),
      gpuLayers: z.number().int().nonnegative().nullable(),
      contextSize: z.number().int().positive().nullable(),
    })
    .optional(),
  tests: z.array(PeerTestSchema),
  /**
   * The peer's greedy continuation of the workload's prompt against tokenbench's: how many leading tokens
   * agree (compared as token ids, or as text where the peer returns only text).
   */
  agreement: z
    .object({
      compared: count,
      matching: count,
      /** Index of the first token that differs; null when all compared agree. */
      firstDifference: count.nullable(),
      method: z.enum(['token-ids', 'text']),
      peerTokens: z.array(count).optional(),
      peerText: z.string().optional(),
    })
    .optional(),
  /** tokenbench / peer per test both ran (derived from the two sides' figures when the peer was attached). */
  ratios: z.array(PeerRatioSchema).optional(),
  /** Seconds the peer took in all (loading included). */
  durationMs: nonNeg.optional(),
});

export const KernelTimeSchema = z.object({ kernel: z.string(), dispatches: count, ns: nonNeg, share: nonNeg });

export const WorkloadAccountingSchema = z.object({
  params: nonNeg,
  weightBytes: nonNeg,
  /** Bytes read per decoded token at batch 1, depth 0: weights + KV cache (read and written). */
  decodeBytesPerToken: nonNeg,
  flopsPerToken: nonNeg,
  /** Memory the workload allocates: weights + KV cache + activations. */
  memoryBytes: nonNeg,
  dispatchesPerDecodeStep: count,
  dispatchesPerLayer: count,
});

/** One architecture x weight format. Only `ok` workloads carry figures. */
/** Where a workload's weights came from. */
export const ModelSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('synthetic'), preset: z.string(), seed: count.optional() }),
  z.object({
    kind: z.literal('gguf'),
    /** The file's name (never a full path: results travel). */
    file: z.string(),
    bytes: count,
    /** SHA-256 of the whole file, computed while its tensors were streamed. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** general.architecture (llama, qwen2, qwen3, phi3). */
    architecture: z.string(),
    params: count,
    /** Tensors per GGML type: how many, and their bytes in the file. */
    tensors: z.array(z.object({ type: z.string(), count: count, bytes: count })),
  }),
]);

/** A workload's text: the prompt it was given and what it generated (greedy), decoded exactly. */
export const WorkloadTextSchema = z.object({
  prompt: z.string().nullable(),
  promptTokens: z.array(count),
  generatedTokens: z.array(count),
  /** The generated tokens as text (bytes that are not valid UTF-8 as U+FFFD). */
  generated: z.string(),
});

export const WorkloadSchema = z.object({
  id: z.string().min(1),
  preset: z.string(),
  /** Where the weights came from (absent in results before this field: synthetic). */
  source: ModelSourceSchema.optional(),
  /** The prompt and generated text (models with a vocabulary). */
  text: WorkloadTextSchema.optional(),
  arch: ArchSchema,
  format: WorkloadFormatSchema,
  state: z.enum(['ok', 'invalid', 'skipped', 'errored', 'cancelled']),
  reason: z.string().optional(),
  accounting: WorkloadAccountingSchema.optional(),
  verification: VerificationSchema.optional(),
  tests: z.array(TokenTestSchema),
  /**
   * Decode projections (one token) of the first layer and the output head, each timed alone with the
   * run's timer on the model's own weights (many calls per sample, so dispatch overhead is amortised):
   * the bytes each call reads over its median time, against the measured read ceiling.
   */
  gemv: z
    .array(
      z.object({
        role: z.string(),
        kernel: z.string(),
        /** Bytes one call reads (src/model/traffic.ts). */
        readBytes: nonNeg,
        /**
         * The reported figure, streamed: calls rotate through every layer's copy of the role and extra
         * weight copies until they read `streamed.distinctBytes` before any byte again (core/stream.ts).
         */
        timing: TimingSchema,
        /** readBytes / median time per call. */
        gbps: nonNeg,
        /** gbps / the roofline read bandwidth of this run; null without one. */
        ofReadCeiling: nonNeg.nullable(),
        /** ok, or implausible: above the measured read ceiling, so not a result (results before this field: ok). */
        state: z.enum(['ok', 'implausible']).optional(),
        /** How far the reported figure streams, and whether that is more than any cache holds. */
        streamed: z.object({ copies: z.number().int().positive(), distinctBytes: nonNeg, cacheSafe: z.boolean(), note: z.string().optional() }).optional(),
        /** The same call repeated on one copy (cache-resident when it fits a cache): for reference, never the figure. */
        resident: z.object({ timing: TimingSchema, gbps: nonNeg }).optional(),
      }),
    )
    .optional(),
  /** Per-kernel time of one decode step and one prefill, from a separate profiling pass. */
  profile: z
    .object({ decode: z.array(KernelTimeSchema), prefill: z.array(KernelTimeSchema), source: TimerSourceSchema })
    .optional(),
  /** Peer engines run on the same model file (`--peer`), each with its figures or why it did not run. */
  peers: z.array(PeerSchema).optional(),
});

const phaseBase = {
  id: z.string().min(1),
  title: z.string(),
  startedAt: isoDate,
  durationMs: nonNeg,
  measurements: z.array(MeasurementSchema),
  /** Token workloads (generation phase). */
  workloads: z.array(WorkloadSchema).optional(),
  /** Correctness checks run before timing (kernel self-checks, full-forward checks). */
  checks: z.array(z.object({ id: z.string(), verification: VerificationSchema })).optional(),
  /** Conditions that make this phase's figures suspect (e.g. the page was hidden and may have been throttled). */
  warnings: z.array(z.string()).optional(),
};

export const PhaseSchema = z.discriminatedUnion('state', [
  z.object({ ...phaseBase, state: z.literal('completed') }),
  z.object({ ...phaseBase, state: z.literal('errored'), error: z.string() }),
  z.object({ ...phaseBase, state: z.literal('cancelled') }),
  z.object({ ...phaseBase, state: z.literal('skipped'), reason: z.string() }),
]);

export const AdapterInfoSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  isFallbackAdapter: z.boolean(),
  subgroupMinSize: count.optional(),
  subgroupMaxSize: count.optional(),
});

export const EnvironmentSchema = z.object({
  adapter: AdapterInfoSchema,
  /** Features the adapter offers. */
  adapterFeatures: z.array(z.string()),
  /** Features the device was created with. */
  deviceFeatures: z.array(z.string()),
  adapterLimits: z.record(z.string(), finite),
  deviceLimits: z.record(z.string(), finite),
  /** Software rasteriser/compute (SwiftShader, llvmpipe, WARP, ...): figures are not hardware results. */
  software: z.object({ isSoftware: z.boolean(), reason: z.string() }),
});

export const RuntimeSchema = z.object({
  kind: z.enum(['browser', 'node']),
  userAgent: z.string().optional(),
  node: z.string().optional(),
  dawn: z.string().optional(),
  platform: z.string().optional(),
  hardwareConcurrency: count.optional(),
  /** Browser flags or Dawn toggles the run was started with, when known. */
  flags: z.array(z.string()).optional(),
  /**
   * Remote endpoint of a fleet run: a Playwright browser server (ws://…, path withheld) or a WebDriver
   * URL (credentials and query removed). Absent for local runs.
   */
  endpoint: z.string().optional(),
});

export const TimerInfoSchema = z.object({
  source: TimerSourceSchema,
  /** Smallest step the timer was observed to take, in ns (the detected quantum when quantised). */
  resolutionNs: nonNeg,
  /** True when timestamps are rounded to a coarse quantum (e.g. Chrome's 100 µs without developer features). */
  quantized: z.boolean(),
  /** Median submit -> onSubmittedWorkDone round trip of an empty submit, in ns. */
  roundTripNs: nonNeg,
  /** Why this source was chosen and what the resolution means for the figures. */
  notes: z.string(),
});

export const SuiteNameSchema = z.enum(['smoke', 'standard']);

/**
 * A model file of a run, by reference: a path in Node, the name of a file the page holds (picked or
 * dropped). The runtime resolves it to bytes (src/run/files.ts); the result names the file in the
 * workload's `source`.
 */
export const GgufRefSchema = z.object({ gguf: z.string().min(1) });

export const ConfigSchema = z.object({
  suite: SuiteNameSchema,
  warmup: count,
  reps: z.number().int().positive(),
  minSampleMs: nonNeg,
  maxSubmitMs: nonNeg,
  gpuTimeoutMs: nonNeg,
  /** Use wall-clock timing even when timestamp queries exist. */
  forceWallClock: z.boolean(),
  generation: z.object({
    /** Preset names, custom architectures and GGUF files to run. */
    models: z.array(z.union([z.string(), ArchSchema, GgufRefSchema])),
    formats: z.array(WeightFormatSchema).min(1),
    promptLens: z.array(z.number().int().positive()).min(1),
    genTokens: z.number().int().positive(),
    depths: z.array(count).min(1),
    batches: z.array(z.number().int().positive()).min(1),
    /** Repetitions of each prefill / generation. */
    reps: z.number().int().positive(),
    /**
     * A prompt to generate from (models with a vocabulary: GGUF files): text, tokenised with the file's
     * tokenizer, or token ids as given. Benchmark prompt lengths (promptLens) still run as ppN tests.
     */
    promptText: z.string().optional(),
    promptTokens: z.array(count).min(1).optional(),
    /**
     * KV-cache element type (`--kv-type`). A request may leave it out: the run resolves it at start (f16
     * where the adapter has shader-f16, else f32) and the result always carries the value it ran with.
     * Results from before the setting have none: they ran f32.
     */
    kvType: KvTypeSchema.optional(),
  }),
  /** Peer engines asked for (`--peer`); absent: none. */
  peers: PeerRequestSchema.optional(),
});

const positive = finite.refine((v) => v > 0, 'must be > 0');

/**
 * Cost and energy inputs (src/cost/inputs.ts parses them from CLI flags, URL parameters and the page form).
 * Every price is the user's: none is ever assumed. Either an hourly price or a purchase price.
 */
export const CostInputsSchema = z.object({
  /** Rental price, $ per hour (cloud). */
  hourlyPrice: nonNeg.optional(),
  /** Purchase price, $, amortised over lifetimeYears at utilisation. */
  purchasePrice: nonNeg.optional(),
  lifetimeYears: positive.optional(),
  /** Share of the hours the accelerator does useful work, percent in (0, 100]. */
  utilisation: positive.refine((v) => v <= 100, 'must be <= 100').optional(),
  /** Board power while working, W (e.g. from the accelerator catalogue). */
  boardPowerW: nonNeg.optional(),
  /** Electricity price, $ per kWh. */
  electricityPrice: nonNeg.optional(),
  /** Reference Model-as-a-Service price, $ per 1M input (prompt) tokens. */
  apiInputPrice: nonNeg.optional(),
  /** Reference Model-as-a-Service price, $ per 1M output (generated) tokens. */
  apiOutputPrice: nonNeg.optional(),
  /** Input:output token mix of the blended price (default 3:1). */
  mix: z.object({ input: positive, output: positive }),
  /** Catalogue id whose specification gave boardPowerW. */
  accelerator: z.string().optional(),
});

/** Cost and energy of one token test, at its aggregate throughput. Null where an input is missing. */
export const CostTestSchema = z.object({
  test: z.string(),
  kind: z.enum(['prefill', 'decode']),
  batch: z.number().int().positive(),
  depth: count,
  /** Aggregate tokens per second used (GPU timestamps when the test has them, else wall clock). */
  tokPerSec: nonNeg,
  source: TimerSourceSchema,
  usdPer1M: nonNeg.nullable(),
  tokensPerUsd: nonNeg.nullable(),
  joulesPerToken: nonNeg.nullable(),
  tokPerSecPerW: nonNeg.nullable(),
});

/** Blended price of a prefill test and a decode test at the input:output mix. */
export const CostBlendSchema = z.object({
  prefillTest: z.string(),
  decodeTest: z.string(),
  usdPer1M: nonNeg.nullable(),
  tokensPerUsd: nonNeg.nullable(),
  joulesPerToken: nonNeg.nullable(),
  /** usdPer1M / the reference API's blended price. */
  apiFraction: nonNeg.nullable(),
});

export const CostWorkloadSchema = z.object({
  workload: z.string(),
  preset: z.string(),
  format: WorkloadFormatSchema,
  tests: z.array(CostTestSchema),
  /** Test names the summary uses: the fastest prefill, batch-1 decode at the shallowest depth, the fastest decode. */
  prefill: z.string().nullable(),
  decodeBatch1: z.string().nullable(),
  decodeBest: z.string().nullable(),
  blended: z.object({ batch1: CostBlendSchema.nullable(), best: CostBlendSchema.nullable() }),
});

/** The cost/energy block: inputs and what they give per workload test (src/cost/model.ts). */
export const CostSchema = z.object({
  inputs: CostInputsSchema,
  /** $ per working hour: hardware (rental, or purchase amortised) + electricity; null without the inputs. */
  perHour: z.object({ hardware: nonNeg.nullable(), energy: nonNeg.nullable(), total: nonNeg.nullable() }),
  /** The reference API's price at the mix, $/1M tokens. */
  apiBlendedUsdPer1M: nonNeg.nullable(),
  workloads: z.array(CostWorkloadSchema),
  /** Assumptions and missing inputs, in words. */
  notes: z.array(z.string()),
});

/** One candidate variant of a tuning decision: checked against the CPU reference, then timed. */
export const TuneCandidateSchema = z.object({
  id: z.string(),
  /** ok: passed its check (and was timed when medianNs is set); failed: wrong output; errored: did not build or run. */
  state: z.enum(['ok', 'failed', 'errored']),
  /** Median time per unit of work (ns) over the tuning samples. */
  medianNs: nonNeg.optional(),
  detail: z.string().optional(),
});

/** One tuning decision: a kernel family at one real shape of this run. */
export const TuneEntrySchema = z.object({
  family: z.string(),
  key: z.string(),
  /** Where the choice is cached (adapter, version, family, shape, candidate list). */
  cacheKey: z.string(),
  chosen: z.string(),
  /**
   * measured: every candidate timed in this run; cache: a cached choice, re-checked on this shape;
   * default: the tuning operands could not be built (note says why), so the default variant runs.
   */
  source: z.enum(['measured', 'cache', 'default']),
  candidates: z.array(TuneCandidateSchema),
  note: z.string().optional(),
});

/** Autotuning of this run (src/suite/tune.ts). */
export const TuningSchema = z.object({
  /** disabled: --no-tune / tune=0, every kernel ran its default variant. */
  mode: z.enum(['tuned', 'disabled']),
  adapterKey: z.string(),
  timer: TimerSourceSchema,
  warmup: count,
  reps: count,
  /** A candidate replaces the default only when faster by more than this fraction. */
  margin: nonNeg,
  /** Most candidates timed per decision; null: all of them. */
  maxCandidates: z.number().int().positive().nullable(),
  durationMs: nonNeg,
  entries: z.array(TuneEntrySchema),
});

export const RunErrorSchema = z.object({
  source: z.enum(['setup', 'uncaptured', 'device-lost', 'phase']),
  phase: z.string().optional(),
  message: z.string(),
  at: isoDate,
});

export const ResultSchema = z.object({
  schema: z.literal(SCHEMA_ID),
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal('tokenbench'), version: z.string(), commit: z.string() }),
  startedAt: isoDate,
  finishedAt: isoDate,
  /** completed: every phase ran (some may have errored); cancelled: stopped by the user; failed: no device. */
  status: z.enum(['completed', 'cancelled', 'failed']),
  config: ConfigSchema,
  runtime: RuntimeSchema,
  /** Null when no adapter could be acquired (see errors). */
  environment: EnvironmentSchema.nullable(),
  timer: TimerInfoSchema.nullable(),
  phases: z.array(PhaseSchema),
  errors: z.array(RunErrorSchema),
  /**
   * Clock/thermal drift: the same short FMA calibration timed at the start and at the end of the run.
   * Null when it could not run (no device, cancelled, or the device was replaced mid-run).
   */
  drift: z
    .object({
      startGflops: nonNeg,
      endGflops: nonNeg,
      /** (end - start) / start */
      change: finite,
      threshold: nonNeg,
      flagged: z.boolean(),
    })
    .nullable()
    .optional(),
  /** Roll-up of every measurement's CPU-reference check. */
  verification: z.object({ state: z.enum(['passed', 'failed', 'none']), passed: count, failed: count }),
  /** Cost per token and energy, present when cost inputs were given (src/cost/model.ts). */
  cost: CostSchema.optional(),
  /** Kernel variants chosen for this adapter; absent in results from before autotuning. */
  tuning: TuningSchema.optional(),
});

export type Summary = z.infer<typeof SummarySchema>;
export type Timing = z.infer<typeof TimingSchema>;
export type Metric = z.infer<typeof MetricSchema>;
export type Verification = z.infer<typeof VerificationSchema>;
export type Measurement = z.infer<typeof MeasurementSchema>;
export type Phase = z.infer<typeof PhaseSchema>;
export type GgufRef = z.infer<typeof GgufRefSchema>;
export type ModelSource = z.infer<typeof ModelSourceSchema>;
export type WorkloadText = z.infer<typeof WorkloadTextSchema>;
export type AdapterInfo = z.infer<typeof AdapterInfoSchema>;
export type Environment = z.infer<typeof EnvironmentSchema>;
export type Runtime = z.infer<typeof RuntimeSchema>;
export type TimerInfo = z.infer<typeof TimerInfoSchema>;
export type TuneCandidate = z.infer<typeof TuneCandidateSchema>;
export type TuneEntry = z.infer<typeof TuneEntrySchema>;
export type Tuning = z.infer<typeof TuningSchema>;
export type SuiteName = z.infer<typeof SuiteNameSchema>;
export type RunConfig = z.infer<typeof ConfigSchema>;
export type RunError = z.infer<typeof RunErrorSchema>;
export type BenchResult = z.infer<typeof ResultSchema>;
export type Workload = z.infer<typeof WorkloadSchema>;
export type PeerEngine = z.infer<typeof PeerEngineSchema>;
export type NativeBackend = z.infer<typeof NativeBackendSchema>;
export type PeerRequest = z.infer<typeof PeerRequestSchema>;
export type PeerTest = z.infer<typeof PeerTestSchema>;
export type PeerRatio = z.infer<typeof PeerRatioSchema>;
export type Peer = z.infer<typeof PeerSchema>;
export type TokenTest = z.infer<typeof TokenTestSchema>;
export type KernelTime = z.infer<typeof KernelTimeSchema>;
export type GenerationConfig = RunConfig['generation'];
export type KvType = z.infer<typeof KvTypeSchema>;
export type CostInputs = z.infer<typeof CostInputsSchema>;
export type CostTest = z.infer<typeof CostTestSchema>;
export type CostBlend = z.infer<typeof CostBlendSchema>;
export type CostWorkload = z.infer<typeof CostWorkloadSchema>;
export type Cost = z.infer<typeof CostSchema>;

/** Largest result file we accept on import. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

export type ParseOutcome = { ok: true; result: BenchResult } | { ok: false; error: string };

/** The first problem zod found, with its JSON path: `invalid result at $.phases[2].state: ...`. */
export function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const path = issue ? '$' + issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : '$';
  return `invalid ${what} at ${path}: ${issue?.message ?? 'unknown error'}`;
}

/** Validates untrusted data; the error names the JSON path of the first invalid field. */
export function parseResult(data: unknown): ParseOutcome {
  const parsed = ResultSchema.safeParse(data);
  return parsed.success ? { ok: true, result: parsed.data } : { ok: false, error: firstIssue(parsed.error, 'result') };
}

/** UTF-8 length of a string without allocating the encoded bytes. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4; // surrogate pair
      i++;
    } else n += 3;
  }
  return n;
}

/** Parses result JSON text (size-limited, in UTF-8 bytes) and validates it. */
export function parseResultText(text: string): ParseOutcome {
  // Every UTF-16 unit is at least one byte, so long text is rejected before counting.
  const bytes = text.length > MAX_IMPORT_BYTES ? text.length : utf8Length(text);
  if (bytes > MAX_IMPORT_BYTES) {
    return { ok: false, error: `result file too large: ${bytes} bytes > ${MAX_IMPORT_BYTES}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  return parseResult(data);
}

/** The JSON Schema document generated from ResultSchema. */
export function resultJsonSchema(): unknown {
  return {
    ...(z.toJSONSchema(ResultSchema, { target: 'draft-2020-12', io: 'output' }) as object),
    title: 'tokenbench result',
  };
}
