/**
 * The run orchestrator: acquire the device, run every phase's steps (build → verify against the CPU
 * reference → time), report progress, and assemble the result. A failing step or phase is recorded and
 * the run goes on; Cancel stops cooperatively between batches and keeps what finished.
 */
import { type Resources as ResourcesT, Resources } from '../gpu/buffers';
import { ErrorLog, type GpuContext, NoAdapterError, acquireGpu } from '../gpu/device';
import { type CancelSignal, CancelledError, errorMessage, withErrorScopes } from '../gpu/errors';
import { type MeasurePlan, type Timer, createTimer } from '../measure/timer';
import { createMatmul } from '../kernels/matmul/matmul';
import { createMatmulSgmat } from '../kernels/matmul/sgmat';
import { type SgmatAdapterInfo, planSgmat } from '../kernels/matmul/sgmat-plan';
import { createCopyProbe, createFmaProbe, createReadProbe } from '../kernels/probes/probes';
import type { MeasuredWork } from '../core/work';
import type { Arch } from '../model/types';
import type { WeightFormat } from '../core/tensor';
import {
  type BenchResult,
  type Measurement,
  type Phase,
  type RunConfig,
  type Runtime,
  SCHEMA_ID,
  SCHEMA_VERSION,
  type SuiteName,
  type TimerInfo,
  type Environment,
} from '../schema/result';
import { TOOL } from '../version';
import { type MeasureMeta, measureKernel, metricFrom } from '../measure/measure';
import { type Ceilings, checkForward, resolveModel, runKernelChecks, runWorkload } from './phases/generation';
import { PRESETS } from '../model/presets';
import type { Verification, Workload } from '../schema/result';
import { PLAUSIBILITY, SUITES, type SuiteSpec } from './suites';
import { type TuneCache, Tuner, adapterKey } from './tune/tuner';
import { matmulTask } from './tune/tasks';

/** Progress of a run, sent after every step. */
export interface Progress {
  phaseId: string;
  phaseTitle: string;
  phaseIndex: number;
  phaseCount: number;
  /** Label of the step just started (or finished when `stepsDone === stepCount`). */
  step: string;
  stepsDone: number;
  stepCount: number;
  /** 0..1 over the whole run. */
  fraction: number;
  elapsedMs: number;
  /** Estimated time left; null until one step has finished. */
  etaMs: number | null;
}

export interface RunHooks {
  onProgress?: (p: Progress) => void;
  /** Called as soon as the device is acquired and the timer calibrated. */
  onEnvironment?: (env: Environment, timer: TimerInfo) => void;
  /** Called when a phase finishes (completed, errored, cancelled or skipped). */
  onPhase?: (phase: Phase) => void;
  /**
   * After every finished phase: the result so far, shaped as an interrupted run, so a caller can persist
   * it and recover completed phases if the run never returns (page closed, tab crashed).
   */
  onCheckpoint?: (partial: BenchResult) => void;
}

/** Conditions outside the GPU that the caller observes during a run (mutated by the caller). */
export interface RunConditions {
  /** The page is hidden now (a hidden page may be throttled). */
  hidden: boolean;
  /** How many times it became hidden, so a short hide between two checks is not missed. */
  hiddenEvents: number;
}

export interface RunRequest {
  suite: SuiteName;
  runtime: Runtime;
  conditions?: RunConditions;
  /** Override suite defaults (validated by the caller). */
  overrides?: Partial<Omit<RunConfig, 'suite' | 'generation'>> & { generation?: Partial<RunConfig['generation']> };
  /**
   * Autotuning (src/suite/tune.ts): on unless `enabled` is false (`--no-tune`, `tune=0`). `cache` holds
   * earlier choices for this adapter; the result's `tuning` carries the new ones for the caller to keep.
   */
  tune?: { enabled: boolean; cache?: TuneCache };
}

