/**
 * The generation phase: token workloads of real architectures. Before any timing, every kernel runs its
 * self-check and a tiny architecture runs a full prefill + decode against the float64 CPU reference in
 * each weight format. Then, per architecture x format: memory preflight, weights generated on the GPU,
 * prefill (ppN), decode (tgN, tgN@dD), batched decode, and a separate per-kernel profiling pass.
 */
import { type Resources as ResourcesT, Resources, readBuffer } from '../../gpu/buffers';
import { type CancelSignal, GpuScopeError, errorMessage, throwIfCancelled, withErrorScopes, withTimeout } from '../../gpu/errors';
import { checkAttention } from '../../kernels/attention/check';
import { checkLinear } from '../../kernels/linear/check';
import { mix32, relativeL2 } from '../../core/numeric';
import { verdict } from '../../core/verify';
import { checkTransformerKernels } from '../../kernels/transformer/check';
import { decodeBytesPerToken, flopsPerToken, memoryPlan, paramCount, prefillFlops, weightBytes } from '../../model/accounting';
import { validateArch } from '../../model/arch';
import { rowsPerPart } from '../../core/tensor';
import { type ForwardOps, GpuModel, encodeForward, forwardTraffic, modelLinearConfigs } from '../../model/model';
import { PRESETS } from '../../model/presets';
import { TRAFFIC_METHOD } from '../../model/traffic';
import { ReferenceModel } from '../../model/reference';
import type { Arch } from '../../model/types';
import { type GpuWork, countDispatches } from '../../core/work';
import type { WeightFormat } from '../../core/tensor';
import type {
  GenerationConfig,
  KernelTime,
  TokenTest,
  TimerInfo,
  Verification,
  Workload,
} from '../../schema/result';
import { summarize } from '../../measure/stats';
import type { Timer } from '../../measure/timer';
import type { Tuner } from '../tune/tuner';
import { linearUsage, tuneDecodeAttention, tuneLinears } from '../tune/tasks';

/** Logit tolerance of the full-forward check: relative L2 vs the float64 reference on the same weights. */
export const FORWARD_LOGIT_TOLERANCE = 1e-3;
/** Prompt and decode length of the full-forward check. */
const CHECK_PROMPT = 7;
const CHECK_STEPS = 4;

/** Ceilings from this run's roofline phase (null where the probe did not produce a valid figure). */
export interface Ceilings {
  readGBs: number | null;
  fmaGflops: number | null;
}

export interface GenEnv {
  device: GPUDevice;
  timer: TimerInfo;
  gen: GenerationConfig;
  maxSubmitMs: number;
  timeoutMs: number;
  signal: CancelSignal;
  ceilings: Ceilings;
  /** Sub-step progress (e.g. "llama-3.2-1b q4_0 · tg128"). */
  onStep: (label: string) => void;
  /** Picks the linear variants per role and token tile before the model is built (absent: defaults). */
  tuner?: Tuner;
  /** Times single kernels (the decode GEMV figures); absent: none are reported. */
  kernelTimer?: Timer;
}

/** A model entry of the config: a preset name or a custom architecture. */
export function resolveModel(m: string | Arch): { ok: true; arch: Arch } | { ok: false; error: string } {
  if (typeof m === 'string') {
    const preset = PRESETS[m];
    return preset ? { ok: true, arch: preset } : { ok: false, error: `unknown preset "${m}"` };
  }
  const v = validateArch(m);
  return v.ok ? { ok: true, arch: v.arch } : { ok: false, error: v.errors.join('; ') };
}

/** Kernel self-checks: every transformer kernel on random data, odd sizes, poisoned outputs. */
export async function runKernelChecks(device: GPUDevice, timeoutMs: number): Promise<Array<{ id: string; verification: Verification }>> {
  const out: Array<{ id: string; verification: Verification }> = [];
  const add = (id: string, v: Verification) => out.push({ id, verification: v });
  add('linear', await checkLinear(device, timeoutMs));
  for (const [i, v] of (await checkTransformerKernels(device, timeoutMs)).entries()) add(`transformer-${i}`, v);
  for (const [i, v] of (await checkAttention(device, timeoutMs)).entries()) add(`attention-${i}`, v);
  return out;
}

/** Deterministic pseudo-random token ids. */
export function promptTokens(n: number, vocab: number, seed: number): Uint32Array<ArrayBuffer> {
  return Uint32Array.from({ length: n }, (_, i) => mix32(seed * 7919 + i) % vocab);
}

