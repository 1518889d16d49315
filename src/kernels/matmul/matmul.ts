/**
 * Register-blocked f32 matmul kernels with their CPU check, as a small list of variants an autotuner can
 * time on the real shapes: shaders/matmul_tiled.wgsl (scalar, 4x4 outputs per thread) and
 * shaders/matmul_vec4.wgsl (vec4 loads/stores, 8x8 outputs per thread, double-buffered staging).
 */
import matmulWgsl from '../../../shaders/matmul/tiled.wgsl?raw';
import matmulVec4Wgsl from '../../../shaders/matmul/vec4.wgsl?raw';
import { type Resources, alignTo, createBuffer, createUniform, readBufferChunks } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import type { Verification } from '../../schema/result';
import { fillConst, fillHash } from '../../core/fill';
import { type MatmulShape, matmulOperands, matmulRef, matmulSamplePicks, relativeL2 } from './matmul.ref';
import { hashValue } from '../../core/numeric';
import type { BenchKernel } from '../../core/work';
import { gridWork, runOnce } from '../../core/work';

/** Relative L2 error allowed against the float64 reference (f32 accumulation over K <= 8192 stays ~1e-5). */
export const MATMUL_REL_L2_THRESHOLD = 1e-4;
/** Above this many multiply-adds the CPU checks a sample of outputs instead of all of them. */
const FULL_CHECK_MACS = 1 << 26;
/** Outputs recomputed on the CPU for large shapes (plus the last row and column, where edge bugs live). */
const SAMPLED_OUTPUTS = 768;

/** One way to compute the f32 matmul: which shader and the tile it is compiled for. */
export interface MatmulVariant {
  /** Stable name recorded in results: tile<BM>x<BN>k<BK>_<TM>x<TN>, suffix v4 for the vec4 kernel. */
  id: string;
  /** What it is, in a few words. */
  description: string;
  /** 'tiled': shaders/matmul_tiled.wgsl (scalar); 'vec4': shaders/matmul_vec4.wgsl. */
  shader: 'tiled' | 'vec4';
  /** Workgroup size (threads along N, along M). */
  wgX: number;
  wgY: number;
  /** Depth of the K slice staged in workgroup memory. */
  bk: number;
  /** Outputs per thread along M and N (fixed by the shader: 4x4 tiled, 8x8 vec4). */
  tm: number;
  tn: number;
}

/** vec4 loads one thread may hold per K slice in matmul_vec4.wgsl (its MAX_LOADS). */
const VEC4_MAX_LOADS = 4;

/** Rows and columns of C one workgroup computes. */
export function variantTile(v: MatmulVariant): { bm: number; bn: number } {
  return { bm: v.wgY * v.tm, bn: v.wgX * v.tn };
}

/** Workgroup memory the variant declares (the vec4 kernel keeps two stages). */
export function variantStorageBytes(v: MatmulVariant): number {
  const { bm, bn } = variantTile(v);
  return (v.shader === 'vec4' ? 2 : 1) * 4 * v.bk * (bm + bn);
}

/**
 * Every variant, the default first. The default (today's 64x64 tile) keeps its id so results stay
 * comparable across versions.
 */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = [
  {
    id: 'tile64x64k16_4x4',
    description: '16x16 threads, 4x4 scalar outputs each, K slices of 16 (the default)',
    shader: 'tiled',
    wgX: 16,
    wgY: 16,
    bk: 16,
    tm: 4,
    tn: 4,
  },
  {
    id: 'tile64x64k32_4x4',
    description: 'the default with K slices of 32: half the barriers per K, 16 KiB of workgroup memory',
    shader: 'tiled',
    wgX: 16,
    wgY: 16,
    bk: 32,
    tm: 4,
    tn: 4,
  },
  {
    id: 'tile128x128k8_8x8v4',
    description: '16x16 threads, 8x8 outputs each from vec4 workgroup reads, vec4 global loads/stores, double-buffered K slices of 8',
    shader: 'vec4',
    wgX: 16,
    wgY: 16,
    bk: 8,
    tm: 8,
    tn: 8,
  },
  {
    id: 'tile128x128k16_8x8v4',
    description: 'the 128x128 vec4 kernel with K slices of 16 (32 KiB of workgroup memory)',
    shader: 'vec4',
    wgX: 16,
    wgY: 16,
    bk: 16,
    tm: 8,
    tn: 8,
  },
  {
    id: 'tile128x64k8_8x8v4',
    description: '8x16 threads (128), 8x8 vec4 outputs each: twice the workgroups of 128x128 for mid-size shapes',
    shader: 'vec4',
    wgX: 8,
    wgY: 16,
    bk: 8,
    tm: 8,
    tn: 8,
  },
];