interface StepDef {
  id: string;
  label: string;
  meta: Omit<MeasureMeta, 'id' | 'label'>;
  params: Record<string, number | string | boolean>;
  /** Reason the step cannot run here, or null. */
  skip: (ctx: GpuContext) => string | null;
  build: (ctx: GpuContext, res: ResourcesT, seed: number, timeoutMs: number, tuner: Tuner) => Promise<MeasuredWork>;
}

interface PhaseDef {
  id: string;
  title: string;
  steps: StepDef[];
  /** Set for the generation phase, whose units are checks and workloads rather than kernel steps. */
  generation?: GenUnit[];
}

/** A unit of the generation phase (one progress step each). */
type GenUnit =
  | { kind: 'kernel-checks'; label: string }
  | { kind: 'forward-check'; label: string; format: WeightFormat }
  | { kind: 'workload'; label: string; model: string | Arch; format: WeightFormat };

/** Drift between the start and end calibrations above this fraction flags the result. */
export const DRIFT_THRESHOLD = 0.05;

export function assessDrift(startGflops: number, endGflops: number, threshold = DRIFT_THRESHOLD): NonNullable<BenchResult['drift']> {
  const change = startGflops > 0 ? (endGflops - startGflops) / startGflops : 0;
  return { startGflops, endGflops, change, threshold, flagged: Math.abs(change) > threshold };
}

/** Error entry of a checkpoint: what a recovered partial result says about itself. */
export const INTERRUPTED_MESSAGE =
  'interrupted: the run did not finish (page closed, reloaded or crashed); the phases completed before that are kept';

/** Warning attached to phases during which the page was hidden. */
export const HIDDEN_WARNING =
  'the page was hidden during this phase: the browser may have throttled it, so its figures may be low; rerun with the page visible';

/** Fresh devices acquired after device losses before a run stops with a partial result. */
export const MAX_DEVICE_RECOVERIES = 2;

/** Architecture of the full-forward check: 2 layers, GQA, QKV bias, untied head. */
const CHECK_ARCH = 'tiny';

const MiB = 1 << 20;

function bindingLimit(ctx: GpuContext): number {
  const l = ctx.device.limits;
  return Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize);
}

/** Largest multiple of 16 bytes not above `want` and the device's binding limit. */
function fitBytes(ctx: GpuContext, want: number): number {
  return Math.floor(Math.min(want, bindingLimit(ctx)) / 16) * 16;
}

