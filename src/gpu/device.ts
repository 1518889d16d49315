/**
 * Device acquisition and environment capture. No DOM: the caller passes the `GPU` object
 * (navigator.gpu in a browser or worker, `create()` from npm `webgpu` in Node).
 */
import type { AdapterInfo, Environment, RunError } from '../schema/result';
import { withTimeout } from './errors';

/** Longest adapter or device acquisition may take before the run reports a hang. */
export const ACQUIRE_TIMEOUT_MS = 60_000;

/** Optional features we use when the adapter has them. */
export const WANTED_FEATURES = [
  'timestamp-query',
  'shader-f16',
  'subgroups',
  'chromium-experimental-subgroup-matrix',
] as const;

/** Limits we raise to the adapter's maximum (large operands, big workgroups). */
export const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Every numeric limit name WebGPU defines that we record (adapter vs granted). */
const LIMIT_NAMES = [
  ...WANTED_LIMITS,
  'maxUniformBufferBindingSize',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'maxUniformBuffersPerShaderStage',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
  'maxTextureDimension2D',
] as const;

/** Error sink shared by the device listeners and the phases: everything ends up in the result. */
export class ErrorLog {
  readonly entries: RunError[] = [];
  /** Name of the phase currently running, attached to asynchronous errors. */
  phase: string | undefined;

  add(source: RunError['source'], message: string, phase = this.phase): RunError {
    const entry: RunError = { source, message, at: new Date().toISOString(), ...(phase ? { phase } : {}) };
    this.entries.push(entry);
    return entry;
  }
}

export interface GpuContext {
  adapter: GPUAdapter;
  device: GPUDevice;
  environment: Environment;
  errors: ErrorLog;
  /** Set once the device is lost; phases check it before doing work. */
  lost: { reason: string; message: string } | null;
}

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

/** Words that identify a software implementation in adapter info. */
const SOFTWARE_PATTERN = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|software/i;

export function detectSoftware(info: AdapterInfo): { isSoftware: boolean; reason: string } {
  if (info.isFallbackAdapter) return { isSoftware: true, reason: 'adapter reports isFallbackAdapter' };
  for (const field of ['architecture', 'description', 'device', 'vendor'] as const) {
    const m = SOFTWARE_PATTERN.exec(info[field]);
    if (m) return { isSoftware: true, reason: `adapter ${field} "${info[field]}" names a software implementation` };
  }
  return { isSoftware: false, reason: 'hardware adapter' };
}

export function readAdapterInfo(adapter: GPUAdapter): AdapterInfo {
  const info = adapter.info as GPUAdapterInfo & {
    isFallbackAdapter?: boolean;
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
  };
  // Older implementations exposed isFallbackAdapter on the adapter itself.
  const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const out: AdapterInfo = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacyFallback ?? false),
  };
  if (typeof info.subgroupMinSize === 'number') out.subgroupMinSize = info.subgroupMinSize;
  if (typeof info.subgroupMaxSize === 'number') out.subgroupMaxSize = info.subgroupMaxSize;
  return out;
}

function readLimits(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  const bag = limits as unknown as Record<string, unknown>;
  for (const name of LIMIT_NAMES) {
    const v = bag[name];
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
  }
  return out;
}

export interface AcquireOptions {
  /** Ask for a specific power preference (default high-performance). */
  powerPreference?: GPUPowerPreference;
  /** Error log to record into (a run keeps one log across device re-acquisitions). */
  errors?: ErrorLog;
  /** What to suggest when there is no adapter: the browser's settings, or Dawn's in Node. */
  host?: 'browser' | 'node';
}

/** What a user can do when requestAdapter() finds nothing, in the browser or in Node (Dawn). */
const NO_ADAPTER_HINT = {
  browser:
    'requestAdapter() returned null: the browser exposes WebGPU but found no usable GPU. ' +
    'Try: enable hardware acceleration; update the GPU driver; in Chrome/Chromium on Linux start with ' +
    '--enable-unsafe-webgpu --enable-features=Vulkan; check chrome://gpu for "WebGPU: Hardware accelerated".',
  node:
    'requestAdapter() returned null: Dawn found no GPU driver it can use (Vulkan, Metal or D3D12). ' +
    'List what it sees with --list-adapters; check the GPU driver (Linux: its Vulkan ICD and libvulkan1); ' +
    'on a machine without a GPU, --profile swiftshader runs on a software adapter (results labelled software).',
} as const;

/**
 * Requests the high-performance adapter and a device with every wanted feature the adapter has and the
 * adapter's maximum for the limits we need. Throws NoAdapterError with a user-actionable message.
 */
export async function acquireGpu(gpu: GPU | undefined, opts: AcquireOptions = {}): Promise<GpuContext> {
  if (!gpu) {
    throw new NoAdapterError(
      'WebGPU is not available in this context (navigator.gpu is missing). Use a browser with WebGPU ' +
        '(Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows) on a secure origin (https or http://127.0.0.1).',
    );
  }
  const adapter = await withTimeout(
    gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' }),
    ACQUIRE_TIMEOUT_MS,
    'requestAdapter()',
  );
  if (!adapter) {
    throw new NoAdapterError(NO_ADAPTER_HINT[opts.host ?? 'browser']);
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  const adapterLimitBag = adapter.limits as unknown as Record<string, number>;
  for (const name of WANTED_LIMITS) {
    const v = adapterLimitBag[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await withTimeout(
    adapter.requestDevice({ label: 'tokenbench.device', requiredFeatures, requiredLimits }),
    ACQUIRE_TIMEOUT_MS,
    'requestDevice()',
  );
  const adapterInfo = readAdapterInfo(adapter);
  const environment: Environment = {
    adapter: adapterInfo,
    adapterFeatures: [...adapter.features].sort(),
    deviceFeatures: [...device.features].sort(),
    adapterLimits: readLimits(adapter.limits),
    deviceLimits: readLimits(device.limits),
    software: detectSoftware(adapterInfo),
  };
  const ctx: GpuContext = { adapter, device, environment, errors: opts.errors ?? new ErrorLog(), lost: null };
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    ctx.errors.add('uncaptured', `${err.constructor?.name ?? 'GPUError'}: ${err.message}`);
  });
  void device.lost.then((info) => {
    ctx.lost = { reason: String(info.reason), message: info.message };
    // An explicit destroy() at the end of a run is not a failure.
    if (info.reason !== 'destroyed' || ctx.errors.phase) {
      ctx.errors.add('device-lost', `device lost (${String(info.reason)}): ${info.message}`);
    }
  });
  return ctx;
}

/** Capability check with a message the user can act on. */
export function assertFeature(device: GPUDevice, feature: string, consequence: string): void {
  if (!device.features.has(feature)) {
    throw new CapabilityError(`${feature} not supported by this adapter: ${consequence}`);
  }
}

export class CapabilityError extends Error {
  override name = 'CapabilityError';
}
