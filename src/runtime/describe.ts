/**
 * The adapter a runtime would run on, described before any run: the page shows it (and picks the smoke suite
 * on a software adapter), the command line asks before a larger suite on one (bench/software-run.ts). The
 * same acquisition as a run's, so the adapter described is the adapter used.
 */
import { NoAdapterError, acquireGpu } from '../gpu/device';
import { errorMessage } from '../gpu/errors';
import type { Environment } from '../schema/result';

export type DescribeOutcome = { ok: true; environment: Environment } | { ok: false; error: string };

/** Acquires the adapter and device once to describe them, then releases the device. Never rejects. */
export async function describeGpu(gpu: GPU | undefined, host: 'browser' | 'node'): Promise<DescribeOutcome> {
  try {
    const ctx = await acquireGpu(gpu, { host });
    ctx.device.destroy();
    return { ok: true, environment: ctx.environment };
  } catch (e) {
    return { ok: false, error: e instanceof NoAdapterError ? e.message : `could not create a WebGPU device: ${errorMessage(e)}` };
  }
}
