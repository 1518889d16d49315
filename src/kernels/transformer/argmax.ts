/** Greedy sampling (shaders/transformer/argmax.wgsl): the next tokens, kept on the GPU and logged. */
import argmaxWgsl from '../../../shaders/transformer/argmax.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import { type BufferArg, type Kernel, bindBuffers, dispatchWork } from '../../core/work';
import { ROW_WG, assertRows, u32Words } from './shared';

export interface ArgmaxConfig {
  vocab: number;
}

export interface ArgmaxArgs {
  /** f32 [rows, vocab]. */
  logits: BufferArg;
  /** array<u32> [rows], written: the next input tokens. */
  cur: BufferArg;
  /** array<u32>, written at state[1] * rows + r (indices past its end are skipped). */
  log: BufferArg;
  state: BufferArg;
  rows: number;
}

/** Greedy argmax per row (ties to the lowest index, NaN never wins); one workgroup of 256 per row. */
export async function createArgmax(device: GPUDevice, cfg: ArgmaxConfig): Promise<Kernel<ArgmaxArgs>> {
  const label = 'argmax';
  const pipeline = await getPipeline(device, { label, code: argmaxWgsl, constants: { WG: ROW_WG } });
  return {
    bind(args, res) {
      assertRows(device, label, args.rows);
      const params = createUniform(device, res, `${label}.params`, u32Words(args.rows, cfg.vocab, 0, 0));
      const group = bindBuffers(device, pipeline, label, [args.logits, args.cur, args.log, args.state, params]);
      return dispatchWork(label, pipeline, [{ group, grid: [args.rows] }]);
    },
  };
}
