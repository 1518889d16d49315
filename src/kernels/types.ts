import type { Verification } from '../result/schema';
import type { Work } from '../gpu/timer';

/** A kernel instance bound to its buffers, ready to be verified and timed. */
export interface BenchKernel {
  label: string;
  params: Record<string, number | string | boolean>;
  /** One unit of work, as timed. */
  work: Work;
  /** Work per unit, for the metric. */
  amount: { bytes?: number; flops?: number };
  /**
   * Poisons the outputs, runs one unit and checks it against the CPU reference. `work` replaces the
   * kernel's own unit (tests pass a broken one to prove the check can fail).
   */
  verify(work?: Work): Promise<Verification>;
}

/** Runs one unit of `work` in its own submit (verification runs, not timed). */
export function runOnce(device: GPUDevice, work: Work): void {
  const enc = device.createCommandEncoder({ label: `${work.label}.verify` });
  const pass = enc.beginComputePass({ label: `${work.label}.verify.pass` });
  work.encode(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
}

/** 1-D dispatch helper: workgroups needed for `threads` threads. */
export function groupsFor(threads: number, wg: number): number {
  return Math.ceil(threads / wg);
}

/**
 * A unit of work that binds `buffers` to bindings 0..n-1 of `pipeline` once and dispatches a (gx, gy)
 * grid: the shape of every one-pass matmul.
 */
export function gridWork(device: GPUDevice, label: string, pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[], gx: number, gy: number): Work {
  const group = device.createBindGroup({
    label: `${label}.bind`,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  return {
    label,
    encode(pass: GPUComputePassEncoder) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(gx, gy);
    },
  };
}