function buildPhases(spec: SuiteSpec, config: RunConfig): PhaseDef[] {
  const r = spec.roofline;
  const roofline: PhaseDef = {
    id: 'roofline',
    title: 'Roofline probes',
    steps: [
      {
        id: 'read-bandwidth',
        label: `read bandwidth (${r.readBytes / MiB} MiB)`,
        meta: { kind: 'bandwidth', unit: 'GB/s', bound: PLAUSIBILITY.bandwidth },
        params: {},
        skip: () => null,
        build: (ctx, res, seed, timeoutMs) => createReadProbe(ctx.device, res, fitBytes(ctx, r.readBytes), { seed, timeoutMs }),
      },
      {
        id: 'copy-bandwidth',
        label: `copy bandwidth (${r.copyBytes / MiB} MiB, read + write)`,
        meta: { kind: 'bandwidth', unit: 'GB/s', bound: PLAUSIBILITY.bandwidth },
        params: {},
        skip: () => null,
        build: (ctx, res, seed, timeoutMs) => createCopyProbe(ctx.device, res, fitBytes(ctx, r.copyBytes), { seed, timeoutMs }),
      },
      ...(['f32', 'f16'] as const).map(
        (precision): StepDef => ({
          id: `fma-${precision}`,
          label: `${precision} FMA peak`,
          meta: { kind: 'compute', unit: 'GFLOP/s', bound: PLAUSIBILITY[precision] },
          params: { precision },
          skip: (ctx) =>
            precision === 'f16' && !ctx.device.features.has('shader-f16')
              ? 'shader-f16 not supported by this adapter: f16 FMA peak skipped'
              : null,
          build: (ctx, res, seed, timeoutMs) =>
            createFmaProbe(ctx.device, res, { precision, ...r.fma }, { seed, timeoutMs }),
        }),
      ),
    ],
  };
  const sgmatEnv = (ctx: GpuContext) => ({
    features: ctx.device.features,
    limits: ctx.device.limits,
    info: ctx.adapter.info as unknown as SgmatAdapterInfo,
  });
  const matmul: PhaseDef = {
    id: 'matmul',
    title: 'Matmul (f32 tiled, f16 subgroup-matrix)',
    steps: [
      ...spec.matmul.shapes.map((shape): StepDef => ({
        id: `matmul-f32-${shape.M}x${shape.N}x${shape.K}`,
        label: `matmul f32 ${shape.M}x${shape.N}x${shape.K}`,
        meta: { kind: 'matmul', unit: 'GFLOP/s', bound: PLAUSIBILITY.f32 },
        params: { ...shape },
        skip: (ctx) => {
          const largest = 4 * Math.max(shape.M * shape.K, shape.K * shape.N, shape.M * shape.N);
          const limit = bindingLimit(ctx);
          return largest > limit
            ? `an operand needs ${largest} bytes > the device's storage binding limit ${limit} bytes`
            : null;
        },
        // The variant is tuned on this shape first (checked, then timed); the measurement then checks and
        // times the winner on fresh operands with the suite's full repetitions.
        build: async (ctx, res, seed, timeoutMs, tuner) => {
          const variant = await tuner.choose(matmulTask(ctx.device, shape, seed, timeoutMs));
          return createMatmul(ctx.device, res, shape, { seed, timeoutMs, variant });
        },
      })),
      // f16 on the matrix units (tensor cores) through Dawn's experimental subgroup matrices; skipped, with
      // the reason and what would enable it, where the adapter lacks them.
      ...spec.matmul.f16Shapes.map((shape): StepDef => ({
        id: `matmul-f16-sgmat-${shape.M}x${shape.N}x${shape.K}`,
        label: `matmul f16 subgroup-matrix ${shape.M}x${shape.N}x${shape.K}`,
        meta: { kind: 'matmul', unit: 'GFLOP/s', bound: PLAUSIBILITY.f16Matrix },
        params: { ...shape, precision: 'f16' },
        skip: (ctx) => {
          const plan = planSgmat(sgmatEnv(ctx), shape);
          if (typeof plan === 'string') return plan;
          const out = plan.choice.accumulate === 'f32' ? 4 : 2;
          const largest = Math.max(2 * shape.M * shape.K, 2 * shape.K * shape.N, out * shape.M * shape.N);
          const limit = bindingLimit(ctx);
          return largest > limit
            ? `an operand needs ${largest} bytes > the device's storage binding limit ${limit} bytes`
            : null;
        },
        build: (ctx, res, seed, timeoutMs) =>
          createMatmulSgmat(ctx.device, res, shape, { seed, timeoutMs, adapterInfo: sgmatEnv(ctx).info }),
      })),
    ],
  };
  const g = config.generation;
  const generation: PhaseDef = {
    id: 'generation',
    title: 'Token generation',
    steps: [],
    generation: [
      { kind: 'kernel-checks', label: 'transformer kernel self-checks' },
      ...g.formats.map((format): GenUnit => ({ kind: 'forward-check', label: `full-forward check (${CHECK_ARCH}, ${format})`, format })),
      ...g.models.flatMap((model) =>
        g.formats.map((format): GenUnit => ({
          kind: 'workload',
          label: `${typeof model === 'string' ? model : model.name} ${format}`,
          model,
          format,
        })),
      ),
    ],
  };
  return [roofline, matmul, generation];
}

function unitCount(p: PhaseDef): number {
  return p.generation ? p.generation.length : p.steps.length;
}

