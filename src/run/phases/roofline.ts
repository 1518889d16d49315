/** The roofline phase: the device's ceilings (read and copy bandwidth, f32 and f16 FMA peaks). */
import { createCopyProbe, createFmaProbe, createReadProbe } from '../../kernels/probes/probes';
import { copiesFor } from '../../core/stream';
import { PLAUSIBILITY } from '../suites';
import { type KernelStep, bindingLimit, kernelPhase } from './steps';

const MiB = 1 << 20;

/** Largest multiple of 16 bytes not above `want` and the device's binding limit. */
function fitBytes(limit: number, want: number): number {
  return Math.floor(Math.min(want, limit) / 16) * 16;
}

export const rooflinePhase = kernelPhase('roofline', 'Roofline probes', (_config, spec) => {
  const r = spec.roofline;
  const stream = spec.stream;
  const fma = (precision: 'f32' | 'f16'): KernelStep => ({
    id: `fma-${precision}`,
    label: `${precision} FMA peak`,
    meta: { kind: 'compute', unit: 'GFLOP/s', bound: PLAUSIBILITY[precision] },
    params: { precision },
    skip: (gpu) => (precision === 'f16' && !gpu.device.features.has('shader-f16') ? 'shader-f16 not supported by this adapter: f16 FMA peak skipped' : null),
    build: (ctx, res, seed) => createFmaProbe(ctx.gpu.device, res, { precision, ...r.fma }, { seed, timeoutMs: ctx.config.gpuTimeoutMs }),
  });
  return [
    {
      id: 'read-bandwidth',
      label: `read bandwidth (${r.readBytes / MiB} MiB)`,
      meta: { kind: 'bandwidth', unit: 'GB/s', bound: PLAUSIBILITY.bandwidth },
      params: {},
      skip: () => null,
      build: (ctx, res, seed) => {
        const bytes = fitBytes(bindingLimit(ctx.gpu), r.readBytes);
        return createReadProbe(ctx.gpu.device, res, bytes, { seed, timeoutMs: ctx.config.gpuTimeoutMs, copies: copiesFor(bytes, stream.targetBytes, stream.maxCopies) });
      },
    },
    {
      id: 'copy-bandwidth',
      label: `copy bandwidth (${r.copyBytes / MiB} MiB, read + write)`,
      meta: { kind: 'bandwidth', unit: 'GB/s', bound: PLAUSIBILITY.bandwidth },
      params: {},
      skip: () => null,
      build: (ctx, res, seed) => {
        const bytes = fitBytes(bindingLimit(ctx.gpu), r.copyBytes);
        return createCopyProbe(ctx.gpu.device, res, bytes, { seed, timeoutMs: ctx.config.gpuTimeoutMs, copies: copiesFor(2 * bytes, stream.targetBytes, stream.maxCopies) });
      },
    },
    fma('f32'),
    fma('f16'),
  ];
});
