/**
 * Roofline probes: read bandwidth, copy bandwidth, FMA peak (f32, f16). Operands come from buffers
 * filled with reproducible random values, outputs depend on every operation, and each probe checks its
 * output against the CPU reference in probes.ref.ts.
 */
import copyWgsl from '../../../shaders/probes/copy_bandwidth.wgsl?raw';
import fmaWgsl from '../../../shaders/probes/fma_peak.wgsl?raw';
import readWgsl from '../../../shaders/probes/read_bandwidth.wgsl?raw';
import { type Resources, createBuffer, createUniform, readBuffer, readBufferChunks } from '../../gpu/buffers';
import { assertFeature } from '../../gpu/device';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import type { Verification } from '../../schema/result';
import { fillConst, fillHash } from '../../core/fill';
import { hashValue, sampleIndices } from '../../core/numeric';
import { FMA_B_SCALE, type Precision, fmaCoeffs, fmaFlopsPerThread, fmaThreadRef, readPartialsRef } from './probes.ref';
import { type BenchKernel, groupsFor, runOnce } from '../../core/work';

const WG = 256;

/** Per-partial tolerance of the read probe, relative to the sum of |x| the partial covers (f32 sums). */
export const READ_TOLERANCE = 1e-4;
/**
 * FMA-probe tolerance, relative to the sum of |chain| per lane. f32 is reproduced bit for bit (the
 * bound only absorbs flush-to-zero style differences; one skipped iteration is ~100x larger); f16 allows
 * implementations that keep intermediate values in higher precision.
 */
export const FMA_TOLERANCE: Record<Precision, number> = { f32: 1e-6, f16: 2e-3 };
/** FMA-probe threads whose output the CPU recomputes (all outputs are checked for poison). */
const FMA_CHECKED_THREADS = 128;

function params2(vecCount: number, threads: number): ArrayBuffer {
  return new Uint32Array([vecCount, threads, 0, 0]).buffer;
}

function bind(device: GPUDevice, pipeline: GPUComputePipeline, label: string, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    label: `${label}.bind`,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

function dispatchWork(label: string, pipeline: GPUComputePipeline, group: GPUBindGroup, groups: number) {
  return {
    label,
    encode(pass: GPUComputePassEncoder) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(groups);
    },
  };
}

/** Threads for a grid-strided probe over `vecCount` vec4s, `perThread` elements each, within dispatch limits. */
function stridedThreads(vecCount: number, perThread: number, maxGroups: number): number {
  const want = Math.max(1, Math.ceil(vecCount / perThread));
  return Math.min(want, maxGroups * WG);
}

export interface ProbeOptions {
  seed: number;
  timeoutMs: number;
}

/** Read bandwidth over `bytes` (a multiple of 16). Work per unit: `bytes` read. */
export async function createReadProbe(
  device: GPUDevice,
  res: Resources,
  bytes: number,
  opts: ProbeOptions,
): Promise<BenchKernel> {
  const label = 'read_bandwidth';
  const vecCount = Math.floor(bytes / 16);
  const threads = stridedThreads(vecCount, 16, device.limits.maxComputeWorkgroupsPerDimension);
  const pipeline = await getPipeline(device, { label, code: readWgsl, constants: { WG } });
  const src = createBuffer(device, res, `${label}.src`, vecCount * 16);
  const partial = createBuffer(device, res, `${label}.partial`, threads * 4);
  const uniform = createUniform(device, res, `${label}.params`, params2(vecCount, threads));
  await fillHash(device, res, src, vecCount * 4, opts.seed);
  const group = bind(device, pipeline, label, [src, partial, uniform]);
  const work = dispatchWork(label, pipeline, group, groupsFor(threads, WG));
  return {
    label,
    params: { bytes: vecCount * 16, threads },
    work,
    amount: { bytes: vecCount * 16 },
    async verify(w = work): Promise<Verification> {
      await fillConst(device, res, partial, threads, NaN);
      runOnce(device, w);
      const got = new Float32Array(await readBuffer(device, partial, opts.timeoutMs));
      const ref = readPartialsRef(opts.seed, vecCount, threads);
      let worst = 0;
      for (let t = 0; t < threads; t++) {
        const g = got[t] as number;
        const err = Number.isFinite(g) ? Math.abs(g - ref.sum[t]!) / (ref.abs[t]! + 1e-30) : Infinity;
        if (!(err <= worst)) worst = err;
      }
      return {
        state: worst <= READ_TOLERANCE ? 'passed' : 'failed',
        method: `every per-thread partial sum vs float64 CPU sum, error relative to the sum of |x|`,
        error: Number.isFinite(worst) ? worst : -1,
        threshold: READ_TOLERANCE,
        checked: threads,
        ...(Number.isFinite(worst) ? {} : { detail: 'a partial sum was not written (poison NaN survived)' }),
      };
    },
  };
}

