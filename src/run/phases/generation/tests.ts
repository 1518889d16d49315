/** The token tests of a workload: prefill (ppN) and decode (tgN, tgN@dD, tgN bB) records from timed runs. */
import type { Resources } from '../../../gpu/buffers';
import { withErrorScopes } from '../../../gpu/errors';
import { latencyPercentiles, rateOf } from '../../../measure/stats';
import { aggregateTokens, efficiencyOf, medianMsPerToken, perSequenceRate, trafficRatio } from '../../../measure/token-figures';
import { type WeightLayout, decodeBytesPerToken, flopsPerToken, prefillFlops } from '../../../model/accounting';
import { type GpuModel, forwardTraffic } from '../../../model/model';
import { TRAFFIC_METHOD } from '../../../model/traffic';
import type { Formats } from '../../../model/formats/mix';
import type { Arch } from '../../../model/types';
import type { TokenTest } from '../../../schema/result';
import { type TokenTile, tokenTile } from '../../../kernels/linear/config';
import { DEFAULT_LINEAR_PARAMS, type LinearParams, isSgmat, linearVariantId } from '../../../kernels/linear/variants';
import { LINEAR_ROLES, type LinearRole } from '../../../model/model';
import { type GenEnv, kvTypeOf } from './env';
import { nonFiniteLogits } from './logits';
import { type DecodeRun, spanProblem, timeDecode, timePrefill } from './timing';

/** Measured tok/s against the tighter of the bandwidth- and compute-bound rates. */
function bounds(measured: number, bw: number | null, compute: number | null, computeCeiling: 'f32-fma' | 'matrix-f16') {
  return { bandwidth: bw, compute, efficiency: efficiencyOf(measured, bw, compute), computeCeiling };
}

/** The linear variants a test of `rows` rows runs (the head runs `headRows`), and its arithmetic. */
function linearsAt(t: TestContext, rows: number, headRows: number): Pick<TokenTest, 'variants' | 'arithmetic'> {
  const variants: Record<string, string> = {};
  let f16 = false;
  for (const role of LINEAR_ROLES) {
    const p = t.linearChoices?.[role]?.[tokenTile(role === 'head' ? headRows : rows)] ?? DEFAULT_LINEAR_PARAMS;
    variants[role] = linearVariantId(p);
    f16 ||= isSgmat(p);
  }
  return { variants, arithmetic: f16 ? 'f16-inputs' : 'f32' };
}

/** What every test of a workload shares. */
export interface TestContext {
  env: GenEnv;
  model: GpuModel;
  res: Resources;
  id: string;
  arch: Arch;
  format: Formats;
  /** Bytes of all weights (prefill reads them once per prompt). */
  weightBytes: number;
  /** A model file's weight layout (what a decode step needs to read), where the arch and format cannot say it. */
  layout?: WeightLayout;
  /** The tuned linear variants per role and token tile (absent: every default). */
  linearChoices?: Partial<Record<LinearRole, Partial<Record<TokenTile, LinearParams>>>>;
}

/**
 * Bandwidth ceiling (B/s) and the compute ceiling (FLOP/s) of the units a test ran on: the matrix units'
 * measured f16 GEMM for f16-input linears (none when the matmul phase did not measure it), else the f32
 * FMA peak. A test on the matrix units is never judged against the vector peak (efficiency above 100%).
 */
export function ceilings(c: GenEnv['ceilings'], arithmetic: TokenTest['arithmetic']) {
  const matrix = arithmetic === 'f16-inputs';
  const gflops = matrix ? c.matrixGflops : c.fmaGflops;
  return { bw: c.readGBs ? c.readGBs * 1e9 : null, peak: gflops ? gflops * 1e9 : null, ceiling: matrix ? ('matrix-f16' as const) : ('f32-fma' as const) };
}

async function assertFiniteLogits(t: TestContext, rows: number, name: string): Promise<void> {
  const bad = await nonFiniteLogits(t.env, t.model, rows);
  if (bad) throw new NonFiniteError(`${bad} of ${rows * t.arch.vocab} logits are NaN/Inf after ${name}`);
}

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/**
 * The GPU rate of `tokens` per run when every run has a GPU span that is a figure; otherwise null, with
 * the reason when timestamps existed but were too coarse.
 */
function gpuRate(env: GenEnv, tokens: number, spans: ReadonlyArray<number | null>): { gpu: ReturnType<typeof rateOf> | null; gpuNote?: string } {
  if (!spans.length || spans.some((s) => s === null)) return { gpu: null };
  const problem = spanProblem(env.timer, spans as number[]);
  return problem ? { gpu: null, gpuNote: problem } : { gpu: rateOf(tokens, spans as number[]) };
}

