/**
 * The one contract of GPU work. Every kernel the suite times, the tuner compares or the model runs is a
 * GpuWork: a label, the variant it runs, an encode() that sets its pipeline and bind groups (made once,
 * at bind time) and dispatches its grid, what one unit moves and computes, and a check() against its
 * CPU reference. Kernel families build GpuWork through a factory whose bind() takes buffers
 * (Kernel<A>); timers, tuners and the model only ever see GpuWork.
 */
import type { Resources } from '../gpu/buffers';
import type { Verification } from '../schema/result';

/** Bytes one unit of work reads and writes. */
export interface Traffic {
  read: number;
  written: number;
}

/** What one unit moves and computes. */
export interface WorkCost extends Traffic {
  flops: number;
}

export interface GpuWork {
  /** Names the work and its GPU objects, e.g. "linear.q4_0" (validation messages name the culprit). */
  readonly label: string;
  /** The variant it runs (e.g. "wg64.r2.v1.tree"); absent for kernels with a single variant. */
  readonly variant?: string;
  /** Encodes one unit: pipeline, bind groups and dispatch grid. Cheap: nothing is created here. */
  encode(pass: GPUComputePassEncoder): void;
  /**
   * What one unit reads, writes and computes when state[0] is `pos` at its start (kernels measured on
   * their own ignore `pos`). The model's reported traffic is the sum over the ops it built.
   */
  cost?(pos: number): WorkCost;
  /**
   * Poisons the outputs, runs one unit and compares them with the CPU reference (core/verify.ts).
   * `instead` runs in place of this unit: tests pass a broken one to prove the check can fail.
   */
  check?(instead?: GpuWork): Promise<Verification>;
  /** How the result describes the unit (shape, variant, tile). */
  readonly params?: Readonly<Record<string, number | string | boolean>>;
}

/**
 * Work the suite measures on its own (roofline probes, matmuls): it checks itself, says what one unit
 * moves and computes, and how the result describes it. cost(0) is what its figure counts: GB/s divide
 * read + written bytes, GFLOP/s flops (a probe leaves out what it does not measure, e.g. an FMA probe's
 * few operand bytes).
 */
export type MeasuredWork = GpuWork & Required<Pick<GpuWork, 'check' | 'cost' | 'params'>>;

/** A kernel whose pipeline is built; bind() makes its bind groups and uniforms once and returns the work. */
export interface Kernel<A> {
  bind(args: A, res: Resources): GpuWork;
}

/** Runs one unit of `work` in its own submit (checks; never timed). */
export function runOnce(device: GPUDevice, work: GpuWork): void {
  const enc = device.createCommandEncoder({ label: `${work.label}.check` });
  const pass = enc.beginComputePass({ label: `${work.label}.check.pass` });
  work.encode(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
}

/** Workgroups needed for `threads` threads of `wg`. */
export function groupsFor(threads: number, wg: number): number {
  return Math.ceil(threads / wg);
}

/** A whole buffer, or a range of one (offset a multiple of minStorageBufferOffsetAlignment). */
export type BufferArg = GPUBuffer | GPUBufferBinding;

/** Bind group entry for a whole buffer or a range of one. */
export function bufferEntry(binding: number, arg: BufferArg): GPUBindGroupEntry {
  return { binding, resource: 'buffer' in arg ? arg : { buffer: arg } };
}

/** A bind group of `buffers` at bindings 0..n-1 of `pipeline`'s layout 0. */
export function bindBuffers(device: GPUDevice, pipeline: GPUComputePipeline, label: string, buffers: readonly BufferArg[]): GPUBindGroup {
  return device.createBindGroup({
    label: `${label}.bind`,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((b, i) => bufferEntry(i, b)),
  });
}

/**
 * One dispatch of `pipeline` per bind group in `groups`, each over a (x, y, z) grid: the shape of every
 * kernel here (split tensors dispatch once per part). `extra` (variant, cost, params) is kept on the work.
 */
export function dispatchWork<E extends Omit<GpuWork, 'label' | 'encode'> = Record<never, never>>(
  label: string,
  pipeline: GPUComputePipeline,
  groups: ReadonlyArray<{ group: GPUBindGroup; grid: readonly [number, number?, number?] }>,
  extra?: E,
): GpuWork & E {
  return {
    label,
    ...(extra as E),
    encode(pass: GPUComputePassEncoder) {
      pass.setPipeline(pipeline);
      for (const { group, grid } of groups) {
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(grid[0], grid[1] ?? 1, grid[2] ?? 1);
      }
    },
  };
}

/** `works` encoded one after another in the same pass, as one unit named `label` (a check that runs several binds). */
export function sequence(label: string, works: readonly GpuWork[]): GpuWork {
  return {
    label,
    encode(pass) {
      for (const w of works) w.encode(pass);
    },
  };
}

/**
 * Distinct copies of one kernel's work taken in turn: unit i encodes copy i mod n. Timed over many units,
 * a bandwidth figure then reads n copies' bytes before any byte again (core/stream.ts). Every copy must
 * move the same bytes: the rotation's cost is the first copy's.
 */
export function rotate(label: string, works: readonly GpuWork[], extra: Omit<GpuWork, 'label' | 'encode'> = {}): GpuWork {
  if (!works.length) throw new Error(`${label}: nothing to rotate through`);
  let next = 0;
  return {
    label,
    ...extra,
    encode(pass) {
      (works[next] as GpuWork).encode(pass);
      next = (next + 1) % works.length;
    },
  };
}

/** `work` with its cost attached (bind() results are fresh objects, so this extends them in place). */
export function withCost<W extends GpuWork>(work: W, cost: (pos: number) => WorkCost): W & { cost(pos: number): WorkCost } {
  return Object.assign(work, { cost });
}

/** Dispatches `works` encode, counted on a stand-in pass that records nothing (no GPU work). */
export function countDispatches(works: readonly GpuWork[]): number {
  let n = 0;
  const noop = () => {};
  const pass = {
    label: 'count_dispatches',
    setPipeline: noop,
    setBindGroup: noop,
    pushDebugGroup: noop,
    popDebugGroup: noop,
    insertDebugMarker: noop,
    end: noop,
    dispatchWorkgroups: () => void n++,
    dispatchWorkgroupsIndirect: () => void n++,
  } as unknown as GPUComputePassEncoder;
  for (const w of works) w.encode(pass);
  return n;
}