/** Copy bandwidth over `bytes`. Work per unit: `2 * bytes` (read + write). */
export async function createCopyProbe(
  device: GPUDevice,
  res: Resources,
  bytes: number,
  opts: ProbeOptions,
): Promise<BenchKernel> {
  const label = 'copy_bandwidth';
  const vecCount = Math.floor(bytes / 16);
  const threads = stridedThreads(vecCount, 4, device.limits.maxComputeWorkgroupsPerDimension);
  const pipeline = await getPipeline(device, { label, code: copyWgsl, constants: { WG } });
  const src = createBuffer(device, res, `${label}.src`, vecCount * 16);
  const dst = createBuffer(device, res, `${label}.dst`, vecCount * 16);
  const uniform = createUniform(device, res, `${label}.params`, params2(vecCount, threads));
  await fillHash(device, res, src, vecCount * 4, opts.seed);
  const group = bind(device, pipeline, label, [src, dst, uniform]);
  const work = dispatchWork(label, pipeline, group, groupsFor(threads, WG));
  return {
    label,
    params: { bytes: vecCount * 16, threads },
    work,
    amount: { bytes: 2 * vecCount * 16 },
    async verify(w = work): Promise<Verification> {
      await fillConst(device, res, dst, vecCount * 4, NaN);
      runOnce(device, w);
      let mismatches = 0;
      let firstBad = -1;
      await readBufferChunks(device, dst, vecCount * 16, 16 << 20, opts.timeoutMs, (chunk, byteOffset) => {
        const got = new Float32Array(chunk);
        const base = byteOffset / 4;
        for (let i = 0; i < got.length; i++) {
          if (!Object.is(got[i], hashValue(opts.seed, base + i))) {
            mismatches++;
            if (firstBad < 0) firstBad = base + i;
          }
        }
      });
      return {
        state: mismatches === 0 ? 'passed' : 'failed',
        method: 'every copied element compared bit-exactly with the source values',
        error: mismatches,
        threshold: 0,
        checked: vecCount * 4,
        ...(mismatches ? { detail: `${mismatches} elements differ, first at index ${firstBad}` } : {}),
      };
    },
  };
}

export interface FmaConfig {
  precision: Precision;
  threads: number;
  iterations: number;
}

/** FMA peak: `threads` threads x `iterations` x 8 chains x vec4. Work per unit in FLOPs (FMA = 2). */
export async function createFmaProbe(
  device: GPUDevice,
  res: Resources,
  cfg: FmaConfig,
  opts: ProbeOptions,
): Promise<BenchKernel> {
  const label = `fma_peak_${cfg.precision}`;
  if (cfg.precision === 'f16') assertFeature(device, 'shader-f16', 'f16 FMA peak skipped');
  const code = fillTemplate(fmaWgsl, {
    enable: cfg.precision === 'f16' ? 'enable f16;' : '',
    T: cfg.precision,
  });
  const pipeline = await getPipeline(device, { label, code, constants: { WG } });
  const threads = Math.min(cfg.threads, device.limits.maxComputeWorkgroupsPerDimension * WG);
  const coeffs = createBuffer(device, res, `${label}.coeffs`, threads * 32);
  const out = createBuffer(device, res, `${label}.out`, threads * 16);
  const words = new ArrayBuffer(16);
  new Uint32Array(words, 0, 2).set([cfg.iterations, threads]);
  // a = 1.0 arrives at run time, so the compiler cannot turn the FMA into an add or fold the loop.
  new Float32Array(words, 8, 2).set([1.0, FMA_B_SCALE]);
  const uniform = createUniform(device, res, `${label}.params`, words);
  await fillHash(device, res, coeffs, threads * 8, opts.seed);
  const group = bind(device, pipeline, label, [coeffs, out, uniform]);
  const work = dispatchWork(label, pipeline, group, groupsFor(threads, WG));
  const tolerance = FMA_TOLERANCE[cfg.precision];
  return {
    label,
    params: { precision: cfg.precision, threads, iterations: cfg.iterations },
    work,
    amount: { flops: threads * fmaFlopsPerThread(cfg.iterations) },
    async verify(w = work): Promise<Verification> {
      await fillConst(device, res, out, threads * 4, NaN);
      runOnce(device, w);
      const got = new Float32Array(await readBuffer(device, out, opts.timeoutMs));
      let unwritten = 0;
      for (const v of got) if (!Number.isFinite(v)) unwritten++;
      const checked = sampleIndices(threads, FMA_CHECKED_THREADS, opts.seed);
      let worst = 0;
      for (const t of checked) {
        const { s, b32 } = fmaCoeffs(opts.seed, t);
        const ref = fmaThreadRef(s, b32, cfg.iterations, cfg.precision);
        for (let c = 0; c < 4; c++) {
          const g = got[4 * t + c] as number;
          const err = Math.abs(g - ref.value[c]!) / (ref.scale[c]! + 1e-30);
          if (!(err <= worst)) worst = err;
        }
      }
      const ok = unwritten === 0 && worst <= tolerance;
      return {
        state: ok ? 'passed' : 'failed',
        method:
          `all ${threads * 4} outputs checked for poison; ${checked.length} threads recomputed on the CPU ` +
          `with ${cfg.precision} rounding, error relative to the sum of |chain| per lane`,
        error: Number.isFinite(worst) ? worst : -1,
        threshold: tolerance,
        checked: checked.length * 4,
        ...(unwritten ? { detail: `${unwritten} outputs not written (poison survived)` } : {}),
      };
    },
  };
}
