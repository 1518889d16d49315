import { createDawnGpu } from '../../bench/dawn';
import { Resources } from '../../src/gpu/buffers';
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