/** ppP: `reps` prefills of a P-token prompt. */
export async function prefillTest(t: TestContext, P: number): Promise<TokenTest> {
  const { env } = t;
  const runs = await withErrorScopes(env.device, `${t.id}.pp${P}`, () => timePrefill(env, t.model, t.res, P));
  await assertFiniteLogits(t, 1, `pp${P}`);
  const total = aggregateTokens(P, 1);
  const { gpu, gpuNote } = gpuRate(env, total, runs.map((r) => r.gpuNs));
  const wall = rateOf(total, runs.map((r) => r.wallNs));
  const linears = linearsAt(t, P, 1);
  const { bw, peak, ceiling } = ceilings(env.ceilings, linears.arithmetic);
  return {
    name: `pp${P}`,
    kind: 'prefill',
    promptLen: P,
    depth: 0,
    batch: 1,
    tokens: P,
    gpu,
    ...(gpuNote ? { gpuNote } : {}),
    wall,
    ttftMs: { gpu: gpu ? medianMsPerToken(gpu.samplesNs) : null, wall: medianMsPerToken(wall.samplesNs) },
    bounds: bounds((gpu ?? wall).median, bw ? bw / (t.weightBytes / P) : null, peak ? peak / (prefillFlops(t.arch, P) / P) : null, ceiling),
    ...linears,
  };
}

/**
 * Inter-token latency percentiles, only from per-token samples: unquantised per-step GPU spans. Anything
 * else (chunk averages, quantised steps) would put p90/p99 near the mean: n/a with the reason instead.
 */
function interTokenLatency(env: GenEnv, runs: readonly DecodeRun[]): Pick<TokenTest, 'itlNs' | 'itlSource' | 'stepNs' | 'itlNote'> {
  if (runs.length && runs.every((r) => r.stepNs !== null)) {
    const steps = runs.flatMap((r) => r.stepNs as number[]);
    return { itlNs: latencyPercentiles(steps), itlSource: 'gpu-timestamp', stepNs: steps };
  }
  const why =
    env.timer.source !== 'gpu-timestamp'
      ? 'no GPU timestamps on this adapter'
      : `GPU timestamps are quantised to ${env.timer.resolutionNs} ns (unquantised timestamps: Chrome --enable-webgpu-developer-features, profile "unquantized")`;
  return { itlNote: `n/a: per-token latency needs per-token samples; ${why}` };
}

/** tgN (@dD, bB): `reps` generations of N tokens for `batch` sequences from depth `depth`. */
export async function decodeTest(t: TestContext, batch: number, depth: number): Promise<TokenTest> {
  const { env, arch, format } = t;
  const N = env.gen.genTokens;
  const name = `tg${N}${depth ? `@d${depth}` : ''}${batch > 1 ? ` b${batch}` : ''}`;
  const { runs, tokens } = await withErrorScopes(env.device, `${t.id}.${name}`, () => timeDecode(env, t.model, t.res, batch, depth, N));
  await assertFiniteLogits(t, batch, name);
  const total = aggregateTokens(N, batch);
  const { gpu, gpuNote } = gpuRate(env, total, runs.map((r) => r.gpuNs));
  const busy = gpu && runs.every((r) => r.busyNs !== null) ? rateOf(total, runs.map((r) => r.busyNs as number)) : null;
  const wall = rateOf(total, runs.map((r) => r.wallNs));
  const measured = (gpu ?? wall).median;
  const avgCtx = depth + N / 2;
  // Steps run at state[0] = depth .. depth + N - 1; traffic is linear in it, so the mean gives the exact mean.
  const meanPos = depth + (N - 1) / 2;
  const read = forwardTraffic(await t.model.forward('decode', batch), meanPos).read / batch;
  const kvType = kvTypeOf(env.gen);
  const needed = decodeBytesPerToken(arch, format, meanPos, batch, t.layout, kvType).perToken;
  const linears = linearsAt(t, batch, batch);
  const { bw, peak, ceiling } = ceilings(env.ceilings, linears.arithmetic);
  return {
    name,
    kind: 'decode',
    promptLen: 0,
    depth,
    batch,
    tokens: N,
    gpu,
    ...(gpuNote ? { gpuNote } : {}),
    ...(busy ? { gpuBusy: busy } : {}),
    wall,
    perSequence: perSequenceRate(measured, batch),
    tpotMs: { gpu: gpu ? medianMsPerToken(gpu.samplesNs, N) : null, wall: medianMsPerToken(wall.samplesNs, N) },
    ...interTokenLatency(env, runs),
    traffic: { readPerToken: read, neededPerToken: needed, ratio: trafficRatio(read, needed), pos: meanPos, method: TRAFFIC_METHOD },
    bounds: bounds(measured, bw ? bw / decodeBytesPerToken(arch, format, avgCtx, batch, t.layout, kvType).perToken : null, peak ? peak / flopsPerToken(arch, avgCtx) : null, ceiling),
    ...linears,
    generatedTokens: tokens,
  };
}