/** Phase and step names of a suite, for display before a run. */
export function describeSuite(suite: SuiteName): Array<{ id: string; title: string; steps: string[] }> {
  const spec = SUITES[suite];
  return buildPhases(spec, { suite, ...spec.config }).map((p) => ({
    id: p.id,
    title: p.title,
    steps: p.generation ? p.generation.map((u) => u.label) : p.steps.map((s) => s.label),
  }));
}

/** Read bandwidth and f32 FMA peak from the roofline phase, when it produced valid figures. */
function ceilingsFrom(phases: Phase[]): Ceilings {
  const find = (id: string) => {
    for (const p of phases) for (const m of p.measurements) if (m.id === id && m.state === 'ok') return m.metric.median;
    return null;
  };
  return { readGBs: find('read-bandwidth'), fmaGflops: find('fma-f32') };
}

function stepBase(step: StepDef) {
  return { id: step.id, label: step.label, kind: step.meta.kind, params: step.params, work: {} };
}

function rollUpVerification(phases: Phase[]): BenchResult['verification'] {
  let passed = 0;
  let failed = 0;
  const count = (v: Verification) => (v.state === 'passed' ? passed++ : failed++);
  for (const p of phases) {
    for (const m of p.measurements) if ('verification' in m) count(m.verification);
    for (const c of p.checks ?? []) count(c.verification);
  }
  return { state: failed > 0 ? 'failed' : passed > 0 ? 'passed' : 'none', passed, failed };
}

