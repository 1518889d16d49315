import { describe, expect, test } from 'vitest';
import { NoAdapterError, acquireGpu } from '../../src/gpu/device';
import { runSuite } from '../../src/run/runner';

/** A WebGPU entry point whose requestAdapter finds nothing (a machine without a usable GPU). */
const noAdapters = { requestAdapter: async () => null, getPreferredCanvasFormat: () => 'bgra8unorm' } as unknown as GPU;

describe('no adapter: the message says what to do where the run is', () => {
  test('in a browser: browser settings', async () => {
    await expect(acquireGpu(noAdapters)).rejects.toThrow(NoAdapterError);
    await expect(acquireGpu(noAdapters)).rejects.toThrow(/chrome:\/\/gpu/);
  });

  test('in Node (Dawn): drivers, --list-adapters and the software profile, no browser advice', async () => {
    const r = await runSuite(noAdapters, { suite: 'smoke', runtime: { kind: 'node' } });
    expect(r.status).toBe('failed');
    const message = r.errors[0]?.message ?? '';
    expect(message).toMatch(/--list-adapters/);
    expect(message).toMatch(/--profile swiftshader/);
    expect(message).not.toMatch(/chrome:\/\/gpu/);
  });
});