async function submitAndRead(device: GPUDevice, enc: GPUCommandEncoder, src: GPUBuffer, bytes: number, timeoutMs: number) {
  device.queue.submit([enc.finish()]);
  return readBuffer(device, src, timeoutMs, 0, bytes);
}

/**
 * Full forward of a tiny architecture in `format`: prefill + CHECK_STEPS decode steps on the GPU vs the
 * float64 reference on the same dequantised weights. Greedy tokens must match; logits within tolerance.
 */
export async function checkForward(device: GPUDevice, arch: Arch, format: WeightFormat, timeoutMs: number): Promise<Verification> {
  const res = new Resources();
  try {
    const model = await GpuModel.create(device, res, {
      arch,
      format,
      maxRows: CHECK_PROMPT,
      seqCap: 1,
      ctxCap: CHECK_PROMPT + CHECK_STEPS + 1,
      logCap: CHECK_STEPS + 2,
    });
    const prompt = promptTokens(CHECK_PROMPT, arch.vocab, 3);
    const ref = new ReferenceModel(arch, format).generate([...prompt], CHECK_STEPS);
    model.setPrompt(prompt);
    model.setState(0, 0);
    const V = arch.vocab;
    let worst = 0;
    const gpuTokens: number[] = [];
    const prefill = await model.forward('prefill', CHECK_PROMPT);
    const decode = await model.forward('decode', 1);
    for (let s = 0; s <= CHECK_STEPS; s++) {
      const enc = device.createCommandEncoder({ label: 'check_forward' });
      encodeForward(enc, s === 0 ? prefill : decode);
      const logits = new Float32Array(await submitAndRead(device, enc, model.logits, 4 * V, timeoutMs));
      const cur = new Uint32Array(await readBuffer(device, model.cur, timeoutMs, 0, 4));
      gpuTokens.push(cur[0] as number);
      const err = relativeL2(logits, ref.logits[s] as Float64Array);
      if (!(err <= worst)) worst = err;
    }
    const log = new Uint32Array(await readBuffer(device, model.log, timeoutMs, 0, 4 * (CHECK_STEPS + 1)));
    // Greedy tokens must match exactly: a step whose token (or logged token) differs fails the check.
    const wrong = ref.tokens.filter((t, i) => gpuTokens[i] !== t || log[i] !== t).length;
    const method =
      `${arch.name} ${format}: prefill ${CHECK_PROMPT} + ${CHECK_STEPS} decode steps vs float64 CPU forward on the same ` +
      `dequantised weights; greedy tokens must match, logits relative L2 per step`;
    return verdict(method, FORWARD_LOGIT_TOLERANCE, {
      error: worst,
      checked: (CHECK_STEPS + 1) * V,
      unwritten: 0,
      wrong,
      ...(wrong ? { detail: `tokens differ: GPU ${gpuTokens.join(',')} (log ${[...log].join(',')}) vs reference ${ref.tokens.join(',')}` } : {}),
    });
  } finally {
    res.destroyAll();
  }
}

interface Timed {
  gpuNs: number | null;
  wallNs: number;
}

class Stamps {
  readonly querySet: GPUQuerySet | null;
  readonly resolve: GPUBuffer | null;
  constructor(
    private readonly device: GPUDevice,
    res: ResourcesT,
    readonly count: number,
    enabled: boolean,
  ) {
    this.querySet = enabled ? res.track(device.createQuerySet({ label: 'generation.queries', type: 'timestamp', count: 2 * count })) : null;
    this.resolve = enabled
      ? res.track(device.createBuffer({ label: 'generation.resolve', size: 16 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }))
      : null;
  }
  ts(i: number) {
    return this.querySet ? { querySet: this.querySet, index: 2 * i } : undefined;
  }
  resolveInto(enc: GPUCommandEncoder, n: number) {
    if (this.querySet && this.resolve) enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolve, 0);
  }
  async read(n: number, timeoutMs: number): Promise<Array<[bigint, bigint]> | null> {
    if (!this.resolve) return null;
    const raw = new BigUint64Array(await readBuffer(this.device, this.resolve, timeoutMs, 0, 16 * n));
    return Array.from({ length: n }, (_, i) => [raw[2 * i] as bigint, raw[2 * i + 1] as bigint]);
  }
}

function rate(tokens: number, samplesNs: number[]) {
  const s = summarize(samplesNs);
  const r = (ns: number) => (ns > 0 ? tokens / (ns / 1e9) : 0);
  return { median: r(s.median), p10: r(s.p90), p90: r(s.p10), samplesNs };
}

