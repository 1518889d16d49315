/**
 * One architecture x format: memory preflight, tuning, weights generated on the GPU, the token tests,
 * then the kernel-level figures. Failures are recorded on the workload; cancellation propagates.
 */
import { Resources } from '../../../gpu/buffers';
import { GpuScopeError, errorMessage, withErrorScopes } from '../../../gpu/errors';
import { decodeBytesPerToken, flopsPerToken, memoryPlan, paramCount, weightBytes, type MemoryPlan } from '../../../model/accounting';
import { validateArch } from '../../../model/arch';
import { countDispatches } from '../../../core/work';
import type { WeightFormat } from '../../../core/tensor';
import type { Formats, ModelFormat } from '../../../model/formats/mix';
import { GpuModel, LINEAR_ROLES, type LinearRole, type ModelFileConfig, modelLinearConfigs, roleFormats } from '../../../model/model';
import { modelPlan } from '../../../model/plan';
import type { Arch } from '../../../model/types';
import type { GenerationConfig, KvType, TokenTest, Workload } from '../../../schema/result';
import { type LinearChoices, linearUsage, tuneDecodeAttention, tuneLinears } from '../../tune/tasks';
import type { DecodeTile } from '../../../kernels/attention/tiles';
import { PRESETS } from '../../../model/presets';
import { CHECK_ARCH, checkForward } from './checks';
import { type GenEnv, kvTypeOf } from './env';
import { measureGemv, profile } from './kernels';
import { NonFiniteError, type TestContext, decodeTest, prefillTest } from './tests';

type Accounting = NonNullable<Workload['accounting']>;

/** The shapes a workload allocates for. */
export interface Capacities {
  /** Longest prompt (prefill rows). */
  maxPrompt: number;
  /** Largest decode batch. */
  maxBatch: number;
  /** KV-cache positions per sequence. */
  ctxCap: number;
}

/**
 * The shapes a workload allocates for: longest prompt, largest batch, deepest context; with `generate`, also
 * a greedy generation of genTokens tokens after a prompt of that many tokens.
 */
export function capacities(gen: GenerationConfig, generate?: { promptLen: number }): Capacities {
  const maxPrompt = Math.max(...gen.promptLens, generate?.promptLen ?? 1);
  const maxBatch = Math.max(...gen.batches);
  const ctxCap = Math.max(maxPrompt, Math.max(...gen.depths) + gen.genTokens, (generate?.promptLen ?? 0) + gen.genTokens) + 1;
  return { maxPrompt, maxBatch, ctxCap };
}

/** Bytes, FLOPs, memory and dispatches of a workload with a `kvType` KV cache, planned before anything is built. */
export function plan(device: GPUDevice, arch: Arch, format: Formats, caps: Capacities, kvType: KvType): { memory: MemoryPlan; accounting: Accounting; maxBindingBytes: number } {
  const { maxPrompt, maxBatch, ctxCap } = caps;
  const maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const memory = memoryPlan(arch, format, { ctx: ctxCap, batch: maxBatch, promptLen: maxPrompt, maxBindingBytes, maxBufferSize: device.limits.maxBufferSize, kvType });
  const perLayer = GpuModel.dispatchesPerLayer(arch, format, maxBindingBytes);
  const accounting: Accounting = {
    params: paramCount(arch),
    weightBytes: weightBytes(arch, format).total,
    decodeBytesPerToken: decodeBytesPerToken(arch, format, 0, 1, undefined, kvType).perToken,
    flopsPerToken: flopsPerToken(arch, 0),
    memoryBytes: memory.total,
    dispatchesPerLayer: perLayer,
    // Planned here (the workload may be skipped before building); replaced by the count of the built ops.
    dispatchesPerDecodeStep: GpuModel.dispatchesPerDecodeStep(arch, format, maxBindingBytes),
  };
  return { memory, accounting, maxBindingBytes };
}

/**
 * The workload's kernels tuned on this adapter (before the model exists: tuning operands and the model never
 * share memory). Each linear role is tuned in the format holding most of its weights (a mix's other formats of
 * the role run the same variant; the workload's full-forward check runs them all).
 */
export async function tune(env: GenEnv, arch: Arch, format: Formats): Promise<Tuned> {
  const { device, gen, tuner } = env;
  if (!tuner) return {};
  const formats = roleFormats(modelPlan(arch, format));
  const configs = Object.fromEntries(LINEAR_ROLES.map((role) => [role, modelLinearConfigs(arch, formats[role][0] as WeightFormat)[role]])) as ReturnType<typeof modelLinearConfigs>;
  const linearVariants = await tuneLinears(tuner, device, configs, (role) => role === 'head', linearUsage(gen), env.timeoutMs, env.stream);
  const headShape = { heads: arch.heads, kvHeads: arch.kvHeads, headDim: arch.headDim };
  const decodeTiles = await tuneDecodeAttention(tuner, device, headShape, gen, env.timeoutMs, kvTypeOf(gen));
  return { linearVariants, decodeTiles };
}

export interface Tuned {
  linearVariants?: LinearChoices<LinearRole>;
  decodeTiles?: Partial<Record<number, DecodeTile>>;
}

