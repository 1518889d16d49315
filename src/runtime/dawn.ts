/** Node runtime through Dawn (npm `webgpu`): the same suite modules, no browser. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create, globals } from 'webgpu';
import type { Runtime } from '../schema/result';

/** Debian/Ubuntu Chromium ships SwiftShader's Vulkan ICD here; used when no other Vulkan driver is set. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Installs the WebGPU globals (GPUBufferUsage, ...) that browser code expects. */
export function installWebGpuGlobals(): void {
  Object.assign(globalThis, globals);
}

/**
 * Creates a Dawn `GPU`. `options` are Dawn's create() strings, e.g. "backend=vulkan",
 * "enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia".
 * With `software`, points the Vulkan loader at SwiftShader unless VK_ICD_FILENAMES/VK_DRIVER_FILES is set.
 */
export function createDawnGpu(options: string[] = [], software = false): GPU {
  if (software && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
    if (!existsSync(SWIFTSHADER_ICD)) {
      throw new Error(`software Vulkan requested but ${SWIFTSHADER_ICD} is missing: apt-get install chromium libvulkan1`);
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  installWebGpuGlobals();
  return create(options) as unknown as GPU;
}

function dawnPackageVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const main = req.resolve('webgpu');
    const pkg = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version: string };
    return `webgpu@${pkg.version}`;
  } catch {
    return 'webgpu@unknown';
  }
}

export function nodeRuntime(options: string[] = []): Runtime {
  return {
    kind: 'node',
    node: process.version,
    dawn: dawnPackageVersion(),
    platform: `${process.platform}-${process.arch}`,
    flags: options,
  };
}