/** Times `reps` prefills of `promptLen` tokens (after one warm-up). TTFT includes reading the token back. */
async function timePrefill(env: GenEnv, model: GpuModel, res: ResourcesT, promptLen: number): Promise<Timed[]> {
  const { device } = env;
  const f = await model.forward('prefill', promptLen);
  model.setPrompt(promptTokens(promptLen, model.cfg.arch.vocab, promptLen));
  const useTs = env.timer.source === 'gpu-timestamp';
  const stamps = new Stamps(device, res, 1, useTs);
  const out: Timed[] = [];
  for (let r = -1; r < env.gen.reps; r++) {
    throwIfCancelled(env.signal);
    model.setState(0, 0);
    const enc = device.createCommandEncoder({ label: 'prefill.timed' });
    encodeForward(enc, f, stamps.ts(0));
    stamps.resolveInto(enc, 1);
    const t0 = performance.now();
    await submitAndRead(device, enc, model.cur, 4, env.timeoutMs);
    const wallNs = (performance.now() - t0) * 1e6;
    const ts = await stamps.read(1, env.timeoutMs);
    const gpuNs = ts ? Number(ts[0]![1] - ts[0]![0]) : null;
    if (r >= 0) out.push({ gpuNs, wallNs });
  }
  return out;
}

interface DecodeRun {
  gpuNs: number | null;
  wallNs: number;
  /** Per-step times (GPU timestamps when unquantised, else chunk averages from the wall clock). */
  stepNs: number[];
  stepSource: 'gpu-timestamp' | 'wall-clock';
}

/**
 * One generation of `steps` tokens for `batch` sequences starting at cache depth `depth`, encoded in
 * chunks that keep each submit under the watchdog budget; every step is its own pass with timestamps.
 */
async function generateOnce(env: GenEnv, model: GpuModel, res: ResourcesT, f: ForwardOps, batch: number, depth: number, steps: number, chunk: number): Promise<DecodeRun> {
  const { device } = env;
  model.setState(depth, 0);
  model.setCurrent(promptTokens(batch, model.cfg.arch.vocab, 11 + depth));
  const useTs = env.timer.source === 'gpu-timestamp';
  const stamps = new Stamps(device, res, steps, useTs);
  const chunkWall: Array<[number, number]> = [];
  const t0 = performance.now();
  for (let s = 0; s < steps; s += chunk) {
    throwIfCancelled(env.signal);
    const n = Math.min(chunk, steps - s);
    const enc = device.createCommandEncoder({ label: 'decode.timed' });
    for (let i = 0; i < n; i++) encodeForward(enc, f, stamps.ts(s + i));
    const c0 = performance.now();
    device.queue.submit([enc.finish()]);
    await withTimeout(device.queue.onSubmittedWorkDone(), env.timeoutMs, 'decode chunk');
    chunkWall.push([n, (performance.now() - c0) * 1e6]);
  }
  const wallNs = (performance.now() - t0) * 1e6;
  if (stamps.querySet) {
    const enc = device.createCommandEncoder({ label: 'decode.resolve' });
    stamps.resolveInto(enc, steps);
    device.queue.submit([enc.finish()]);
  }
  const ts = await stamps.read(steps, env.timeoutMs);
  const gpuStep = ts ? ts.map(([b, e]) => Number(e - b)) : null;
  const perStepFine = gpuStep && !env.timer.quantized;
  return {
    gpuNs: gpuStep ? gpuStep.reduce((a, b) => a + b, 0) : null,
    wallNs,
    stepNs: perStepFine ? gpuStep : chunkWall.flatMap(([n, ns]) => Array<number>(n).fill(ns / n)),
    stepSource: perStepFine ? 'gpu-timestamp' : 'wall-clock',
  };
}

async function timeDecode(env: GenEnv, model: GpuModel, res: ResourcesT, batch: number, depth: number, steps: number) {
  const f = await model.forward('decode', batch);
  if (depth > 0) await model.fillCaches(depth);
  // Calibrate the chunk size on a short warm-up: as many steps per submit as fit the watchdog budget.
  const warm = await generateOnce(env, model, res, f, batch, depth, Math.min(4, steps), 1);
  const stepMs = Math.max(...warm.stepNs, 1) / 1e6;
  const chunk = Math.max(1, Math.min(steps, Math.floor(env.maxSubmitMs / stepMs)));
  const runs: DecodeRun[] = [];
  for (let r = 0; r < env.gen.reps; r++) runs.push(await generateOnce(env, model, res, f, batch, depth, steps, chunk));
  return runs;
}

