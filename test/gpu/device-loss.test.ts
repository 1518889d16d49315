import { describe, expect, test } from 'vitest';
import { nodeRuntime } from '../../src/runtime/dawn';
import { type ErrorLog, type GpuContext, acquireGpu } from '../../src/gpu/device';
import { parseResult } from '../../src/schema/result';
import { MAX_DEVICE_RECOVERIES, runSuite } from '../../src/run/runner';
import { testGpu } from './helpers';

/** Smoke settings trimmed to keep the generation phase short. */
const overrides = { reps: 3, generation: { formats: ['q4_0' as const], genTokens: 2, batches: [1], reps: 1 } };

describe('device loss mid-run', () => {
  test('the phase records the loss, a fresh device runs the remaining phases, finished work is kept', async () => {
    const devices: GpuContext[] = [];
    const acquire = async (gpu: GPU | undefined, errors: ErrorLog) => {
      const ctx = await acquireGpu(gpu, { errors });
      devices.push(ctx);
      return ctx;
    };
    let destroyed = false;
    const result = await runSuite(
      testGpu(),
      { suite: 'smoke', runtime: nodeRuntime(), overrides },
      {
        onProgress: (p) => {
          // Lose the device while the roofline phase is on its third step.
          if (!destroyed && p.phaseId === 'roofline' && p.stepsDone === 2) {
            destroyed = true;
            devices[0]?.device.destroy();
          }
        },
      },
      { cancelled: false },
      acquire,
    );
    expect(destroyed).toBe(true);
    expect(devices).toHaveLength(2);
    expect(parseResult(JSON.parse(JSON.stringify(result))).ok).toBe(true);
    const [roofline, matmul, generation] = result.phases;
    expect(roofline?.state).toBe('errored');
    if (roofline?.state === 'errored') expect(roofline.error).toMatch(/device lost/);
    // Completed before the loss: kept.
    expect(roofline?.measurements.slice(0, 2).map((m) => m.state)).toEqual(['ok', 'ok']);
    expect(matmul?.state).toBe('completed');
    expect(generation?.state).toBe('completed');
    expect(generation?.workloads?.map((w) => w.state)).toEqual(['ok']);
    expect(result.errors.some((e) => e.source === 'device-lost')).toBe(true);
    expect(result.errors.some((e) => /acquired a fresh adapter and device \(recovery 1 of/.test(e.message))).toBe(true);
    expect(result.status).toBe('completed');
  });

  test(`after ${MAX_DEVICE_RECOVERIES} recoveries the run stops cleanly with a partial result`, async () => {
    const devices: GpuContext[] = [];
    const acquire = async (gpu: GPU | undefined, errors: ErrorLog) => {
      const ctx = await acquireGpu(gpu, { errors });
      devices.push(ctx);
      return ctx;
    };
    const lostIn = new Set<string>();
    const result = await runSuite(
      testGpu(),
      { suite: 'smoke', runtime: nodeRuntime(), overrides },
      {
        onProgress: (p) => {
          // Every phase loses its device at its first step.
          if (!lostIn.has(p.phaseId)) {
            lostIn.add(p.phaseId);
            devices.at(-1)?.device.destroy();
          }
        },
      },
      { cancelled: false },
      acquire,
    );
    expect(devices).toHaveLength(1 + MAX_DEVICE_RECOVERIES);
    expect(result.phases.map((p) => p.state)).toEqual(['errored', 'errored', 'errored']);
    expect(parseResult(JSON.parse(JSON.stringify(result))).ok).toBe(true);
  });
});
