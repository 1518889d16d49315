/** Clock or thermal drift: a short f32 FMA calibration at the start and the end of a run. */
import { Resources } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { createFmaProbe } from '../kernels/probes/probes';
import { metricFrom } from '../measure/measure';
import type { MeasurePlan, Timer } from '../measure/timer';
import type { BenchResult } from '../schema/result';
import type { SuiteSpec } from './suites';

/** Drift between the start and end calibrations above this fraction flags the result. */
export const DRIFT_THRESHOLD = 0.05;

export function assessDrift(startGflops: number, endGflops: number, threshold = DRIFT_THRESHOLD): NonNullable<BenchResult['drift']> {
  const change = startGflops > 0 ? (endGflops - startGflops) / startGflops : 0;
  return { startGflops, endGflops, change, threshold, flagged: Math.abs(change) > threshold };
}

/** The drift calibration: a short f32 FMA run, timed like any measurement; returns GFLOP/s (median). */
export async function calibrate(gpu: GpuContext, timer: Timer, spec: SuiteSpec, plan: MeasurePlan): Promise<number> {
  const res = new Resources();
  try {
    const k = await createFmaProbe(gpu.device, res, { precision: 'f32', ...spec.roofline.fma }, { seed: 77, timeoutMs: plan.timeoutMs });
    const timing = await timer.measure(k, { ...plan, warmup: 1, reps: 5 });
    return metricFrom(timing, k.cost(0).flops, 'GFLOP/s').median;
  } finally {
    res.destroyAll();
  }
}
