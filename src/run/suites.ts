/** Suite definitions: which phases and sizes run, and the measurement defaults. */
import { STREAM_BYTES } from '../core/stream';
import type { MatmulShape } from '../kernels/matmul/matmul.ref';
import { HEADLINE_PRESETS } from '../model/presets';
import type { RunConfig, SuiteName } from '../schema/result';

export interface SuiteSpec {
  name: SuiteName;
  description: string;
  /** Timing defaults (see MeasurePlan in src/gpu/timer.ts). */
  config: Omit<RunConfig, 'suite'>;
  roofline: {
    /** Bytes read by the read-bandwidth probe (clamped to the device's binding limit). */
    readBytes: number;
    /** Bytes per buffer of the copy probe (moves twice this). */
    copyBytes: number;
    fma: { threads: number; iterations: number };
  };
  matmul: {
    /** f32 GEMM shapes (tiled kernel, default variant). */
    shapes: MatmulShape[];
    /**
     * f16 GEMM shapes on matrix units (subgroup matrices): multiples of the adapter's configuration
     * (16 on NVIDIA, 8 on Apple) and of 8; a shape that is not is recorded as skipped.
     */
    f16Shapes: MatmulShape[];
  };
  tune: {
    /**
     * Most variants timed per tuning decision (the default included). Software adapters compile slowly
     * and their timings say nothing about hardware: smoke times two, enough to exercise the machinery.
     */
    maxCandidates: number;
  };
  /**
   * How far bandwidth figures stream (core/stream.ts): distinct bytes before any is read again, and the
   * most operand copies that takes. The standard suite streams STREAM_BYTES (4x the largest known
   * last-level cache); smoke streams a few MiB and its figures say they are not cache-safe.
   */
  stream: { targetBytes: number; maxCopies: number };
}

const MiB = 1 << 20;

export const SUITES: Record<SuiteName, SuiteSpec> = {
  smoke: {
    name: 'smoke',
    description: 'tiny sizes for CI and software adapters: checks the harness, not the hardware',
    config: {
      warmup: 2,
      reps: 6,
      minSampleMs: 1,
      maxSubmitMs: 100,
      gpuTimeoutMs: 60_000,
      forceWallClock: false,
      generation: {
        models: ['tiny'],
        // A k-quant mix in every smoke run (q4_k and q6_k blocks, a fused matrix in two formats); q4_0 runs in
        // the tests that name it.
        formats: ['f32', 'f16', 'q8_0', 'q4_k_m'],
        promptLens: [16],
        genTokens: 8,
        depths: [0],
        batches: [1, 4],
        // Four repetitions: the least with which the baseline gate's rank test can reach p < 0.05 (4 vs 4).
        reps: 4,
      },
    },
    roofline: { readBytes: 4 * MiB, copyBytes: 2 * MiB, fma: { threads: 2048, iterations: 64 } },
    matmul: {
      shapes: [
        { M: 64, N: 64, K: 64 },
        { M: 127, N: 129, K: 131 }, // not a multiple of the tile in any dimension
      ],
      // Multiples of 16, not of the 128 x 128 x 32 tile: partial tiles along M and N, a partial last K slice.
      f16Shapes: [{ M: 80, N: 144, K: 112 }],
    },
    tune: { maxCandidates: 2 },
    stream: { targetBytes: 16 * MiB, maxCopies: 4 },
  },
  standard: {
    name: 'standard',
    description: 'the default on a real GPU: operands far larger than any cache',
    config: {
      warmup: 3,
      reps: 20,
      minSampleMs: 2,
      maxSubmitMs: 100,
      gpuTimeoutMs: 60_000,
      forceWallClock: false,
      generation: {
        models: [...HEADLINE_PRESETS],
        // q4_k_m first: the headline, as the files people download are quantised (a preset whose sizes
        // cannot hold k-quant blocks, such as qwen2.5-0.5b's hidden 896, is skipped in it, saying why).
        formats: ['q4_k_m', 'f16'],
        promptLens: [512],
        genTokens: 128,
        depths: [0],
        batches: [1, 4, 16, 64],
        // Five repetitions: enough for the baseline gate to judge every token metric (3 vs 3 never can).
        reps: 5,
      },
    },
    // Per copy; the probes rotate through copies until they stream `stream.targetBytes` (1 GiB).
    roofline: { readBytes: 256 * MiB, copyBytes: 128 * MiB, fma: { threads: 1 << 18, iterations: 1024 } },
    matmul: {
      shapes: [
        { M: 1024, N: 1024, K: 1024 },
        { M: 2048, N: 2048, K: 2048 },
        { M: 4096, N: 4096, K: 4096 },
        { M: 4095, N: 4097, K: 4093 }, // odd: edge tiles on every side
      ],
      f16Shapes: [
        { M: 4096, N: 4096, K: 4096 },
        { M: 8192, N: 8192, K: 8192 },
      ],
    },
    tune: { maxCandidates: Infinity },
    stream: { targetBytes: STREAM_BYTES, maxCopies: 512 },
  },
};

export function isSuiteName(s: string): s is SuiteName {
  return Object.prototype.hasOwnProperty.call(SUITES, s);
}

/** Plausibility bounds: figures above these mean the work was optimised away or the timer is wrong. */
export const PLAUSIBILITY = {
  /** GB/s. The fastest shipping memory systems (HBM3e, 2025) reach ~8 TB/s. */
  bandwidth: 20_000,
  /** GFLOP/s, f32 without matrix units: the largest 2025 GPUs stay under ~170 TFLOP/s. */
  f32: 300_000,
  /** GFLOP/s, f16 on vector ALUs (not matrix units). */
  f16: 600_000,
  /** GFLOP/s, dense f16 on matrix units (tensor cores): the largest 2025 GPUs stay under ~2.5 PFLOP/s. */
  f16Matrix: 5_000_000,
} as const;