/** Builds the model with the tuned variants and generates its weights (or has `file` load them). */
export async function buildModel(env: GenEnv, res: Resources, id: string, arch: Arch, format: Formats, tuned: Tuned, caps: Capacities, file?: ModelFileConfig): Promise<GpuModel> {
  const { device, gen } = env;
  const { linearVariants, decodeTiles } = tuned;
  const { maxPrompt, maxBatch, ctxCap } = caps;
  if (!file) env.onStep(`generating ${(weightBytes(arch, format).total / 2 ** 30).toFixed(2)} GiB of weights`);
  const model = await withErrorScopes(device, `${id}.allocate`, () =>
    GpuModel.create(device, res, {
      arch,
      format,
      maxRows: Math.max(maxPrompt, maxBatch),
      seqCap: maxBatch,
      ctxCap,
      logCap: gen.genTokens + 4,
      kvType: kvTypeOf(gen),
      ...(linearVariants ? { linearVariants } : {}),
      ...(decodeTiles ? { decodeTiles } : {}),
      ...(file ? { file } : {}),
    }),
  );
  return model;
}

/** Prefill tests, then decode tests at each depth (batch 1) and each batch (first depth). */
export async function tokenTests(t: TestContext): Promise<TokenTest[]> {
  const { gen } = t.env;
  const tests: TokenTest[] = [];
  for (const P of gen.promptLens) {
    t.env.onStep(`pp${P}`);
    tests.push(await prefillTest(t, P));
  }
  const cases = [...gen.depths.map((depth) => ({ batch: 1, depth })), ...gen.batches.filter((b) => b > 1).map((batch) => ({ batch, depth: gen.depths[0] ?? 0 }))];
  for (const { batch, depth } of cases) {
    t.env.onStep(`tg${gen.genTokens}${depth ? `@d${depth}` : ''}${batch > 1 ? ` b${batch}` : ''}`);
    tests.push(await decodeTest(t, batch, depth));
  }
  return tests;
}

/**
 * After the token tests: the o and down projections add into the residual stream, so timing them alone
 * leaves the model's activations meaningless (nothing reads them afterwards but the profile).
 */
export async function kernelFigures(env: GenEnv, res: Resources, model: GpuModel): Promise<Pick<Workload, 'gemv' | 'profile'>> {
  const depth = env.gen.depths[0] ?? 0;
  const out: Pick<Workload, 'gemv' | 'profile'> = {};
  if (env.kernelTimer) {
    env.onStep('decode GEMV bandwidth');
    out.gemv = await measureGemv(env, env.kernelTimer, model, await model.forward('decode', 1), depth);
  }
  if (env.timer.source === 'gpu-timestamp') {
    env.onStep('per-kernel profile');
    model.setState(depth, 0);
    const decode = await profile(env, res, await model.forward('decode', 1));
    model.setState(0, 0);
    const prefill = await profile(env, res, await model.forward('prefill', env.gen.promptLens[0] as number));
    out.profile = { decode, prefill, source: 'gpu-timestamp' };
  }
  return out;
}

/** A failure of a workload as its record: out of memory is a skip with the numbers, NaN logits invalid. */
export function failed(e: unknown, memory: MemoryPlan): { state: 'skipped' | 'invalid' | 'errored'; reason: string } {
  if (e instanceof GpuScopeError && e.scope === 'out-of-memory') {
    const why = `out of GPU memory: the workload needs ${memory.total} bytes (weights ${memory.weights}, KV cache ${memory.kvCache}, activations ${memory.activations}); ${e.message}`;
    return { state: 'skipped', reason: why };
  }
  if (e instanceof NonFiniteError) return { state: 'invalid', reason: e.message };
  return { state: 'errored', reason: errorMessage(e) };
}

/** Runs one architecture x format. Failures are recorded on the workload; cancellation propagates. */
export async function runWorkload(env: GenEnv, preset: string, arch: Arch, format: ModelFormat, invalidReason: string | null): Promise<Workload> {
  const base = { id: `${arch.name}-${format}`, preset, arch, format, tests: [] as TokenTest[] };
  const formatCheck = validateArch(arch, format);
  if (!formatCheck.ok) return { ...base, state: 'skipped', reason: formatCheck.errors.join('; ') };
  const caps = capacities(env.gen);
  const { memory, accounting } = plan(env.device, arch, format, caps, kvTypeOf(env.gen));
  if (!memory.fits) return { ...base, state: 'skipped', reason: memory.reason, accounting };
  if (invalidReason) return { ...base, state: 'invalid', reason: invalidReason, accounting };
  const res = new Resources();
  try {
    const tuned = await tune(env, arch, format);
    // The full-forward check with the variants this workload runs (the tiny check architecture, each tuned variant).
    const verification = tuned.linearVariants ? await withErrorScopes(env.device, `${base.id}.forward-check`, () => checkForward(env.device, PRESETS[CHECK_ARCH] as Arch, format, env.timeoutMs, { ...tuned, kvType: kvTypeOf(env.gen) })) : undefined;
    if (verification?.state === 'failed') {
      return { ...base, state: 'invalid', reason: `the tuned variants fail the full-forward check: ${verification.detail ?? `error ${verification.error}`}`, accounting, verification };
    }
    const model = await buildModel(env, res, base.id, arch, format, tuned, caps);
    const linearVariants = tuned.linearVariants;
    const decodeOps = await model.forward('decode', 1);
    accounting.dispatchesPerDecodeStep = countDispatches([...decodeOps.body, ...decodeOps.head]);
    const tests = await tokenTests({ env, model, res, id: base.id, arch, format, weightBytes: accounting.weightBytes, ...(linearVariants ? { linearChoices: linearVariants } : {}) });
    return { ...base, state: 'ok', accounting, tests, ...(await kernelFigures(env, res, model)), ...(verification ? { verification } : {}) };
  } catch (e) {
    if (e instanceof Error && e.name === 'CancelledError') throw e;
    return { ...base, ...failed(e, memory), accounting };
  } finally {
    res.destroyAll();
  }
}
