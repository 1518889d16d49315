/**
 * Correctness before any token is timed: every transformer kernel's self-check on odd sizes, and a tiny
 * architecture's full prefill + decode against the float64 CPU forward in each weight format.
 */
import { Resources, readBuffer } from '../../../gpu/buffers';
import { relativeL2 } from '../../../core/numeric';
import { verdict } from '../../../core/verify';
import { checkAttention } from '../../../kernels/attention/check';
import { checkLinear } from '../../../kernels/linear/check';
import { checkTransformerKernels } from '../../../kernels/transformer/check';
import { decodeTileVariant } from '../../../kernels/attention/tiles';
import { GpuModel, type ModelConfig, encodeForward } from '../../../model/model';
import { ReferenceModel } from '../../../model/reference';
import type { Arch } from '../../../model/types';
import type { ModelFormat } from '../../../model/formats/mix';
import type { KvType, Verification } from '../../../schema/result';
import { promptTokens } from './tokens';

/** Architecture of the full-forward check: 2 layers, GQA, QKV bias, untied head. */
export const CHECK_ARCH = 'tiny';

/** Logit tolerance of the full-forward check: relative L2 vs the float64 reference on the same weights. */
export const FORWARD_LOGIT_TOLERANCE = 1e-3;
/** Prompt and decode length of the full-forward check. */
const CHECK_PROMPT = 7;
const CHECK_STEPS = 4;

/**
 * Kernel self-checks: every transformer kernel on random data, odd sizes, poisoned outputs; the cache
 * writers and attention with the run's KV-cache type.
 */
export async function runKernelChecks(device: GPUDevice, timeoutMs: number, kvType: KvType = 'f32'): Promise<Array<{ id: string; verification: Verification }>> {
  const out: Array<{ id: string; verification: Verification }> = [];
  const add = (id: string, v: Verification) => out.push({ id, verification: v });
  add('linear', await checkLinear(device, timeoutMs));
  for (const [i, v] of (await checkTransformerKernels(device, timeoutMs, { kvType })).entries()) add(`transformer-${i}`, v);
  for (const [i, v] of (await checkAttention(device, timeoutMs, { kvType })).entries()) add(`attention-${i}`, v);
  return out;
}

/** Logits after each step and the greedy tokens of a prefill + CHECK_STEPS decode steps on the GPU. */
async function runCheckForward(device: GPUDevice, model: GpuModel, prompt: Uint32Array<ArrayBuffer>, timeoutMs: number) {
  const V = model.cfg.arch.vocab;
  model.setPrompt(prompt);
  model.setState(0, 0);
  const logits: Float32Array[] = [];
  const tokens: number[] = [];
  const prefill = await model.forward('prefill', prompt.length);
  const decode = await model.forward('decode', 1);
  for (let s = 0; s <= CHECK_STEPS; s++) {
    const enc = device.createCommandEncoder({ label: 'check_forward' });
    encodeForward(enc, s === 0 ? prefill : decode);
    device.queue.submit([enc.finish()]);
    logits.push(new Float32Array(await readBuffer(device, model.logits, timeoutMs, 0, 4 * V)));
    tokens.push(new Uint32Array(await readBuffer(device, model.cur, timeoutMs, 0, 4))[0] as number);
  }
  const log = [...new Uint32Array(await readBuffer(device, model.log, timeoutMs, 0, 4 * (CHECK_STEPS + 1)))];
  return { logits, tokens, log };
}

/**
 * What a model runs instead of the defaults: the variants a workload tuned and the run's KV-cache type
 * (ModelConfig's fields; kvType absent: f32).
 */
export type TunedVariants = Pick<ModelConfig, 'linearVariants' | 'decodeTiles' | 'kvType'>;

/** The tuned decode tiles that can run `arch`'s head dimension on `device` (a tile is tuned for its model's). */
function tilesFor(device: GPUDevice, arch: Arch, tiles: TunedVariants['decodeTiles']): TunedVariants['decodeTiles'] {
  const out: NonNullable<TunedVariants['decodeTiles']> = {};
  for (const [b, t] of Object.entries(tiles ?? {})) if (t && !decodeTileVariant(arch.headDim, t).problem(device)) out[Number(b)] = t;
  return out;
}

/**
 * Full forward of a tiny architecture in `format`: prefill + CHECK_STEPS decode steps on the GPU vs the
 * float64 reference on the same dequantised weights (and KV-cache type: an f16 cache's rounding of K and
 * V is modelled). Greedy tokens must match; logits within tolerance. With `tuned`, the model runs those
 * variants (the ones a workload will run), not the defaults, and tuned.kvType's cache.
 */
export async function checkForward(device: GPUDevice, arch: Arch, format: ModelFormat, timeoutMs: number, tuned: TunedVariants = {}): Promise<Verification> {
  const res = new Resources();
  try {
    const variants = {
      ...(tuned.linearVariants ? { linearVariants: tuned.linearVariants } : {}),
      ...(tuned.decodeTiles ? { decodeTiles: tilesFor(device, arch, tuned.decodeTiles) } : {}),
    };
    const kvType = tuned.kvType ?? 'f32';
    const model = await GpuModel.create(device, res, { arch, format, maxRows: CHECK_PROMPT, seqCap: 1, ctxCap: CHECK_PROMPT + CHECK_STEPS + 1, logCap: CHECK_STEPS + 2, kvType, ...variants });
    const prompt = promptTokens(CHECK_PROMPT, arch.vocab, 3);
    const ref = new ReferenceModel(arch, format, kvType).generate([...prompt], CHECK_STEPS);
    const gpu = await runCheckForward(device, model, prompt, timeoutMs);
    let worst = 0;
    gpu.logits.forEach((l, s) => {
      const err = relativeL2(l, ref.logits[s] as Float64Array);
      if (!(err <= worst)) worst = err;
    });
    // Greedy tokens must match exactly: a step whose token (or logged token) differs fails the check.
    const wrong = ref.tokens.filter((t, i) => gpu.tokens[i] !== t || gpu.log[i] !== t).length;
    const which = tuned.linearVariants ? ', the tuned variants of the workload' : '';
    const method =
      `${arch.name} ${format}${which}, ${kvType} KV cache: prefill ${CHECK_PROMPT} + ${CHECK_STEPS} decode steps vs float64 CPU forward on the same ` +
      `dequantised weights${kvType === 'f16' ? ' (K and V rounded to f16 as cached)' : ''}; greedy tokens must match, logits relative L2 per step`;
    return verdict(method, FORWARD_LOGIT_TOLERANCE, {
      error: worst,
      checked: (CHECK_STEPS + 1) * model.cfg.arch.vocab,
      unwritten: 0,
      wrong,
      ...(wrong ? { detail: `tokens differ: GPU ${gpu.tokens.join(',')} (log ${gpu.log.join(',')}) vs reference ${ref.tokens.join(',')}` } : {}),
    });
  } finally {
    res.destroyAll();
  }
}
