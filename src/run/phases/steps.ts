/**
 * Phases made of kernel steps (roofline probes, matmuls): each step is skipped with a reason, or built,
 * checked against its CPU reference and timed (src/measure/measure.ts) into one Measurement.
 */
import { Resources } from '../../gpu/buffers';
import type { GpuContext } from '../../gpu/device';
import { CancelledError, errorMessage } from '../../gpu/errors';
import type { MeasuredWork } from '../../core/work';
import { type MeasureMeta, measureKernel } from '../../measure/measure';
import type { RunConfig } from '../../schema/result';
import { type PhaseContext, type PhaseDef, type PhaseUnit, unitSeed } from '../phase';
import type { SuiteSpec } from '../suites';

/** A kernel step of a phase. */
export interface KernelStep extends PhaseUnit {
  id: string;
  meta: Omit<MeasureMeta, 'id' | 'label'>;
  params: Record<string, number | string | boolean>;
  /** Why the step cannot run on this device, or null. */
  skip(gpu: GpuContext): string | null;
  /** Builds the kernel on its operands (in `res`, freed after the step). */
  build(ctx: PhaseContext, res: Resources, seed: number): Promise<MeasuredWork>;
}

function stepBase(step: KernelStep) {
  return { id: step.id, label: step.label, kind: step.meta.kind, params: step.params, work: {} };
}

/** A phase whose units are kernel steps; a step that fails is recorded as errored and the phase goes on. */
export function kernelPhase(id: string, title: string, steps: (config: RunConfig, spec: SuiteSpec) => KernelStep[]): PhaseDef<KernelStep> {
  return {
    id,
    title,
    units: steps,
    open: (ctx, out) => async (step, index) => {
      const reason = step.skip(ctx.gpu);
      if (reason) {
        out.measurements.push({ ...stepBase(step), state: 'skipped', reason });
        return;
      }
      const res = new Resources();
      try {
        const kernel = await ctx.guard(`${step.id}.setup`, () => step.build(ctx, res, unitSeed(ctx.phaseIndex, index)));
        out.measurements.push(await measureKernel(kernel, ctx.timer, ctx.plan, { id: step.id, label: step.label, ...step.meta }, ctx.guard));
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        const msg = errorMessage(e);
        out.measurements.push({ ...stepBase(step), state: 'errored', error: msg });
        ctx.gpu.errors.add('phase', `${step.id}: ${msg}`);
      } finally {
        res.destroyAll();
      }
    },
  };
}

/** The device's largest storage binding (and buffer) in bytes. */
export function bindingLimit(gpu: GpuContext): number {
  const l = gpu.device.limits;
  return Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize);
}

/** Why operands of `bytes` cannot be bound on this device, or null. */
export function operandProblem(gpu: GpuContext, bytes: number): string | null {
  const limit = bindingLimit(gpu);
  return bytes > limit ? `an operand needs ${bytes} bytes > the device's storage binding limit ${limit} bytes` : null;
}
