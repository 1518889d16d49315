/** What a token workload needs from the run. */
import type { CancelSignal } from '../../../gpu/errors';
import type { Timer } from '../../../measure/timer';
import type { GenerationConfig, KvType, TimerInfo } from '../../../schema/result';
import type { Tuner } from '../../tune/tuner';

/** Ceilings from this run's roofline phase (null where the probe did not produce a valid figure). */
export interface Ceilings {
  readGBs: number | null;
  fmaGflops: number | null;
  /** The best f16 GEMM on the matrix units measured by the matmul phase (the ceiling of f16-input linears). */
  matrixGflops: number | null;
}

export interface GenEnv {
  device: GPUDevice;
  timer: TimerInfo;
  gen: GenerationConfig;
  maxSubmitMs: number;
  timeoutMs: number;
  signal: CancelSignal;
  ceilings: Ceilings;
  /** Sub-step progress (e.g. "tg128"). */
  onStep: (label: string) => void;
  /** Picks the linear variants per role and token tile before the model is built (absent: defaults). */
  tuner?: Tuner;
  /** Times single kernels (the decode GEMV figures); absent: none are reported. */
  kernelTimer?: Timer;
  /** How far bandwidth figures stream (the suite's `stream`; absent: one copy per layer, nothing added). */
  stream?: { targetBytes: number; maxCopies: number };
}

/**
 * The KV-cache type a generation config runs with. The runner resolves it at run start (runner.ts), so
 * a run's config always has one; f32 for a config from before the setting (callers that skip the runner).
 */
export function kvTypeOf(gen: Pick<GenerationConfig, 'kvType'>): KvType {
  return gen.kvType ?? 'f32';
}
