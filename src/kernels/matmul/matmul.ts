/**
 * f32 matmul C = A * B on reproducible random operands, in one of the variants of variants.ts, with its
 * check against float64 dot products (check.ts).
 */
import { type Resources, alignTo, createBuffer, createUniform } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import { fillHash } from '../../core/fill';
import { type Variant, assertFeasible } from '../../core/variant';
import { checked } from '../../core/verify';
import { type MeasuredWork, bindBuffers, dispatchWork } from '../../core/work';
import { gemmCheck } from './check';
import { type MatmulShape, matmulOperands } from './matmul.ref';
import { MATMUL_VARIANTS, type MatmulParams, matmulVariantById, variantPipeline, variantTile } from './variants';

/** Relative L2 error allowed against the float64 reference (f32 accumulation over K <= 8192 stays ~1e-5). */
export const MATMUL_REL_L2_THRESHOLD = 1e-4;

export interface MatmulOptions {
  seed: number;
  timeoutMs: number;
  /** A variant of MATMUL_VARIANTS or its id; default the first. */
  variant?: Variant<MatmulParams> | string;
}

/**
 * C = A * B in f32 with reproducible random operands, using `opts.variant` (default: the first of
 * MATMUL_VARIANTS). The result names the variant in `params.variant` and its tile in `params.tile`.
 */
export async function createMatmul(device: GPUDevice, res: Resources, shape: MatmulShape, opts: MatmulOptions): Promise<MeasuredWork> {
  const { M, N, K } = shape;
  const variant = typeof opts.variant === 'string' ? matmulVariantById(opts.variant) : (opts.variant ?? (MATMUL_VARIANTS[0] as Variant<MatmulParams>));
  const spec = variantPipeline(variant);
  const label = spec.label;
  assertFeasible(label, variant, device);
  const pipeline = await getPipeline(device, spec);
  const seedA = opts.seed;
  const seedB = opts.seed + 1;
  // Padded to whole vec4s: matmul/vec4.wgsl binds array<vec4<f32>>, whose length rounds down.
  const A = createBuffer(device, res, `${label}.A`, alignTo(M * K * 4, 16));
  const B = createBuffer(device, res, `${label}.B`, alignTo(K * N * 4, 16));
  const C = createBuffer(device, res, `${label}.C`, alignTo(M * N * 4, 16));
  const uniform = createUniform(device, res, `${label}.dims`, new Uint32Array([M, N, K, 0]).buffer);
  await fillHash(device, res, A, M * K, seedA);
  await fillHash(device, res, B, K * N, seedB);
  const { bm, bn } = variantTile(variant.params);
  const group = bindBuffers(device, pipeline, label, [A, B, C, uniform]);
  const work = dispatchWork(label, pipeline, [{ group, grid: [Math.ceil(N / bn), Math.ceil(M / bm)] }], {
    variant: variant.id,
    params: { M, N, K, variant: variant.id, tile: `${bm}x${bn}x${variant.params.bk}` },
    cost: () => ({ read: 4 * (M * K + K * N), written: 4 * M * N, flops: 2 * M * N * K }),
  });
  const check = gemmCheck(device, res, {
    shape,
    C,
    out: 'f32',
    poisonWord: NaN,
    operands: matmulOperands(shape, seedA, seedB),
    threshold: MATMUL_REL_L2_THRESHOLD,
    method: (how) => `relative L2 error vs float64 CPU reference on ${how}`,
    seed: opts.seed,
    timeoutMs: opts.timeoutMs,
  });
  return checked(device, work, check);
}