/** Reason the device cannot run `v`, or null. Only the device's limits decide: no subgroup size or vendor is assumed. */
export function variantUnfitReason(v: MatmulVariant, limits: GPUSupportedLimits): string | null {
  const threads = v.wgX * v.wgY;
  const bytes = variantStorageBytes(v);
  if (threads > limits.maxComputeInvocationsPerWorkgroup) {
    return `${threads} invocations > maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}`;
  }
  if (v.wgX > limits.maxComputeWorkgroupSizeX) return `workgroup x ${v.wgX} > maxComputeWorkgroupSizeX ${limits.maxComputeWorkgroupSizeX}`;
  if (v.wgY > limits.maxComputeWorkgroupSizeY) return `workgroup y ${v.wgY} > maxComputeWorkgroupSizeY ${limits.maxComputeWorkgroupSizeY}`;
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    return `${bytes} bytes of workgroup memory > maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`;
  }
  return null;
}

/** The variants this device can run, the default first (the default fits WebGPU's minimum limits). */
export function matmulVariants(device: Pick<GPUDevice, 'limits'>): MatmulVariant[] {
  return MATMUL_VARIANTS.filter((v) => variantUnfitReason(v, device.limits) === null);
}

/** Shader, label and pipeline constants of a variant; throws when the shader cannot compute its shape. */
export function variantPipeline(v: MatmulVariant): { code: string; label: string; constants: Record<string, number> } {
  const constants = { WG_X: v.wgX, WG_Y: v.wgY, BK: v.bk };
  if (v.shader === 'tiled') {
    if (v.tm !== 4 || v.tn !== 4) throw new Error(`${v.id}: matmul_tiled.wgsl computes 4x4 outputs per thread`);
    return { code: matmulWgsl, label: 'matmul_tiled', constants };
  }
  const threads = v.wgX * v.wgY;
  const { bm, bn } = variantTile(v);
  const loadsA = (bm * v.bk) / 4 / threads;
  const loadsB = (v.bk * bn) / 4 / threads;
  if (v.tm !== 8 || v.tn !== 8 || v.bk % 4 !== 0) throw new Error(`${v.id}: matmul_vec4.wgsl computes 8x8 outputs per thread, BK a multiple of 4`);
  for (const n of [loadsA, loadsB]) {
    if (!Number.isInteger(n) || n < 1 || n > VEC4_MAX_LOADS) {
      throw new Error(`${v.id}: ${n} vec4 loads per thread and K slice (must be a whole number in 1..${VEC4_MAX_LOADS})`);
    }
  }
  return { code: matmulVec4Wgsl, label: 'matmul_vec4', constants };
}

function resolveVariant(variant: MatmulVariant | string | undefined): MatmulVariant {
  if (variant === undefined) return MATMUL_VARIANTS[0] as MatmulVariant;
  if (typeof variant !== 'string') return variant;
  const v = MATMUL_VARIANTS.find((x) => x.id === variant);
  if (!v) throw new Error(`unknown matmul variant "${variant}" (known: ${MATMUL_VARIANTS.map((x) => x.id).join(', ')})`);
  return v;
}

