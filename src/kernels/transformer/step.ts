/** The position advance (shaders/transformer/step_advance.wgsl): many steps go into one submit with no CPU round trip. */
import stepAdvanceWgsl from '../../../shaders/transformer/step_advance.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import { type BufferArg, type Kernel, bindBuffers, dispatchWork } from '../../core/work';
import { u32Words } from './shared';

export interface StepAdvanceArgs {
  state: BufferArg;
  /** Added to state[0]: 1 after a decode step, the chunk length after a prefill chunk. */
  posDelta: number;
}

/** state[0] += posDelta, state[1] += 1, on the GPU (one thread). */
export async function createStepAdvance(device: GPUDevice, _cfg: Record<string, never> = {}): Promise<Kernel<StepAdvanceArgs>> {
  const label = 'step_advance';
  const pipeline = await getPipeline(device, { label, code: stepAdvanceWgsl });
  return {
    bind(args, res) {
      const params = createUniform(device, res, `${label}.params`, u32Words(args.posDelta, 0, 0, 0));
      return dispatchWork(label, pipeline, [{ group: bindBuffers(device, pipeline, label, [args.state, params]), grid: [1] }]);
    },
  };
}
