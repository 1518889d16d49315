import { createDawnGpu } from '../../src/runtime/dawn';
import { afterAll, beforeAll } from 'vitest';
import { Resources, createBuffer, readBuffer } from '../../src/gpu/buffers';
import { type GpuContext, acquireGpu } from '../../src/gpu/device';

let gpu: GPU | undefined;

export function testGpu(): GPU {
  gpu ??= createDawnGpu([], true);
  return gpu;
}

/**
 * Runs `fn` with a fresh device and a resource tracker. Fails (never skips) when no adapter exists:
 * in CI that means the software Vulkan setup is broken, which must be loud.
 */
export async function withDevice(fn: (ctx: GpuContext, res: Resources) => Promise<void>): Promise<void> {
  const ctx = await acquireGpu(testGpu());
  const res = new Resources();
  try {
    await fn(ctx, res);
  } finally {
    res.destroyAll();
    ctx.device.destroy();
  }
}

/** GPU wait limit of kernel tests. */
export const TIMEOUT_MS = 60_000;

/**
 * One device for a whole test file (SwiftShader compiles each pipeline once per device, and pipelines
 * are cached per device). `withRes` gives each case its own resources and a validation error scope,
 * so a GPU validation error is reported ahead of the assertion it broke.
 */
export function sharedDevice() {
  let ctx: GpuContext | undefined;
  beforeAll(async () => {
    ctx = await acquireGpu(testGpu());
  });
  afterAll(() => ctx?.device.destroy());
  const device = (): GPUDevice => {
    if (!ctx) throw new Error('sharedDevice() used outside a test');
    return ctx.device;
  };
  async function withRes(fn: (device: GPUDevice, res: Resources) => Promise<void>): Promise<void> {
    const d = device();
    const res = new Resources();
    d.pushErrorScope('validation');
    let thrown: unknown = null;
    try {
      await fn(d, res);
    } catch (e) {
      thrown = e;
    } finally {
      res.destroyAll();
    }
    const gpuError = await d.popErrorScope();
    if (gpuError) throw new Error(`GPU validation error: ${gpuError.message}${thrown ? `\n(then: ${String(thrown)})` : ''}`);
    if (thrown) throw thrown;
  }
  return { device, withRes };
}

export function f32Buf(device: GPUDevice, res: Resources, values: ArrayLike<number>): GPUBuffer {
  const b = createBuffer(device, res, 'test.f32', values.length * 4);
  device.queue.writeBuffer(b, 0, Float32Array.from(values));
  return b;
}

export function u32Buf(device: GPUDevice, res: Resources, values: ArrayLike<number>): GPUBuffer {
  const b = createBuffer(device, res, 'test.u32', values.length * 4);
  device.queue.writeBuffer(b, 0, Uint32Array.from(values));
  return b;
}

export async function readF32(device: GPUDevice, b: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, b, TIMEOUT_MS, 0, n * 4));
}

export async function readU32(device: GPUDevice, b: GPUBuffer, n: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, b, TIMEOUT_MS, 0, n * 4));
}
