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
import { residency } from '../../core/stream';
import { type Check, checked, combine, countNonFinite, verify } from '../../core/verify';
import { type GpuWork, type MeasuredWork, type WorkCost, bindBuffers, dispatchWork, groupsFor, rotate } from '../../core/work';
import type { Verification } from '../../schema/result';
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
  /**
   * Distinct copies of the operands, taken in turn one per unit (core/stream.ts): a bandwidth figure is
   * memory's only when the copies together stream more than any cache holds. Default 1.
   */
  copies?: number;
}

/** One copy of a bandwidth probe: its unit of work and its check. */
interface ProbeCopy {
  work: GpuWork;
  check: Check;
}

/**
 * `copies` probe copies (seeds seed, seed + 1, ...) as one MeasuredWork: units rotate through the copies,
 * each copy's output is checked (one Verification over all), and params say how far it streams.
 */
async function streamed(
  device: GPUDevice,
  label: string,
  bytes: number,
  cost: WorkCost,
  opts: ProbeOptions,
  make: (seed: number, copy: number) => Promise<ProbeCopy>,
  params: Record<string, number>,
): Promise<MeasuredWork> {
  const n = Math.max(1, opts.copies ?? 1);
  const parts: ProbeCopy[] = [];
  for (let c = 0; c < n; c++) parts.push(await make(opts.seed + c, c));
  const r = residency(n, bytes);
  const work = rotate(label, parts.map((p) => p.work), {
    params: { ...params, bytes, copies: n, distinctBytes: r.distinctBytes, cacheSafe: r.cacheSafe },
    cost: () => cost,
  });
  const checkAll = async (instead?: GpuWork) => {
    const cases = [];
    for (const [c, p] of parts.entries()) cases.push({ name: `copy ${c}`, verification: await verify(device, instead ?? p.work, p.check) });
    const first = parts[0] as ProbeCopy;
    return n === 1 ? (cases[0] as { verification: Verification }).verification : combine(`${first.check.method}; each of ${n} copies`, first.check.threshold, cases);
  };
  return Object.assign(work, { check: checkAll }) as MeasuredWork;
}

/**
 * Read bandwidth over `bytes` (a multiple of 16) per copy. Cost per unit: `bytes` read (the per-thread
 * partial sums it writes, 1/64 of that, are not what the figure measures).
 */
export async function createReadProbe(device: GPUDevice, res: Resources, bytes: number, opts: ProbeOptions): Promise<MeasuredWork> {
  const label = 'read_bandwidth';
  const vecCount = Math.floor(bytes / 16);
  const threads = stridedThreads(vecCount, 16, device.limits.maxComputeWorkgroupsPerDimension);
  const pipeline = await getPipeline(device, { label, code: readWgsl, constants: { WG } });
  const uniform = createUniform(device, res, `${label}.params`, params2(vecCount, threads));
  const copy = async (seed: number, c: number): Promise<ProbeCopy> => {
    const src = createBuffer(device, res, `${label}.src${c}`, vecCount * 16);
    const partial = createBuffer(device, res, `${label}.partial${c}`, threads * 4);
    await fillHash(device, res, src, vecCount * 4, seed);
    const work = dispatchWork(label, pipeline, [{ group: bindBuffers(device, pipeline, label, [src, partial, uniform]), grid: [groupsFor(threads, WG)] }]);
    return { work, check: readCheck(device, res, partial, seed, vecCount, threads, opts.timeoutMs) };
  };
  return streamed(device, label, vecCount * 16, { read: vecCount * 16, written: 0, flops: 0 }, opts, copy, { threads });
}

function readCheck(device: GPUDevice, res: Resources, partial: GPUBuffer, seed: number, vecCount: number, threads: number, timeoutMs: number): Check {
  return {
    method: `every per-thread partial sum vs float64 CPU sum, error relative to the sum of |x|`,
    threshold: READ_TOLERANCE,
    poison: () => fillConst(device, res, partial, threads, NaN),
    async compare() {
      const got = new Float32Array(await readBuffer(device, partial, timeoutMs));
      const ref = readPartialsRef(seed, vecCount, threads);
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
}

/** Copy bandwidth over `bytes` per copy. Cost per unit: `bytes` read and `bytes` written. */
export async function createCopyProbe(device: GPUDevice, res: Resources, bytes: number, opts: ProbeOptions): Promise<MeasuredWork> {
  const label = 'copy_bandwidth';
  const vecCount = Math.floor(bytes / 16);
  const threads = stridedThreads(vecCount, 4, device.limits.maxComputeWorkgroupsPerDimension);
  const pipeline = await getPipeline(device, { label, code: copyWgsl, constants: { WG } });
  const uniform = createUniform(device, res, `${label}.params`, params2(vecCount, threads));
  const copy = async (seed: number, c: number): Promise<ProbeCopy> => {
    const src = createBuffer(device, res, `${label}.src${c}`, vecCount * 16);
    const dst = createBuffer(device, res, `${label}.dst${c}`, vecCount * 16);
    await fillHash(device, res, src, vecCount * 4, seed);
    const work = dispatchWork(label, pipeline, [{ group: bindBuffers(device, pipeline, label, [src, dst, uniform]), grid: [groupsFor(threads, WG)] }]);
    return { work, check: copyCheck(device, res, dst, seed, vecCount, opts.timeoutMs) };
  };
  // Both sides stream: a copy moves 2 x bytes distinct bytes per unit.
  return streamed(device, label, 2 * vecCount * 16, { read: vecCount * 16, written: vecCount * 16, flops: 0 }, opts, copy, { threads, bytesPerSide: vecCount * 16 });
}

function copyCheck(device: GPUDevice, res: Resources, dst: GPUBuffer, seed: number, vecCount: number, timeoutMs: number): Check {
  return {
    method: 'every copied element compared bit-exactly with the source values',
    threshold: 0,
    poison: () => fillConst(device, res, dst, vecCount * 4, NaN),
    async compare() {
      let mismatches = 0;
      let firstBad = -1;
      await readBufferChunks(device, dst, vecCount * 16, 16 << 20, timeoutMs, (chunk, byteOffset) => {
        const got = new Float32Array(chunk);
        const base = byteOffset / 4;
        for (let i = 0; i < got.length; i++) {
          if (!Object.is(got[i], hashValue(seed, base + i))) {
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
