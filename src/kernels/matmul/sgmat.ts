/**
 * f16 GEMM on the matrix units (tensor cores) through Dawn's `chromium-experimental-subgroup-matrix`
 * (shaders/matmul/subgroup_matrix.wgsl), with its check against float64 dot products on the f16 inputs
 * (check.ts). What decides whether it can run, and its plan, are in sgmat-plan.ts.
 */
import sgmatTemplate from '../../../shaders/matmul/subgroup_matrix.wgsl?raw';
import { type Resources, createBuffer, createUniform } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import { fillHashF16 } from '../../core/fill';
import { assertFeasible } from '../../core/variant';
import { checked } from '../../core/verify';
import { type MeasuredWork, bindBuffers, dispatchWork } from '../../core/work';
import { gemmCheck } from './check';
import type { MatmulShape } from './matmul.ref';
import { type SgmatAdapterInfo, type SgmatChoice, type SgmatPlan, type SgmatTile, describeConfig, planSgmat, sgmatEnvOf, sgmatMatmulVariant, sgmatTileDims } from './sgmat-plan';
import { sgmatOperands, sgmatThreshold } from './sgmat.ref';

/** Bits of an f16 NaN in both halves of a word: poisons two f16 outputs at once. */
const F16_NAN_PAIR = 0x7e007e00;

/** The kernel's WGSL for a choice and tile (template filled; SG_SIZE stays an override). */
export function sgmatWgsl(choice: SgmatChoice, t: SgmatTile): string {
  const c = choice.config;
  return fillTemplate(sgmatTemplate, {
    acc_t: choice.accumulate,
    cm: String(c.M),
    cn: String(c.N),
    ck: String(c.K),
    fm: String(t.fm),
    fn: String(t.fn),
    sg_m: String(t.sgM),
    sg_n: String(t.sgN),
    bk: String(t.bk),
  });
}

export interface SgmatOptions {
  seed: number;
  timeoutMs: number;
  /** Adapter info with subgroupMatrixConfigs and subgroupMaxSize (default: device.adapterInfo). */
  adapterInfo?: SgmatAdapterInfo;
}

/**
 * C = A * B with f16 A and B on the matrix units: the entry point. Plans from the device's features and
 * limits and the adapter's configurations, and throws the reason when the device cannot run it (callers
 * that want a skip ask sgmatMatmulVariant(shape).problem(device) first). `params` record the
 * configuration and the accumulation type.
 */
export async function createMatmulSgmat(device: GPUDevice, res: Resources, shape: MatmulShape, opts: SgmatOptions): Promise<MeasuredWork> {
  assertFeasible('matmul_subgroup_matrix', sgmatMatmulVariant(shape, opts.adapterInfo), device);
  const plan = planSgmat(sgmatEnvOf(device, opts.adapterInfo), shape) as SgmatPlan;
  return buildMatmulSgmat(device, res, shape, plan, opts);
}

/**
 * The kernel for an explicit choice and tile (an autotuner may try other tiles than planSgmatTile's).
 * Checks nothing about the device; `code` replaces the generated WGSL (tests run a software emulation of
 * subgroup matrices through the same host code and check).
 */
export async function buildMatmulSgmat(
  device: GPUDevice,
  res: Resources,
  shape: MatmulShape,
  plan: SgmatPlan,
  opts: {
    seed: number;
    timeoutMs: number;
    /** Above this many multiply-adds the check samples outputs (default FULL_CHECK_MACS). */
    fullCheckMacs?: number;
  },
  code = sgmatWgsl(plan.choice, plan.tile),
): Promise<MeasuredWork> {
  const { choice, tile } = plan;
  const { M, N, K } = shape;
  const { bm, bn } = sgmatTileDims(choice.config, tile);
  const label = 'matmul_subgroup_matrix';
  const pipeline = await getPipeline(device, { label, code, constants: { SG_SIZE: tile.sgSize } });
  const seedA = opts.seed;
  const seedB = opts.seed + 1;
  const outBytes = choice.accumulate === 'f32' ? 4 : 2;
  const A = createBuffer(device, res, `${label}.A`, M * K * 2);
  const B = createBuffer(device, res, `${label}.B`, K * N * 2);
  const C = createBuffer(device, res, `${label}.C`, M * N * outBytes);
  const uniform = createUniform(device, res, `${label}.dims`, new Uint32Array([M, N, K, 0]).buffer);
  await fillHashF16(device, res, A, M * K, seedA);
  await fillHashF16(device, res, B, K * N, seedB);
  const c = choice.config;
  const group = bindBuffers(device, pipeline, label, [A, B, C, uniform]);
  const work = dispatchWork(label, pipeline, [{ group, grid: [Math.ceil(N / bn), Math.ceil(M / bm)] }], {
    params: {
      M,
      N,
      K,
      precision: 'f16',
      config: `${c.M}x${c.N}x${c.K}`,
      accumulate: choice.accumulate,
      tile: `${bm}x${bn}x${tile.bk}`,
      subgroups: `${tile.sgM}x${tile.sgN}x${tile.sgSize}`,
    },
    cost: () => ({ read: 2 * (M * K + K * N), written: outBytes * M * N, flops: 2 * M * N * K }),
  });
  // The f16 operands are exact in f32, so float64 sums of their products are the reference.
  const check = gemmCheck(device, res, {
    shape,
    C,
    out: choice.accumulate,
    // f32: NaN; f16: a word of two f16 NaNs, written through its f32 bit pattern (a normal number).
    poisonWord: choice.accumulate === 'f32' ? NaN : (new Float32Array(new Uint32Array([F16_NAN_PAIR]).buffer)[0] as number),
    operands: sgmatOperands(shape, seedA, seedB),
    threshold: sgmatThreshold(choice.accumulate, K),
    method: (how) => `relative L2 error vs float64 CPU reference on the f16 inputs (${how}); ${describeConfig(c)}, ${choice.accumulate} accumulation`,
    seed: opts.seed,
    timeoutMs: opts.timeoutMs,
    ...(opts.fullCheckMacs !== undefined ? { fullCheckMacs: opts.fullCheckMacs } : {}),
  });
  return checked(device, work, check);
}