function percentiles(ns: number[]) {
  const s = [...ns].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

function bounds(measured: number, bw: number | null, compute: number | null) {
  const tight = [bw, compute].filter((b): b is number => b !== null && b > 0);
  const lim = tight.length ? Math.min(...tight) : null;
  return { bandwidth: bw, compute, efficiency: lim ? measured / lim : null };
}

/** Untimed and timed samples of each decode GEMV measurement. */
const GEMV_WARMUP = 2;
const GEMV_REPS = 7;

/** Each decode projection of `f` (layer 0 and the head) timed alone: bytes read per call over the median time. */
async function measureGemv(env: GenEnv, timer: Timer, f: ForwardOps, pos: number): Promise<NonNullable<Workload['gemv']>> {
  const out: NonNullable<Workload['gemv']> = [];
  for (const [role, op] of Object.entries(f.linears)) {
    const readBytes = op.cost?.(pos).read;
    if (readBytes === undefined) throw new Error(`${op.label}: no cost to measure bandwidth against`);
    const timing = await timer.measure(op, {
      warmup: GEMV_WARMUP,
      reps: GEMV_REPS,
      minSampleMs: 1,
      maxSubmitMs: env.maxSubmitMs,
      timeoutMs: env.timeoutMs,
      signal: env.signal,
    });
    const gbps = readBytes / timing.perUnitNs.median;
    out.push({ role, kernel: op.label, readBytes, timing, gbps, ofReadCeiling: env.ceilings.readGBs ? gbps / env.ceilings.readGBs : null });
  }
  return out;
}

/** Per-kernel time: every op in its own timestamped pass (a separate run, never mixed into the timed ones). */
async function profile(env: GenEnv, res: ResourcesT, f: ForwardOps): Promise<KernelTime[]> {
  const { device } = env;
  const ops: GpuWork[] = [...f.body, ...f.head];
  const stamps = new Stamps(device, res, ops.length, true);
  const enc = device.createCommandEncoder({ label: 'profile' });
  ops.forEach((op, i) => {
    if (i === f.body.length && f.copyLastRow) {
      const c = f.copyLastRow;
      enc.copyBufferToBuffer(c.src, c.offset, c.dst, 0, c.bytes);
    }
    const t = stamps.ts(i)!;
    const pass = enc.beginComputePass({ label: `profile.${op.label}`, timestampWrites: { querySet: t.querySet, beginningOfPassWriteIndex: t.index, endOfPassWriteIndex: t.index + 1 } });
    op.encode(pass);
    pass.end();
  });
  stamps.resolveInto(enc, ops.length);
  device.queue.submit([enc.finish()]);
  const ts = (await stamps.read(ops.length, env.timeoutMs)) ?? [];
  const byKernel = new Map<string, { dispatches: number; ns: number }>();
  ops.forEach((op, i) => {
    const [b, e] = ts[i] ?? [0n, 0n];
    const name = op.label.split('.')[0] ?? op.label;
    const k = byKernel.get(name) ?? { dispatches: 0, ns: 0 };
    k.dispatches++;
    k.ns += Number(e - b);
    byKernel.set(name, k);
  });
  const total = [...byKernel.values()].reduce((a, k) => a + k.ns, 0);
  return [...byKernel.entries()]
    .map(([kernel, k]) => ({ kernel, dispatches: k.dispatches, ns: k.ns, share: total > 0 ? k.ns / total : 0 }))
    .sort((a, b) => b.ns - a.ns);
}

/** Non-finite values among the first `rows` rows of the logits (synthetic weights must keep them finite). */
async function nonFiniteLogits(env: GenEnv, model: GpuModel, rows: number): Promise<number> {
  const V = model.cfg.arch.vocab;
  const logits = new Float32Array(await readBuffer(env.device, model.logits, env.timeoutMs, 0, 4 * V * rows));
  let bad = 0;
  for (const v of logits) if (!Number.isFinite(v)) bad++;
  return bad;
}

class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** Runs one architecture x format. Failures are recorded on the workload; cancellation propagates. */
export async function runWorkload(env: GenEnv, preset: string, arch: Arch, format: WeightFormat, invalidReason: string | null): Promise<Workload> {
  const { device, gen } = env;
  const base = { id: `${arch.name}-${format}`, preset, arch, format, tests: [] as TokenTest[] };
  const formatCheck = validateArch(arch, format);
  if (!formatCheck.ok) return { ...base, state: 'skipped', reason: formatCheck.errors.join('; ') };
  const maxPrompt = Math.max(...gen.promptLens);
  const maxBatch = Math.max(...gen.batches);
  const maxDepth = Math.max(...gen.depths);
  const ctxCap = Math.max(maxPrompt, maxDepth + gen.genTokens) + 1;
  const maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const plan = memoryPlan(arch, format, {
    ctx: ctxCap,
    batch: maxBatch,
    promptLen: maxPrompt,
    maxBindingBytes,
    maxBufferSize: device.limits.maxBufferSize,
  });
  const w = weightBytes(arch, format);
  const accounting = {
    params: paramCount(arch),
    weightBytes: w.total,
    decodeBytesPerToken: decodeBytesPerToken(arch, format, 0, 1).perToken,
    flopsPerToken: flopsPerToken(arch, 0),
    memoryBytes: plan.total,
    dispatchesPerLayer: GpuModel.dispatchesPerLayer(arch, format, maxBindingBytes),
    // Planned here (the workload may be skipped before building); replaced by the count of the built ops below.
    // Embedding and lm_head dispatch once per row part; the head adds final norm, argmax and the step advance.
    dispatchesPerDecodeStep:
      2 * Math.ceil(arch.vocab / rowsPerPart(format, arch.hidden, maxBindingBytes)) +
      arch.layers * GpuModel.dispatchesPerLayer(arch, format, maxBindingBytes) +
      3,
  };
  if (!plan.fits) return { ...base, state: 'skipped', reason: plan.reason, accounting };
  if (invalidReason) return { ...base, state: 'invalid', reason: invalidReason, accounting };
  const res = new Resources();
  try {
    // Tuned before the model exists: the tuning operands (one layer's shapes at a time) and the model
    // never hold memory together.
    const tuner = env.tuner;
    const linearVariants = tuner
      ? await tuneLinears(tuner, device, modelLinearConfigs(arch, format), (role) => role === 'head', linearUsage(gen), env.timeoutMs)
      : undefined;
    const headShape = { heads: arch.heads, kvHeads: arch.kvHeads, headDim: arch.headDim };
    const decodeTiles = tuner ? await tuneDecodeAttention(tuner, device, headShape, gen, env.timeoutMs) : undefined;
    env.onStep(`${base.id} · generating ${(w.total / 2 ** 30).toFixed(2)} GiB of weights`);
    const model = await withErrorScopes(device, `${base.id}.allocate`, () =>
      GpuModel.create(device, res, {
        arch,
        format,
        maxRows: Math.max(maxPrompt, maxBatch),
        seqCap: maxBatch,
        ctxCap,
        logCap: gen.genTokens + 4,
        ...(linearVariants ? { linearVariants } : {}),
        ...(decodeTiles ? { decodeTiles } : {}),
      }),
    );
    const decodeOps = await model.forward('decode', 1);
    accounting.dispatchesPerDecodeStep = countDispatches([...decodeOps.body, ...decodeOps.head]);
    const tests: TokenTest[] = [];
    const bw = env.ceilings.readGBs ? env.ceilings.readGBs * 1e9 : null;
    const peak = env.ceilings.fmaGflops ? env.ceilings.fmaGflops * 1e9 : null;
    for (const P of gen.promptLens) {
      env.onStep(`${base.id} · pp${P}`);
      const runs = await withErrorScopes(device, `${base.id}.pp${P}`, () => timePrefill(env, model, res, P));
      const badPrefill = await nonFiniteLogits(env, model, 1);
      if (badPrefill) throw new NonFiniteError(`${badPrefill} of ${arch.vocab} logits are NaN/Inf after pp${P}`);
      const gpu = runs.every((r) => r.gpuNs !== null) ? rate(P, runs.map((r) => r.gpuNs as number)) : null;
      const wall = rate(P, runs.map((r) => r.wallNs));
      const measured = (gpu ?? wall).median;
      const flopsPerTok = prefillFlops(arch, P) / P;
      tests.push({
        name: `pp${P}`,
        kind: 'prefill',
        promptLen: P,
        depth: 0,
        batch: 1,
        tokens: P,
        gpu,
        wall,
        ttftMs: {
          gpu: gpu ? summarize(gpu.samplesNs).median / 1e6 : null,
          wall: summarize(wall.samplesNs).median / 1e6,
        },
        bounds: bounds(measured, bw ? bw / (w.total / P) : null, peak ? peak / flopsPerTok : null),
      });
    }
    const decodeCases: Array<{ batch: number; depth: number }> = [
      ...gen.depths.map((depth) => ({ batch: 1, depth })),
      ...gen.batches.filter((b) => b > 1).map((batch) => ({ batch, depth: gen.depths[0] ?? 0 })),
    ];
    const N = gen.genTokens;
    for (const { batch, depth } of decodeCases) {
      const name = `tg${N}${depth ? `@d${depth}` : ''}${batch > 1 ? ` b${batch}` : ''}`;
      env.onStep(`${base.id} · ${name}`);
      const runs = await withErrorScopes(device, `${base.id}.${name}`, () => timeDecode(env, model, res, batch, depth, N));
      const badDecode = await nonFiniteLogits(env, model, batch);
      if (badDecode) throw new NonFiniteError(`${badDecode} of ${batch * arch.vocab} logits are NaN/Inf after ${name}`);
      const gpu = runs.every((r) => r.gpuNs !== null) ? rate(batch * N, runs.map((r) => r.gpuNs as number)) : null;
      const wall = rate(batch * N, runs.map((r) => r.wallNs));
      const measured = (gpu ?? wall).median;
      const steps = runs.flatMap((r) => r.stepNs);
      const avgCtx = depth + N / 2;
      const bytes = decodeBytesPerToken(arch, format, avgCtx, batch).perToken;
      // Steps run at state[0] = depth .. depth + N - 1; traffic is linear in it, so the mean gives the exact mean.
      const meanPos = depth + (N - 1) / 2;
      const read = forwardTraffic(await model.forward('decode', batch), meanPos).read / batch;
      const needed = decodeBytesPerToken(arch, format, meanPos, batch).perToken;
      const gpuTpot = gpu ? summarize(gpu.samplesNs).median / N / 1e6 : null;
      tests.push({
        name,
        kind: 'decode',
        promptLen: 0,
        depth,
        batch,
        tokens: N,
        gpu,
        wall,
        perSequence: measured / batch,
        tpotMs: { gpu: gpuTpot, wall: summarize(wall.samplesNs).median / N / 1e6 },
        itlNs: percentiles(steps),
        stepNs: steps,
        itlSource: runs[0]?.stepSource ?? 'wall-clock',
        traffic: { readPerToken: read, neededPerToken: needed, ratio: read / needed, pos: meanPos, method: TRAFFIC_METHOD },
        bounds: bounds(measured, bw ? bw / bytes : null, peak ? peak / flopsPerToken(arch, avgCtx) : null),
      });
    }
    // After the token tests: the o and down projections add into the residual stream, so timing them
    // alone leaves the model's activations meaningless (nothing reads them afterwards but the profile).
    let gemv: Workload['gemv'];
    if (env.kernelTimer) {
      env.onStep(`${base.id} · decode GEMV bandwidth`);
      gemv = await measureGemv(env, env.kernelTimer, await model.forward('decode', 1), gen.depths[0] ?? 0);
    }
    let profileResult: Workload['profile'];
    if (env.timer.source === 'gpu-timestamp') {
      env.onStep(`${base.id} · per-kernel profile`);
      model.setState(gen.depths[0] ?? 0, 0);
      const decodeProfile = await profile(env, res, await model.forward('decode', 1));
      model.setState(0, 0);
      const P = gen.promptLens[0] as number;
      const prefillProfile = await profile(env, res, await model.forward('prefill', P));
      profileResult = { decode: decodeProfile, prefill: prefillProfile, source: 'gpu-timestamp' };
    }
    return { ...base, state: 'ok', accounting, tests, ...(gemv ? { gemv } : {}), ...(profileResult ? { profile: profileResult } : {}) };
  } catch (e) {
    if (e instanceof Error && e.name === 'CancelledError') throw e;
    if (e instanceof GpuScopeError && e.scope === 'out-of-memory') {
      return {
        ...base,
        state: 'skipped',
        reason:
          `out of GPU memory: the workload needs ${plan.total} bytes (weights ${plan.weights}, KV cache ${plan.kvCache}, ` +
          `activations ${plan.activations}); ${e.message}`,
        accounting,
      };
    }
    if (e instanceof NonFiniteError) return { ...base, state: 'invalid', reason: e.message, accounting };
    return { ...base, state: 'errored', reason: errorMessage(e), accounting };
  } finally {
    res.destroyAll();
  }
}