/** Runs a suite. Never throws for GPU trouble: failures are recorded in the returned result. */
export async function runSuite(
  gpu: GPU | undefined,
  req: RunRequest,
  hooks: RunHooks = {},
  signal: CancelSignal = { cancelled: false },
  acquire: (gpu: GPU | undefined, errors: ErrorLog) => Promise<GpuContext> = (g, errors) => acquireGpu(g, { errors }),
): Promise<BenchResult> {
  const spec = SUITES[req.suite];
  const { generation: genOverride, ...rest } = req.overrides ?? {};
  const config: RunConfig = {
    suite: req.suite,
    ...spec.config,
    ...rest,
    generation: { ...spec.config.generation, ...(genOverride ?? {}) },
  };
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const phases: Phase[] = [];
  const base = {
    schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    tool: { ...TOOL },
    startedAt,
    config,
    runtime: req.runtime,
  } as const;

  let ctx: GpuContext;
  let timer: Timer;
  const errors = new ErrorLog();
  try {
    ctx = await acquire(gpu, errors);
  } catch (e) {
    const message = e instanceof NoAdapterError ? e.message : `could not create a WebGPU device: ${errorMessage(e)}`;
    return {
      ...base,
      finishedAt: new Date().toISOString(),
      status: 'failed',
      environment: null,
      timer: null,
      phases,
      errors: [{ source: 'setup', message, at: new Date().toISOString() }],
      verification: { state: 'none', passed: 0, failed: 0 },
    };
  }
  try {
    try {
      timer = await createTimer(ctx.device, { forceWallClock: config.forceWallClock, timeoutMs: config.gpuTimeoutMs });
    } catch (e) {
      errors.add('setup', `timer calibration failed: ${errorMessage(e)}`);
      return {
        ...base,
        finishedAt: new Date().toISOString(),
        status: 'failed',
        environment: ctx.environment,
        timer: null,
        phases,
        errors: errors.entries,
        verification: { state: 'none', passed: 0, failed: 0 },
      };
    }
    hooks.onEnvironment?.(ctx.environment, timer.info);
    const tuner = new Tuner(timer, {
      enabled: req.tune?.enabled ?? true,
      adapterKey: adapterKey(ctx.environment, req.runtime),
      // A copy: the caller's cache object is not changed behind its back; new choices come back in the result.
      cache: { ...(req.tune?.cache ?? {}) },
      maxCandidates: spec.tune.maxCandidates,
      plan: { minSampleMs: config.minSampleMs, maxSubmitMs: config.maxSubmitMs, timeoutMs: config.gpuTimeoutMs, signal },
      guard: (what, fn) => withErrorScopes(ctx.device, what, fn),
      fatal: () => ctx.lost !== null,
    });
    const conditions = req.conditions ?? { hidden: false, hiddenEvents: 0 };

    const defs = buildPhases(spec, config);
    const stepCount = defs.reduce((n, p) => n + unitCount(p), 0);
    let stepsDone = 0;
    let stopped: string | null = null;
    let recoveries = 0;
    const report = (def: PhaseDef, index: number, step: string) => {
      const elapsedMs = performance.now() - t0;
      const fraction = stepCount ? stepsDone / stepCount : 1;
      hooks.onProgress?.({
        phaseId: def.id,
        phaseTitle: def.title,
        phaseIndex: index,
        phaseCount: defs.length,
        step,
        stepsDone,
        stepCount,
        fraction,
        elapsedMs,
        etaMs: stepsDone > 0 ? (elapsedMs / stepsDone) * (stepCount - stepsDone) : null,
      });
    };
    const plan = {
      warmup: config.warmup,
      reps: config.reps,
      minSampleMs: config.minSampleMs,
      maxSubmitMs: config.maxSubmitMs,
      timeoutMs: config.gpuTimeoutMs,
      signal,
    };
    const guard = <T>(what: string, fn: () => Promise<T>) => withErrorScopes(ctx.device, what, fn);
    let driftStart: number | null = null;
    try {
      driftStart = await guard('drift-calibration', () => calibrate(ctx, timer, spec, plan));
    } catch (e) {
      if (!(e instanceof CancelledError)) errors.add('setup', `drift calibration (start) failed: ${errorMessage(e)}`);
    }

    for (const [index, def] of defs.entries()) {
      const phaseStart = new Date().toISOString();
      const p0 = performance.now();
      if (stopped) {
        const phase: Phase = { id: def.id, title: def.title, startedAt: phaseStart, durationMs: 0, measurements: [], state: 'skipped', reason: stopped };
        phases.push(phase);
        hooks.onPhase?.(phase);
        continue;
      }
      errors.phase = def.id;
      const hiddenAtStart = conditions.hidden;
      const hiddenEventsAtStart = conditions.hiddenEvents;
      const measurements: Measurement[] = [];
      let phaseError: string | null = null;
      let cancelled = false;
      const checks: NonNullable<Phase['checks']> = [];
      const workloads: Workload[] = [];
      if (def.generation) {
        const outcome = await runGenerationUnits(def.generation, {
          ctx,
          timer,
          config,
          signal,
          ceilings: ceilingsFrom(phases),
          guard,
          tuner,
          report: (label) => report(def, index, label),
          unitDone: () => stepsDone++,
          checks,
          workloads,
        });
        cancelled = outcome.cancelled;
        phaseError = outcome.error;
      }
      for (const [s, step] of def.steps.entries()) {
        if (signal.cancelled) {
          cancelled = true;
          break;
        }
        report(def, index, step.label);
        const skipReason = step.skip(ctx);
        if (skipReason) {
          measurements.push({ ...stepBase(step), state: 'skipped', reason: skipReason });
          stepsDone++;
          continue;
        }
        const res: ResourcesT = new Resources();
        try {
          const seed = 0x1234 + 977 * (index * 64 + s);
          tuner.onStep = (label) => report(def, index, `${step.label} · ${label}`);
          const kernel = await guard(`${step.id}.setup`, () => step.build(ctx, res, seed, config.gpuTimeoutMs, tuner));
          measurements.push(await measureKernel(kernel, timer, plan, { id: step.id, label: step.label, ...step.meta }, guard));
        } catch (e) {
          if (e instanceof CancelledError) {
            cancelled = true;
            break;
          }
          const msg = errorMessage(e);
          measurements.push({ ...stepBase(step), state: 'errored', error: msg });
          errors.add('phase', `${step.id}: ${msg}`);
        } finally {
          res.destroyAll();
        }
        stepsDone++;
        if (ctx.lost) {
          phaseError = `device lost (${ctx.lost.reason}): ${ctx.lost.message}`;
          break;
        }
      }
      const common = {
        id: def.id,
        title: def.title,
        startedAt: phaseStart,
        durationMs: performance.now() - p0,
        measurements,
        ...(def.generation ? { workloads, checks } : {}),
        ...(hiddenAtStart || conditions.hiddenEvents !== hiddenEventsAtStart ? { warnings: [HIDDEN_WARNING] } : {}),
      };
      const phase: Phase = cancelled
        ? { ...common, state: 'cancelled' }
        : phaseError
          ? { ...common, state: 'errored', error: phaseError }
          : { ...common, state: 'completed' };
      if (cancelled) stopped = 'not run: the run was cancelled';
      phases.push(phase);
      hooks.onPhase?.(phase);
      hooks.onCheckpoint?.({
        ...base,
        finishedAt: new Date().toISOString(),
        status: 'cancelled',
        environment: ctx.environment,
        timer: timer.info,
        phases: [...phases],
        errors: [...errors.entries, { source: 'setup', message: INTERRUPTED_MESSAGE, at: new Date().toISOString() }],
        verification: rollUpVerification(phases),
        tuning: tuner.record(),
      });
      report(def, index, cancelled ? 'cancelled' : 'done');
      // A lost device cannot be reused, nor can its adapter: start over with fresh ones and go on.
      if (ctx.lost && !cancelled) {
        if (recoveries >= MAX_DEVICE_RECOVERIES) {
          stopped = `not run: the device was lost ${recoveries + 1} times (at most ${MAX_DEVICE_RECOVERIES} recoveries)`;
        } else {
          try {
            ctx = await acquire(gpu, errors);
            timer = await createTimer(ctx.device, { forceWallClock: config.forceWallClock, timeoutMs: config.gpuTimeoutMs });
            tuner.timer = timer;
            recoveries++;
            errors.add('setup', `device lost during ${def.id}: acquired a fresh adapter and device (recovery ${recoveries} of ${MAX_DEVICE_RECOVERIES})`, def.id);
          } catch (e) {
            stopped = `not run: no device after the loss in ${def.id}: ${errorMessage(e)}`;
            errors.add('setup', stopped, def.id);
          }
        }
      }
    }
    errors.phase = undefined;
    let drift: BenchResult['drift'] = null;
    if (driftStart !== null && recoveries === 0 && !signal.cancelled && !ctx.lost) {
      try {
        drift = assessDrift(driftStart, await guard('drift-calibration', () => calibrate(ctx, timer, spec, { ...plan, signal: { cancelled: false } })));
      } catch (e) {
        errors.add('setup', `drift calibration (end) failed: ${errorMessage(e)}`);
      }
    }
    return {
      ...base,
      finishedAt: new Date().toISOString(),
      status: signal.cancelled ? 'cancelled' : 'completed',
      environment: ctx.environment,
      timer: timer.info,
      phases,
      drift,
      errors: errors.entries,
      verification: rollUpVerification(phases),
      tuning: tuner.record(),
    };
  } finally {
    errors.phase = undefined;
    ctx.device.destroy();
  }
}

