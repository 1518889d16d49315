import { countNonFinite } from '../../../core/verify';
import { readBuffer } from '../../../gpu/buffers';
import type { GpuModel } from '../../../model/model';
import type { GenEnv } from './env';

/** Non-finite values among the first `rows` rows of the logits (synthetic weights must keep them finite). */
export async function nonFiniteLogits(env: GenEnv, model: GpuModel, rows: number): Promise<number> {
  const V = model.cfg.arch.vocab;
  return countNonFinite(new Float32Array(await readBuffer(env.device, model.logits, env.timeoutMs, 0, 4 * V * rows)));
}
