/** WGSL sources, template substitution and a per-device pipeline cache. */
import { withErrorScopes, withTimeout } from './errors';

/** Longest a pipeline may take to compile (software adapters compile slowly; a hung driver must not stall the run). */
export const PIPELINE_TIMEOUT_MS = 120_000;

/**
 * Replaces `{{key}}` placeholders. Only for what `override` constants cannot express (element types,
 * `enable` directives). A missing key or a leftover placeholder is a programming error.
 */
export function fillTemplate(source: string, vars: Record<string, string>): string {
  const out = source.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`WGSL template: no value for {{${key}}}`);
    return v;
  });
  return out;
}

export interface PipelineSpec {
  /** Label prefix, e.g. "matmul_tiled"; GPU objects get "<label>.module" / "<label>.pipeline". */
  label: string;
  code: string;
  entryPoint?: string;
  constants?: Record<string, number>;
}

const cache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

function cacheKey(spec: PipelineSpec): string {
  const constants = Object.entries(spec.constants ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${spec.label}|${spec.entryPoint ?? 'main'}|${constants}|${spec.code}`;
}

async function compile(device: GPUDevice, spec: PipelineSpec): Promise<GPUComputePipeline> {
  return withErrorScopes(device, `${spec.label}.pipeline`, async () => {
    const module = device.createShaderModule({ label: `${spec.label}.module`, code: spec.code });
    try {
      return await withTimeout(
        device.createComputePipelineAsync({
          label: `${spec.label}.pipeline`,
          layout: 'auto',
          compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants ?? {} },
        }),
        PIPELINE_TIMEOUT_MS,
        `compiling ${spec.label}`,
      );
    } catch (e) {
      // Surface the compiler's own messages; the pipeline error alone is often just "invalid module".
      const info = await module.getCompilationInfo();
      const msgs = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      throw new Error(`${spec.label}.pipeline: ${(e as Error).message}${msgs.length ? ` (${msgs.join('; ')})` : ''}`);
    }
  });
}

/** Creates (or reuses, per device) a compute pipeline; errors name the kernel. */
export function getPipeline(device: GPUDevice, spec: PipelineSpec): Promise<GPUComputePipeline> {
  let perDevice = cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    cache.set(device, perDevice);
  }
  const key = cacheKey(spec);
  let p = perDevice.get(key);
  if (!p) {
    p = compile(device, spec);
    perDevice.set(key, p);
    // A failed compile must not poison the cache for a retry.
    p.catch(() => perDevice?.delete(key));
  }
  return p;
}
