/** RMSNorm (shaders/transformer/rmsnorm.wgsl): the output head's norm (the layers' norms are fused into linears). */
import rmsnormWgsl from '../../../shaders/transformer/rmsnorm.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import { type BufferArg, type Kernel, bindBuffers, bufferEntry, dispatchWork } from '../../core/work';
import { ROW_WG, assertRows } from './shared';

export interface RmsNormConfig {
  dim: number;
  eps: number;
}

export interface RmsNormArgs {
  /** f32 [rows, dim]. */
  x: BufferArg;
  /** f32 [dim]. */
  w: BufferArg;
  /** f32 [rows, dim]; may be the same buffer as x (normalises in place). */
  y: BufferArg;
  rows: number;
}

function sameBinding(a: BufferArg, b: BufferArg): boolean {
  const buf = (x: BufferArg) => ('buffer' in x ? x.buffer : x);
  const off = (x: BufferArg) => ('buffer' in x ? (x.offset ?? 0) : 0);
  return buf(a) === buf(b) && off(a) === off(b);
}

/**
 * y[t,:] = x[t,:] * w / sqrt(mean(x[t,:]^2) + eps); one workgroup of 256 threads per row. Passing the
 * same buffer as x and y normalises in place (a separate entry point that binds it once).
 */
export async function createRmsNorm(device: GPUDevice, cfg: RmsNormConfig): Promise<Kernel<RmsNormArgs>> {
  const label = 'rmsnorm';
  const constants = { WG: ROW_WG };
  const pipeline = await getPipeline(device, { label, code: rmsnormWgsl, constants });
  const inPlace = await getPipeline(device, { label: `${label}.in_place`, code: rmsnormWgsl, entryPoint: 'main_in_place', constants });
  return {
    bind(args, res) {
      assertRows(device, label, args.rows);
      const words = new ArrayBuffer(16);
      new Uint32Array(words, 0, 2).set([cfg.dim, args.rows]);
      new Float32Array(words, 8, 1).set([cfg.eps]);
      const params = createUniform(device, res, `${label}.params`, words);
      if (sameBinding(args.x, args.y)) {
        const group = device.createBindGroup({
          label: `${label}.in_place.bind`,
          layout: inPlace.getBindGroupLayout(0),
          entries: [bufferEntry(1, args.w), bufferEntry(2, args.y), bufferEntry(3, params)],
        });
        return dispatchWork(label, inPlace, [{ group, grid: [args.rows] }]);
      }
      return dispatchWork(label, pipeline, [{ group: bindBuffers(device, pipeline, label, [args.x, args.w, args.y, params]), grid: [args.rows] }]);
    },
  };
}
