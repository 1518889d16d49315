import { describe, expect, test } from 'vitest';
import { ErrorLog, type GpuContext } from '../../src/gpu/device';
import { GpuTimeoutError } from '../../src/gpu/errors';
import { createTimer } from '../../src/measure/timer';
import { runSuite } from '../../src/run/runner';

/** A device whose queue never finishes anything: the shape of a hung driver or a tripped watchdog. */
function hungDevice(): GPUDevice {
  const never = new Promise<undefined>(() => {});
  return {
    features: new Set<string>(),
    limits: {},
    queue: { submit: () => {}, onSubmittedWorkDone: () => never, writeBuffer: () => {} },
    createCommandEncoder: () => ({ finish: () => ({}) }),
    destroy: () => {},
  } as unknown as GPUDevice;
}

describe('hangs are reported, not waited on forever', () => {
  test('timer calibration on a hung queue rejects with a timeout naming the wait', async () => {
    await expect(createTimer(hungDevice(), { forceWallClock: false, timeoutMs: 50 })).rejects.toThrow(GpuTimeoutError);
    await expect(createTimer(hungDevice(), { forceWallClock: false, timeoutMs: 50 })).rejects.toThrow(/timer round-trip probe did not complete within 50 ms/);
  });

  test('a run on a hung device ends as a failed result with the reason', async () => {
    const acquire = async (_: GPU | undefined, errors: ErrorLog): Promise<GpuContext> => ({
      adapter: {} as GPUAdapter,
      device: hungDevice(),
      errors,
      lost: null,
      environment: {
        adapter: { vendor: 'test', architecture: 'hung', device: '', description: '', isFallbackAdapter: false },
        adapterFeatures: [],
        deviceFeatures: [],
        adapterLimits: {},
        deviceLimits: {},
        software: { isSoftware: false, reason: 'test' },
      },
    });
    const result = await runSuite(undefined, { suite: 'smoke', runtime: { kind: 'node' }, overrides: { gpuTimeoutMs: 50 } }, {}, { cancelled: false }, acquire);
    expect(result.status).toBe('failed');
    expect(result.errors.map((e) => e.message).join()).toMatch(/timer calibration failed: .*did not complete within 50 ms/);
  });
});