export interface MatmulOptions {
  seed: number;
  timeoutMs: number;
  /** A variant from matmulVariants() or its id; default the first (MATMUL_VARIANTS[0]). */
  variant?: MatmulVariant | string;
}

/**
 * C = A * B in f32 with reproducible random operands, using `opts.variant` (default: the first of
 * MATMUL_VARIANTS). The result names the variant in `params.variant` and its tile in `params.tile`.
 */
export async function createMatmul(device: GPUDevice, res: Resources, shape: MatmulShape, opts: MatmulOptions): Promise<BenchKernel> {
  const { M, N, K } = shape;
  const variant = resolveVariant(opts.variant);
  const unfit = variantUnfitReason(variant, device.limits);
  if (unfit) throw new Error(`matmul variant ${variant.id} does not fit this device: ${unfit}`);
  const { code, label, constants } = variantPipeline(variant);
  const pipeline = await getPipeline(device, { label, code, constants });
  const seedA = opts.seed;
  const seedB = opts.seed + 1;
  // Padded to whole vec4s: matmul_vec4.wgsl binds array<vec4<f32>>, whose length rounds down.
  const A = createBuffer(device, res, `${label}.A`, alignTo(M * K * 4, 16));
  const B = createBuffer(device, res, `${label}.B`, alignTo(K * N * 4, 16));
  const C = createBuffer(device, res, `${label}.C`, alignTo(M * N * 4, 16));
  const uniform = createUniform(device, res, `${label}.dims`, new Uint32Array([M, N, K, 0]).buffer);
  await fillHash(device, res, A, M * K, seedA);
  await fillHash(device, res, B, K * N, seedB);
  const { bm, bn } = variantTile(variant);
  const work = gridWork(device, label, pipeline, [A, B, C, uniform], Math.ceil(N / bn), Math.ceil(M / bm));
  return {
    label,
    params: { M, N, K, variant: variant.id, tile: `${bm}x${bn}x${variant.bk}` },
    work,
    amount: { flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N) },
    async verify(w = work): Promise<Verification> {
      await fillConst(device, res, C, M * N, NaN);
      runOnce(device, w);
      const got = new Float32Array(M * N);
      await readBufferChunks(device, C, M * N * 4, 16 << 20, opts.timeoutMs, (chunk, off) => {
        got.set(new Float32Array(chunk), off / 4);
      });
      let unwritten = 0;
      for (const v of got) if (!Number.isFinite(v)) unwritten++;
      let err: number;
      let checked: number;
      let how: string;
      if (M * N * K <= FULL_CHECK_MACS) {
        const a = new Float32Array(M * K).map((_, i) => hashValue(seedA, i));
        const b = new Float32Array(K * N).map((_, i) => hashValue(seedB, i));
        err = relativeL2(got, matmulRef(shape, a, b));
        checked = M * N;
        how = 'all outputs';
      } else {
        const op = matmulOperands(shape, seedA, seedB);
        const idx = matmulSamplePicks(M, N, SAMPLED_OUTPUTS, opts.seed);
        const ref = idx.map((p) => {
          const i = Math.floor(p / N);
          const j = p % N;
          let s = 0;
          for (let k = 0; k < K; k++) s += op.a(i, k) * op.b(k, j);
          return s;
        });
        err = relativeL2(
          idx.map((p) => got[p] as number),
          ref,
        );
        checked = idx.length;
        how = `${idx.length} sampled outputs (incl. last row/column); every output checked for poison`;
      }
      const ok = unwritten === 0 && err <= MATMUL_REL_L2_THRESHOLD;
      return {
        state: ok ? 'passed' : 'failed',
        method: `relative L2 error vs float64 CPU reference on ${how}`,
        error: Number.isFinite(err) ? err : -1,
        threshold: MATMUL_REL_L2_THRESHOLD,
        checked,
        ...(unwritten ? { detail: `${unwritten} outputs not written (poison NaN survived)` } : {}),
      };
    },
  };
}
