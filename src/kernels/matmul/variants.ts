/**
 * The f32 matmul variants an autotuner times on the real shapes: shaders/matmul/tiled.wgsl (scalar, 4x4
 * outputs per thread) and shaders/matmul/vec4.wgsl (vec4 loads/stores, 8x8 outputs per thread,
 * double-buffered staging), each compiled for one tile. Whether a variant can run is read from the
 * device's limits alone: no subgroup size or vendor is assumed.
 */
import matmulWgsl from '../../../shaders/matmul/tiled.wgsl?raw';
import matmulVec4Wgsl from '../../../shaders/matmul/vec4.wgsl?raw';
import type { PipelineSpec } from '../../gpu/wgsl';
import type { Variant } from '../../core/variant';

/** What one f32 matmul variant compiles: which shader and the tile it is compiled for. */
export interface MatmulParams {
  /** What it is, in a few words. */
  description: string;
  /** 'tiled': shaders/matmul/tiled.wgsl (scalar); 'vec4': shaders/matmul/vec4.wgsl. */
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

/** vec4 loads one thread may hold per K slice in shaders/matmul/vec4.wgsl (its MAX_LOADS). */
const VEC4_MAX_LOADS = 4;

/** Rows and columns of C one workgroup computes. */
export function variantTile(p: MatmulParams): { bm: number; bn: number } {
  return { bm: p.wgY * p.tm, bn: p.wgX * p.tn };
}

/** Workgroup memory the variant declares (the vec4 kernel keeps two stages). */
export function variantStorageBytes(p: MatmulParams): number {
  const { bm, bn } = variantTile(p);
  return (p.shader === 'vec4' ? 2 : 1) * 4 * p.bk * (bm + bn);
}

/** Why `p` cannot run within `limits` (undefined: it can). */
function matmulProblem(p: MatmulParams, limits: GPUSupportedLimits): string | undefined {
  const threads = p.wgX * p.wgY;
  const bytes = variantStorageBytes(p);
  if (threads > limits.maxComputeInvocationsPerWorkgroup) {
    return `${threads} invocations > maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}`;
  }
  if (p.wgX > limits.maxComputeWorkgroupSizeX) return `workgroup x ${p.wgX} > maxComputeWorkgroupSizeX ${limits.maxComputeWorkgroupSizeX}`;
  if (p.wgY > limits.maxComputeWorkgroupSizeY) return `workgroup y ${p.wgY} > maxComputeWorkgroupSizeY ${limits.maxComputeWorkgroupSizeY}`;
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    return `${bytes} bytes of workgroup memory > maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`;
  }
  return undefined;
}

/** A variant named `id` (tile<BM>x<BN>k<BK>_<TM>x<TN>, suffix v4 for the vec4 kernel: the id results record). */
function matmulVariant(id: string, params: MatmulParams): Variant<MatmulParams> {
  return { id, params, problem: (device) => matmulProblem(params, device.limits) };
}

/**
 * Every variant, the default first. The default (the 64x64 tile) keeps its id so results stay
 * comparable across versions; it fits WebGPU's minimum limits. The shape does not decide which can run
 * (every variant handles edge tiles), so the list is the same for every shape.
 */
export const MATMUL_VARIANTS: readonly Variant<MatmulParams>[] = [
  matmulVariant('tile64x64k16_4x4', {
    description: '16x16 threads, 4x4 scalar outputs each, K slices of 16 (the default)',
    shader: 'tiled',
    wgX: 16,
    wgY: 16,
    bk: 16,
    tm: 4,
    tn: 4,
  }),
  matmulVariant('tile64x64k32_4x4', {
    description: 'the default with K slices of 32: half the barriers per K, 16 KiB of workgroup memory',
    shader: 'tiled',
    wgX: 16,
    wgY: 16,
    bk: 32,
    tm: 4,
    tn: 4,
  }),
  matmulVariant('tile128x128k8_8x8v4', {
    description: '16x16 threads, 8x8 outputs each from vec4 workgroup reads, vec4 global loads/stores, double-buffered K slices of 8',
    shader: 'vec4',
    wgX: 16,
    wgY: 16,
    bk: 8,
    tm: 8,
    tn: 8,
  }),
  matmulVariant('tile128x128k16_8x8v4', {
    description: 'the 128x128 vec4 kernel with K slices of 16 (32 KiB of workgroup memory)',
    shader: 'vec4',
    wgX: 16,
    wgY: 16,
    bk: 16,
    tm: 8,
    tn: 8,
  }),
  matmulVariant('tile128x64k8_8x8v4', {
    description: '8x16 threads (128), 8x8 vec4 outputs each: twice the workgroups of 128x128 for mid-size shapes',
    shader: 'vec4',
    wgX: 8,
    wgY: 16,
    bk: 8,
    tm: 8,
    tn: 8,
  }),
];

/** The variant named `id` (an id from a tuning cache or the command line). */
export function matmulVariantById(id: string): Variant<MatmulParams> {
  const v = MATMUL_VARIANTS.find((x) => x.id === id);
  if (!v) throw new Error(`unknown matmul variant "${id}" (known: ${MATMUL_VARIANTS.map((x) => x.id).join(', ')})`);
  return v;
}

/** Shader, label and pipeline constants of a variant; throws when the shader cannot compute its shape. */
export function variantPipeline(v: Variant<MatmulParams>): PipelineSpec {
  const p = v.params;
  const constants = { WG_X: p.wgX, WG_Y: p.wgY, BK: p.bk };
  if (p.shader === 'tiled') {
    if (p.tm !== 4 || p.tn !== 4) throw new Error(`${v.id}: matmul/tiled.wgsl computes 4x4 outputs per thread`);
    return { code: matmulWgsl, label: 'matmul_tiled', constants };
  }
  const threads = p.wgX * p.wgY;
  const { bm, bn } = variantTile(p);
  const loadsA = (bm * p.bk) / 4 / threads;
  const loadsB = (p.bk * bn) / 4 / threads;
  if (p.tm !== 8 || p.tn !== 8 || p.bk % 4 !== 0) throw new Error(`${v.id}: matmul/vec4.wgsl computes 8x8 outputs per thread, BK a multiple of 4`);
  for (const n of [loadsA, loadsB]) {
    if (!Number.isInteger(n) || n < 1 || n > VEC4_MAX_LOADS) {
      throw new Error(`${v.id}: ${n} vec4 loads per thread and K slice (must be a whole number in 1..${VEC4_MAX_LOADS})`);
    }
  }
  return { code: matmulVec4Wgsl, label: 'matmul_vec4', constants };
}