interface GenRunEnv {
  ctx: GpuContext;
  timer: Timer;
  config: RunConfig;
  signal: CancelSignal;
  ceilings: Ceilings;
  guard: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  tuner: Tuner;
  report: (label: string) => void;
  unitDone: () => void;
  checks: NonNullable<Phase['checks']>;
  workloads: Workload[];
}

/**
 * Runs the generation phase's units in order: kernel self-checks, full-forward checks per format, then
 * workloads. A workload whose kernels or format failed a check is reported invalid, never timed.
 */
async function runGenerationUnits(units: GenUnit[], env: GenRunEnv): Promise<{ cancelled: boolean; error: string | null }> {
  const { ctx, config, signal, guard, checks, workloads } = env;
  const timeoutMs = config.gpuTimeoutMs;
  let kernelsInvalid: string | null = null;
  const formatInvalid = new Map<WeightFormat, string>();
  const formatCheck = new Map<WeightFormat, Verification>();
  env.tuner.onStep = env.report;
  const genEnv = {
    device: ctx.device,
    timer: env.timer.info,
    gen: config.generation,
    maxSubmitMs: config.maxSubmitMs,
    timeoutMs,
    signal,
    ceilings: env.ceilings,
    onStep: env.report,
    tuner: env.tuner,
    kernelTimer: env.timer,
  };
  for (const unit of units) {
    if (signal.cancelled) return { cancelled: true, error: null };
    env.report(unit.label);
    try {
      if (unit.kind === 'kernel-checks') {
        const cs = await guard('kernel-checks', () => runKernelChecks(ctx.device, timeoutMs));
        checks.push(...cs);
        const bad = cs.filter((c) => c.verification.state === 'failed');
        if (bad.length) kernelsInvalid = `kernel self-check failed: ${bad.map((b) => `${b.id} (${b.verification.method})`).join('; ')}`;
      } else if (unit.kind === 'forward-check') {
        const arch = PRESETS[CHECK_ARCH] as Arch;
        const v = await guard(`forward-check.${unit.format}`, () => checkForward(ctx.device, arch, unit.format, timeoutMs));
        checks.push({ id: `forward-${unit.format}`, verification: v });
        formatCheck.set(unit.format, v);
        if (v.state === 'failed') formatInvalid.set(unit.format, `full-forward check failed in ${unit.format}: ${v.detail ?? `error ${v.error}`}`);
      } else {
        const resolved = resolveModel(unit.model);
        if (!resolved.ok) {
          ctx.errors.add('phase', `${unit.label}: ${resolved.error}`);
        } else {
          const invalid = kernelsInvalid ?? formatInvalid.get(unit.format) ?? (formatCheck.has(unit.format) ? null : `no full-forward check ran for ${unit.format}`);
          const w = await runWorkload(genEnv, typeof unit.model === 'string' ? unit.model : 'custom', resolved.arch, unit.format, invalid);
          const v = formatCheck.get(unit.format);
          workloads.push(v ? { ...w, verification: v } : w);
          if (w.state === 'errored') ctx.errors.add('phase', `${w.id}: ${w.reason ?? 'errored'}`);
        }
      }
    } catch (e) {
      if (e instanceof CancelledError) return { cancelled: true, error: null };
      const msg = errorMessage(e);
      ctx.errors.add('phase', `${unit.label}: ${msg}`);
      if (unit.kind === 'kernel-checks') kernelsInvalid = `kernel self-checks could not run: ${msg}`;
      if (unit.kind === 'forward-check') formatInvalid.set(unit.format, `full-forward check could not run: ${msg}`);
    }
    env.unitDone();
    if (ctx.lost) return { cancelled: false, error: `device lost (${ctx.lost.reason}): ${ctx.lost.message}` };
  }
  return { cancelled: false, error: null };
}

/** The drift calibration: a short f32 FMA run, timed like any measurement; returns GFLOP/s (median). */
async function calibrate(ctx: GpuContext, timer: Timer, spec: SuiteSpec, plan: MeasurePlan): Promise<number> {
  const res = new Resources();
  try {
    const k = await createFmaProbe(ctx.device, res, { precision: 'f32', ...spec.roofline.fma }, { seed: 77, timeoutMs: plan.timeoutMs });
    const timing = await timer.measure(k, { ...plan, warmup: 1, reps: 5 });
    return metricFrom(timing, k.cost(0).flops, 'GFLOP/s').median;
  } finally {
    res.destroyAll();
  }
}
