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
import { fillConst, fillHash } from '../../core/fill';
import { hashValue, sampleIndices } from '../../core/numeric';
import { type Check, checked, countNonFinite } from '../../core/verify';
import { type MeasuredWork, bindBuffers, dispatchWork, groupsFor } from '../../core/work';
import { FMA_B_SCALE, type Precision, fmaCoeffs, fmaFlopsPerThread, fmaThreadRef, readPartialsRef } from './probes.ref';

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

/** Threads for a grid-strided probe over `vecCount` vec4s, `perThread` elements each, within dispatch limits. */
function stridedThreads(vecCount: number, perThread: number, maxGroups: number): number {
  const want = Math.max(1, Math.ceil(vecCount / perThread));
  return Math.min(want, maxGroups * WG);
}

export interface ProbeOptions {
  seed: number;
  timeoutMs: number;
}

/**
 * Read bandwidth over `bytes` (a multiple of 16). Cost per unit: `bytes` read (the per-thread partial
 * sums it writes, 1/64 of that, are not what the figure measures).
 */
export async function createReadProbe(device: GPUDevice, res: Resources, bytes: number, opts: ProbeOptions): Promise<MeasuredWork> {
  const label = 'read_bandwidth';
  const vecCount = Math.floor(bytes / 16);
  const threads = stridedThreads(vecCount, 16, device.limits.maxComputeWorkgroupsPerDimension);
  const pipeline = await getPipeline(device, { label, code: readWgsl, constants: { WG } });
  const src = createBuffer(device, res, `${label}.src`, vecCount * 16);
  const partial = createBuffer(device, res, `${label}.partial`, threads * 4);
  const uniform = createUniform(device, res, `${label}.params`, params2(vecCount, threads));
  await fillHash(device, res, src, vecCount * 4, opts.seed);
  const group = bindBuffers(device, pipeline, label, [src, partial, uniform]);
  const work = dispatchWork(label, pipeline, [{ group, grid: [groupsFor(threads, WG)] }], {
    params: { bytes: vecCount * 16, threads },
    cost: () => ({ read: vecCount * 16, written: 0, flops: 0 }),
  });
  const check: Check = {
    method: `every per-thread partial sum vs float64 CPU sum, error relative to the sum of |x|`,
    threshold: READ_TOLERANCE,
    poison: () => fillConst(device, res, partial, threads, NaN),
    async compare() {
      const got = new Float32Array(await readBuffer(device, partial, opts.timeoutMs));
      const ref = readPartialsRef(opts.seed, vecCount, threads);
      let worst = 0;
      for (let t = 0; t < threads; t++) {
        const g = got[t] as number;
        const err = Number.isFinite(g) ? Math.abs(g - ref.sum[t]!) / (ref.abs[t]! + 1e-30) : Infinity;
        if (!(err <= worst)) worst = err;
      }
      // A NaN partial makes the error infinite (fails); the detail says why.
      const detail = Number.isFinite(worst) ? {} : { detail: 'a partial sum was not written (poison NaN survived)' };
      return { error: worst, checked: threads, unwritten: 0, ...detail };
    },
  };
  return checked(device, work, check);
}

/** Copy bandwidth over `bytes`. Cost per unit: `bytes` read and `bytes` written. */
export async function createCopyProbe(device: GPUDevice, res: Resources, bytes: number, opts: ProbeOptions): Promise<MeasuredWork> {
  const label = 'copy_bandwidth';
  const vecCount = Math.floor(bytes / 16);
  const threads = stridedThreads(vecCount, 4, device.limits.maxComputeWorkgroupsPerDimension);
  const pipeline = await getPipeline(device, { label, code: copyWgsl, constants: { WG } });
  const src = createBuffer(device, res, `${label}.src`, vecCount * 16);
  const dst = createBuffer(device, res, `${label}.dst`, vecCount * 16);
  const uniform = createUniform(device, res, `${label}.params`, params2(vecCount, threads));
  await fillHash(device, res, src, vecCount * 4, opts.seed);
  const group = bindBuffers(device, pipeline, label, [src, dst, uniform]);
  const work = dispatchWork(label, pipeline, [{ group, grid: [groupsFor(threads, WG)] }], {
    params: { bytes: vecCount * 16, threads },
    cost: () => ({ read: vecCount * 16, written: vecCount * 16, flops: 0 }),
  });
  const check: Check = {
    method: 'every copied element compared bit-exactly with the source values',
    threshold: 0,
    poison: () => fillConst(device, res, dst, vecCount * 4, NaN),
    async compare() {
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
      // The error is the count of differing elements (the poison included): any fails.
      const detail = mismatches ? { detail: `${mismatches} elements differ, first at index ${firstBad}` } : {};
      return { error: mismatches, checked: vecCount * 4, unwritten: 0, ...detail };
    },
  };
  return checked(device, work, check);
}

export interface FmaConfig {
  precision: Precision;
  threads: number;
  iterations: number;
}

/**
 * FMA peak: `threads` threads x `iterations` x 8 chains x vec4. Cost per unit in FLOPs (FMA = 2); its
 * operands and outputs (48 bytes per thread) are not what the figure measures.
 */
export async function createFmaProbe(device: GPUDevice, res: Resources, cfg: FmaConfig, opts: ProbeOptions): Promise<MeasuredWork> {
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
  const group = bindBuffers(device, pipeline, label, [coeffs, out, uniform]);
  const work = dispatchWork(label, pipeline, [{ group, grid: [groupsFor(threads, WG)] }], {
    params: { precision: cfg.precision, threads, iterations: cfg.iterations },
    cost: () => ({ read: 0, written: 0, flops: threads * fmaFlopsPerThread(cfg.iterations) }),
  });
  const sampled = sampleIndices(threads, FMA_CHECKED_THREADS, opts.seed);
  const check: Check = {
    method:
      `all ${threads * 4} outputs checked for poison; ${sampled.length} threads recomputed on the CPU ` +
      `with ${cfg.precision} rounding, error relative to the sum of |chain| per lane`,
    threshold: FMA_TOLERANCE[cfg.precision],
    poison: () => fillConst(device, res, out, threads * 4, NaN),
    async compare() {
      const got = new Float32Array(await readBuffer(device, out, opts.timeoutMs));
      let worst = 0;
      for (const t of sampled) {
        const { s, b32 } = fmaCoeffs(opts.seed, t);
        const ref = fmaThreadRef(s, b32, cfg.iterations, cfg.precision);
        for (let c = 0; c < 4; c++) {
          const err = Math.abs((got[4 * t + c] as number) - ref.value[c]!) / (ref.scale[c]! + 1e-30);
          if (!(err <= worst)) worst = err;
        }
      }
      return { error: worst, checked: sampled.length * 4, unwritten: countNonFinite(got) };
    },
  };
  return checked(device, work, check);
}
