/** The matmul phase: f32 GEMM at each suite size (tuned first), and f16 GEMM on the matrix units where they exist. */
import { createMatmul } from '../../kernels/matmul/matmul';
import { createMatmulSgmat } from '../../kernels/matmul/sgmat';
import { type SgmatAdapterInfo, planSgmat } from '../../kernels/matmul/sgmat-plan';
import type { GpuContext } from '../../gpu/device';
import type { MatmulShape } from '../../kernels/matmul/matmul.ref';
import { PLAUSIBILITY } from '../suites';
import { matmulTask } from '../tune/tasks';
import { type KernelStep, kernelPhase, operandProblem } from './steps';

function sgmatEnv(gpu: GpuContext) {
  return { features: gpu.device.features, limits: gpu.device.limits, info: gpu.adapter.info as unknown as SgmatAdapterInfo };
}

/** f32: the variant is tuned on this shape first (checked, then timed); the step then checks and times the winner on fresh operands. */
function f32Step(shape: MatmulShape): KernelStep {
  return {
    id: `matmul-f32-${shape.M}x${shape.N}x${shape.K}`,
    label: `matmul f32 ${shape.M}x${shape.N}x${shape.K}`,
    meta: { kind: 'matmul', unit: 'GFLOP/s', bound: PLAUSIBILITY.f32 },
    params: { ...shape },
    skip: (gpu) => operandProblem(gpu, 4 * Math.max(shape.M * shape.K, shape.K * shape.N, shape.M * shape.N)),
    build: async (ctx, res, seed) => {
      const timeoutMs = ctx.config.gpuTimeoutMs;
      const variant = await ctx.tuner.choose(matmulTask(ctx.gpu.device, shape, seed, timeoutMs));
      return createMatmul(ctx.gpu.device, res, shape, { seed, timeoutMs, variant });
    },
  };
}

/** f16 on the matrix units (tensor cores) through Dawn's experimental subgroup matrices; skipped, with what would enable it, where absent. */
function f16Step(shape: MatmulShape): KernelStep {
  return {
    id: `matmul-f16-sgmat-${shape.M}x${shape.N}x${shape.K}`,
    label: `matmul f16 subgroup-matrix ${shape.M}x${shape.N}x${shape.K}`,
    meta: { kind: 'matmul', unit: 'GFLOP/s', bound: PLAUSIBILITY.f16Matrix },
    params: { ...shape, precision: 'f16' },
    skip: (gpu) => {
      const plan = planSgmat(sgmatEnv(gpu), shape);
      if (typeof plan === 'string') return plan;
      const out = plan.choice.accumulate === 'f32' ? 4 : 2;
      return operandProblem(gpu, Math.max(2 * shape.M * shape.K, 2 * shape.K * shape.N, out * shape.M * shape.N));
    },
    build: (ctx, res, seed) => createMatmulSgmat(ctx.gpu.device, res, shape, { seed, timeoutMs: ctx.config.gpuTimeoutMs, adapterInfo: sgmatEnv(ctx.gpu).info }),
  };
}

export const matmulPhase = kernelPhase('matmul', 'Matmul (f32 tiled, f16 subgroup-matrix)', (_config, spec) => [
  ...spec.matmul.shapes.map(f32Step),
  ...spec.matmul.f16Shapes.map(f16Step),
]);
