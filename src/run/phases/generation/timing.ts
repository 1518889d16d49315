/**
 * Timed prefills and decodes on a built model. The wall clock spans every submit; GPU timestamps
 * (measure/timestamps.ts) bracket each forward pass when the timer has them. A GPU span is a figure only
 * when it covers at least QUANTA_PER_SAMPLE timer quanta (the kernel timer's rule); otherwise the test
 * reports the wall clock and says why.
 */
import { type Resources, readBuffer } from '../../../gpu/buffers';
import { throwIfCancelled, withTimeout } from '../../../gpu/errors';
import { QUANTA_PER_SAMPLE } from '../../../measure/timer';
import { Timestamps } from '../../../measure/timestamps';
import { type ForwardOps, type GpuModel, encodeForward } from '../../../model/model';
import type { TimerInfo } from '../../../schema/result';
import type { GenEnv } from './env';
import { promptTokens } from './tokens';

export interface Timed {
  /** GPU time of the run (first pass begin to last pass end), when timestamps exist. */
  gpuNs: number | null;
  wallNs: number;
}

export interface DecodeRun extends Timed {
  /** Sum of the step passes alone, without the gaps between them (unquantised timestamps only). */
  busyNs: number | null;
  /** Per-step GPU times (unquantised timestamps only: a quantised step span is mostly rounding). */
  stepNs: number[] | null;
}

/** The shortest GPU span that is a figure: QUANTA_PER_SAMPLE quanta of a quantised timer (any span otherwise). */
export function minSpanNs(timer: TimerInfo): number {
  return timer.source === 'gpu-timestamp' && timer.quantized ? QUANTA_PER_SAMPLE * timer.resolutionNs : 1;
}

/** Why GPU spans of `spans` are not figures under `timer`, or null when they all are. */
export function spanProblem(timer: TimerInfo, spans: readonly number[]): string | null {
  const min = minSpanNs(timer);
  const short = spans.filter((s) => !(s >= min));
  if (!short.length) return null;
  return (
    `${short.length} of ${spans.length} GPU spans are shorter than ${QUANTA_PER_SAMPLE} timer quanta ` +
    `(${min} ns; shortest ${Math.min(...short)} ns): the GPU figure is withheld and the wall clock reported`
  );
}

function stampsFor(env: GenEnv, res: Resources, count: number, label: string): Timestamps | null {
  return env.timer.source === 'gpu-timestamp' ? new Timestamps(env.device, count, label, res) : null;
}

/** Times `reps` prefills of `promptLen` tokens (after one warm-up). The wall clock includes reading the token back. */
export async function timePrefill(env: GenEnv, model: GpuModel, res: Resources, promptLen: number): Promise<Timed[]> {
  const { device } = env;
  const f = await model.forward('prefill', promptLen);
  model.setPrompt(promptTokens(promptLen, model.cfg.arch.vocab, promptLen));
  const stamps = stampsFor(env, res, 1, 'prefill');
  const out: Timed[] = [];
  for (let r = -1; r < env.gen.reps; r++) {
    throwIfCancelled(env.signal);
    model.setState(0, 0);
    const enc = device.createCommandEncoder({ label: 'prefill.timed' });
    encodeForward(enc, f, stamps?.at(0));
    stamps?.resolve(enc, 1);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await readBuffer(device, model.cur, env.timeoutMs, 0, 4);
    const wallNs = (performance.now() - t0) * 1e6;
    const gpuNs = stamps ? ((await stamps.spansNs(1, env.timeoutMs, 'prefill'))[0] as number) : null;
    if (r >= 0) out.push({ gpuNs, wallNs });
  }
  return out;
}

/** GPU figures of a generation from its per-step begin/end timestamps. */
async function decodeSpans(env: GenEnv, stamps: Timestamps, steps: number) {
  const enc = env.device.createCommandEncoder({ label: 'decode.resolve' });
  stamps.resolve(enc, steps);
  env.device.queue.submit([enc.finish()]);
  const raw = await stamps.raw(steps, env.timeoutMs);
  const first = raw[0] as bigint;
  const last = raw[2 * steps - 1] as bigint;
  if (last < first) throw new Error(`GPU timestamps went backwards (${first} → ${last}) in decode`);
  const spans = await stamps.spansNs(steps, env.timeoutMs, 'decode');
  const fine = !env.timer.quantized;
  return { gpuNs: Number(last - first), busyNs: fine ? spans.reduce((a, b) => a + b, 0) : null, stepNs: fine ? spans : null };
}

/**
 * One generation of `steps` tokens for `batch` sequences starting at cache depth `depth`, encoded in
 * chunks that keep each submit under the watchdog budget; every step is its own pass with timestamps.
 */
async function generateOnce(env: GenEnv, model: GpuModel, res: Resources, f: ForwardOps, batch: number, depth: number, steps: number, chunk: number): Promise<DecodeRun> {
  const { device } = env;
  model.setState(depth, 0);
  model.setCurrent(promptTokens(batch, model.cfg.arch.vocab, 11 + depth));
  const stamps = stampsFor(env, res, steps, 'decode');
  const t0 = performance.now();
  for (let s = 0; s < steps; s += chunk) {
    throwIfCancelled(env.signal);
    const n = Math.min(chunk, steps - s);
    const enc = device.createCommandEncoder({ label: 'decode.timed' });
    for (let i = 0; i < n; i++) encodeForward(enc, f, stamps?.at(s + i));
    device.queue.submit([enc.finish()]);
    await withTimeout(device.queue.onSubmittedWorkDone(), env.timeoutMs, 'decode chunk');
  }
  const wallNs = (performance.now() - t0) * 1e6;
  if (!stamps) return { gpuNs: null, busyNs: null, stepNs: null, wallNs };
  return { ...(await decodeSpans(env, stamps, steps)), wallNs };
}

/** The tokens sequence 0 generated in the last generation (`steps` steps of `batch` sequences), from the token log. */
async function firstSequenceTokens(env: GenEnv, model: GpuModel, batch: number, steps: number): Promise<number[]> {
  const n = Math.min(steps, Math.floor(model.cfg.logCap * model.cfg.seqCap / batch));
  const log = new Uint32Array(await readBuffer(env.device, model.log, env.timeoutMs, 0, 4 * n * batch));
  return Array.from({ length: n }, (_, s) => log[s * batch] as number);
}

/**
 * `reps` generations of `steps` tokens after a short warm-up that sizes the chunks to the watchdog budget,
 * and the tokens the first sequence generated in the first of them.
 */
export async function timeDecode(env: GenEnv, model: GpuModel, res: Resources, batch: number, depth: number, steps: number): Promise<{ runs: DecodeRun[]; tokens: number[] }> {
  const f = await model.forward('decode', batch);
  if (depth > 0) await model.fillCaches(depth);
  const warmSteps = Math.min(4, steps);
  const warm = await generateOnce(env, model, res, f, batch, depth, warmSteps, 1);
  // Step time from the warm-up: per-step GPU spans where they are exact, else the wall clock (one step per submit).
  const stepMs = Math.max(warm.stepNs ? Math.max(...warm.stepNs) : warm.wallNs / warmSteps, 1) / 1e6;
  const chunk = Math.max(1, Math.min(steps, Math.floor(env.maxSubmitMs / stepMs)));
  const runs: DecodeRun[] = [];
  let tokens: number[] = [];
  for (let r = 0; r < env.gen.reps; r++) {
    runs.push(await generateOnce(env, model, res, f, batch, depth, steps, chunk));
    if (r === 0) tokens = await firstSequenceTokens(env, model, batch, steps);
  }
  return { runs, tokens };
}
