/**
 * The run orchestrator: acquire the device, calibrate the timer, run every phase's units (src/run/phase.ts)
 * with progress, cancellation, device-loss recovery, checkpoints and drift, and assemble the result. A
 * failing unit or phase is recorded and the run goes on; Cancel stops cooperatively between units and
 * keeps what finished.
 */
import { ErrorLog, type GpuContext, NoAdapterError, acquireGpu } from '../gpu/device';
import { defaultKvType } from '../core/kv';
import { type CancelSignal, CancelledError, errorMessage, withErrorScopes } from '../gpu/errors';
import { type MeasurePlan, type Timer, createTimer } from '../measure/timer';
import {
  type BenchResult,
  type Environment,
  type Phase,
  type RunConfig,
  type Runtime,
  SCHEMA_ID,
  SCHEMA_VERSION,
  type SuiteName,
  type TimerInfo,
  type Verification,
} from '../schema/result';
import { TOOL } from '../version';
import { assessDrift, calibrate } from './drift';
import { type ModelFiles, NO_FILES } from './files';
import type { AnyPhase, PhaseContext, PhaseOutput } from './phase';
import { PHASES } from './phases';
import { SUITES, type SuiteSpec } from './suites';
import { type TuneCache, Tuner, adapterKey } from './tune/tuner';

export { DRIFT_THRESHOLD, assessDrift } from './drift';

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

/**
 * A suite run as the runner takes it: the user's RunRequest (./request.ts) resolved by
 * src/runtime/execute.ts, plus where it runs and config overrides (tests shorten timeouts with them).
 */
export interface SuiteRun {
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
  /** Resolves model file references of the config (GGUF); absent: the run has no files. */
  files?: ModelFiles;
}


/** Error entry of a checkpoint: what a recovered partial result says about itself. */
export const INTERRUPTED_MESSAGE =
  'interrupted: the run did not finish (page closed, reloaded or crashed); the phases completed before that are kept';

/** Warning attached to phases during which the page was hidden. */
export const HIDDEN_WARNING =
  'the page was hidden during this phase: the browser may have throttled it, so its figures may be low; rerun with the page visible';

/** Fresh devices acquired after device losses before a run stops with a partial result. */
export const MAX_DEVICE_RECOVERIES = 2;

type Acquire = (gpu: GPU | undefined, errors: ErrorLog) => Promise<GpuContext>;

/** The suite's defaults with the request's overrides. */
function resolveConfig(req: SuiteRun): RunConfig {
  const spec = SUITES[req.suite];
  const { generation, ...rest } = req.overrides ?? {};
  return { suite: req.suite, ...spec.config, ...rest, generation: { ...spec.config.generation, ...(generation ?? {}) } };
}

/** Phase and step names of a suite, for display before a run. */
export function describeSuite(suite: SuiteName): Array<{ id: string; title: string; steps: string[] }> {
  const spec = SUITES[suite];
  const config: RunConfig = { suite, ...spec.config };
  return PHASES.map((p) => ({ id: p.id, title: p.title, steps: p.units(config, spec).map((u) => u.label) }));
}

function rollUpVerification(phases: readonly Phase[]): BenchResult['verification'] {
  let passed = 0;
  let failed = 0;
  const count = (v: Verification) => (v.state === 'passed' ? passed++ : failed++);
  for (const p of phases) {
    for (const m of p.measurements) if ('verification' in m) count(m.verification);
    for (const c of p.checks ?? []) count(c.verification);
  }
  return { state: failed > 0 ? 'failed' : passed > 0 ? 'passed' : 'none', passed, failed };
}

/** A result that never got past setup: no device, or no timer. */
function failedSetup(base: RunBase, environment: Environment | null, errors: BenchResult['errors']): BenchResult {
  return { ...base, finishedAt: new Date().toISOString(), status: 'failed', environment, timer: null, phases: [], errors, verification: { state: 'none', passed: 0, failed: 0 } };
}

type RunBase = Pick<BenchResult, 'schema' | 'schemaVersion' | 'tool' | 'startedAt' | 'config' | 'runtime'>;

/** One run in progress: the device, timer and tuner of the moment, the phases so far, and progress. */
class Run {
  readonly phases: Phase[] = [];
  readonly t0 = performance.now();
  readonly defs: ReadonlyArray<{ def: AnyPhase; units: ReturnType<AnyPhase['units']> }>;
  readonly unitCount: number;
  unitsDone = 0;
  /** Why the remaining phases do not run (cancel, too many device losses), once set. */
  stopped: string | null = null;
  recoveries = 0;
  readonly plan: MeasurePlan;
  readonly conditions: RunConditions;

  constructor(
    readonly base: RunBase,
    readonly spec: SuiteSpec,
    readonly config: RunConfig,
    readonly req: SuiteRun,
    readonly hooks: RunHooks,
    readonly signal: CancelSignal,
    readonly errors: ErrorLog,
    public gpu: GpuContext,
    public timer: Timer,
    readonly tuner: Tuner,
  ) {
    this.defs = PHASES.map((def) => ({ def, units: def.units(config, spec) }));
    this.unitCount = this.defs.reduce((n, d) => n + d.units.length, 0);
    const c = config;
    this.plan = { warmup: c.warmup, reps: c.reps, minSampleMs: c.minSampleMs, maxSubmitMs: c.maxSubmitMs, timeoutMs: c.gpuTimeoutMs, signal };
    this.conditions = req.conditions ?? { hidden: false, hiddenEvents: 0 };
  }

  guard = <T>(what: string, fn: () => Promise<T>): Promise<T> => withErrorScopes(this.gpu.device, what, fn);

  report(index: number, step: string): void {
    const elapsedMs = performance.now() - this.t0;
    const { def } = this.defs[index] as { def: AnyPhase };
    const done = this.unitsDone;
    const total = this.unitCount;
    this.hooks.onProgress?.({
      phaseId: def.id,
      phaseTitle: def.title,
      phaseIndex: index,
      phaseCount: this.defs.length,
      step,
      stepsDone: done,
      stepCount: total,
      fraction: total ? done / total : 1,
      elapsedMs,
      etaMs: done > 0 ? (elapsedMs / done) * (total - done) : null,
    });
  }

  /** The result so far, shaped as an interrupted run (checkpoints) or as the final result. */
  snapshot(status: BenchResult['status'], extra: Partial<BenchResult> = {}, errors = this.errors.entries): BenchResult {
    return {
      ...this.base,
      finishedAt: new Date().toISOString(),
      status,
      environment: this.gpu.environment,
      timer: this.timer.info,
      phases: [...this.phases],
      errors: [...errors],
      verification: rollUpVerification(this.phases),
      tuning: this.tuner.record(),
      ...extra,
    };
  }
}

/** What a phase sees of the run, bound to the device and timer of the moment. */
function phaseContext(run: Run, index: number, currentUnit: () => string): PhaseContext {
  return {
    get gpu() {
      return run.gpu;
    },
    get timer() {
      return run.timer;
    },
    config: run.config,
    spec: run.spec,
    signal: run.signal,
    tuner: run.tuner,
    plan: run.plan,
    earlier: [...run.phases],
    phaseIndex: index,
    files: run.req.files ?? NO_FILES,
    guard: run.guard,
    report: (label) => run.report(index, `${currentUnit()} · ${label}`),
  };
}

/** Runs one phase's units; returns how it ended. */
async function runUnits(run: Run, index: number, out: PhaseOutput): Promise<{ cancelled: boolean; error: string | null }> {
  const { def, units } = run.defs[index] as (typeof run.defs)[number];
  let current = '';
  const ctx = phaseContext(run, index, () => current);
  run.tuner.onStep = ctx.report;
  const runUnit = def.open(ctx, out);
  for (const [u, unit] of units.entries()) {
    if (run.signal.cancelled) return { cancelled: true, error: null };
    current = unit.label;
    run.report(index, unit.label);
    try {
      await runUnit(unit, u);
    } catch (e) {
      if (e instanceof CancelledError) return { cancelled: true, error: null };
      run.errors.add('phase', `${unit.label}: ${errorMessage(e)}`);
      return { cancelled: false, error: errorMessage(e) };
    }
    run.unitsDone++;
    if (run.gpu.lost) return { cancelled: false, error: `device lost (${run.gpu.lost.reason}): ${run.gpu.lost.message}` };
  }
  return { cancelled: false, error: null };
}

/** Runs phase `index` (or records it skipped once the run stopped) and checkpoints the result. */
async function runPhase(run: Run, index: number): Promise<void> {
  const { def, units } = run.defs[index] as (typeof run.defs)[number];
  const startedAt = new Date().toISOString();
  const p0 = performance.now();
  if (run.stopped) {
    const phase: Phase = { id: def.id, title: def.title, startedAt, durationMs: 0, measurements: [], state: 'skipped', reason: run.stopped };
    run.phases.push(phase);
    run.hooks.onPhase?.(phase);
    run.unitsDone += units.length;
    return;
  }
  run.errors.phase = def.id;
  const hidden = { atStart: run.conditions.hidden, events: run.conditions.hiddenEvents };
  const out: PhaseOutput = { measurements: [], workloads: [], checks: [] };
  const done = run.unitsDone;
  const outcome = await runUnits(run, index, out);
  run.unitsDone = done + units.length;
  const common = {
    id: def.id,
    title: def.title,
    startedAt,
    durationMs: performance.now() - p0,
    measurements: out.measurements,
    ...(def.records === 'workloads' ? { workloads: out.workloads, checks: out.checks } : {}),
    ...(hidden.atStart || run.conditions.hiddenEvents !== hidden.events ? { warnings: [HIDDEN_WARNING] } : {}),
  };
  const phase: Phase = outcome.cancelled ? { ...common, state: 'cancelled' } : outcome.error ? { ...common, state: 'errored', error: outcome.error } : { ...common, state: 'completed' };
  if (outcome.cancelled) run.stopped = 'not run: the run was cancelled';
  run.phases.push(phase);
  run.hooks.onPhase?.(phase);
  const interrupted = { source: 'setup' as const, message: INTERRUPTED_MESSAGE, at: new Date().toISOString() };
  run.hooks.onCheckpoint?.(run.snapshot('cancelled', {}, [...run.errors.entries, interrupted]));
  run.report(index, outcome.cancelled ? 'cancelled' : 'done');
}

/** A lost device cannot be reused, nor can its adapter: start over with fresh ones and go on. */
async function recover(run: Run, phaseId: string, gpuApi: GPU | undefined, acquire: Acquire): Promise<void> {
  if (!run.gpu.lost || run.stopped) return;
  if (run.recoveries >= MAX_DEVICE_RECOVERIES) {
    run.stopped = `not run: the device was lost ${run.recoveries + 1} times (at most ${MAX_DEVICE_RECOVERIES} recoveries)`;
    return;
  }
  try {
    run.gpu = await acquire(gpuApi, run.errors);
    run.timer = await createTimer(run.gpu.device, { forceWallClock: run.config.forceWallClock, timeoutMs: run.config.gpuTimeoutMs });
    run.tuner.timer = run.timer;
    run.recoveries++;
    run.errors.add('setup', `device lost during ${phaseId}: acquired a fresh adapter and device (recovery ${run.recoveries} of ${MAX_DEVICE_RECOVERIES})`, phaseId);
  } catch (e) {
    run.stopped = `not run: no device after the loss in ${phaseId}: ${errorMessage(e)}`;
    run.errors.add('setup', run.stopped, phaseId);
  }
}

/** The drift calibration at one end of the run; null (with an error entry) when it could not run. */
async function driftCalibration(run: Run, end: 'start' | 'end'): Promise<number | null> {
  try {
    const plan = end === 'end' ? { ...run.plan, signal: { cancelled: false } } : run.plan;
    return await run.guard('drift-calibration', () => calibrate(run.gpu, run.timer, run.spec, plan));
  } catch (e) {
    if (!(e instanceof CancelledError)) run.errors.add('setup', `drift calibration (${end}) failed: ${errorMessage(e)}`);
    return null;
  }
}

/** The device, a calibrated timer and the tuner; a failed setup is the result itself. */
async function setup(gpuApi: GPU | undefined, req: SuiteRun, base: RunBase, errors: ErrorLog, acquire: Acquire, signal: CancelSignal) {
  let gpu: GpuContext;
  try {
    gpu = await acquire(gpuApi, errors);
  } catch (e) {
    const message = e instanceof NoAdapterError ? e.message : `could not create a WebGPU device: ${errorMessage(e)}`;
    return { ok: false as const, result: failedSetup(base, null, [{ source: 'setup', message, at: new Date().toISOString() }]) };
  }
  const config = base.config;
  let timer: Timer;
  try {
    timer = await createTimer(gpu.device, { forceWallClock: config.forceWallClock, timeoutMs: config.gpuTimeoutMs });
  } catch (e) {
    errors.add('setup', `timer calibration failed: ${errorMessage(e)}`);
    gpu.device.destroy();
    return { ok: false as const, result: failedSetup(base, gpu.environment, errors.entries) };
  }
  const spec = SUITES[req.suite];
  const tuner = new Tuner(timer, {
    enabled: req.tune?.enabled ?? true,
    adapterKey: adapterKey(gpu.environment, req.runtime),
    // A copy: the caller's cache object is not changed behind its back; new choices come back in the result.
    cache: { ...(req.tune?.cache ?? {}) },
    maxCandidates: spec.tune.maxCandidates,
    plan: { minSampleMs: config.minSampleMs, maxSubmitMs: config.maxSubmitMs, timeoutMs: config.gpuTimeoutMs, signal },
    guard: (what, fn) => withErrorScopes(gpu.device, what, fn),
    fatal: () => gpu.lost !== null,
  });
  return { ok: true as const, gpu, timer, tuner };
}

/** Runs a suite. Never throws for GPU trouble: failures are recorded in the returned result. */
export async function runSuite(
  gpuApi: GPU | undefined,
  req: SuiteRun,
  hooks: RunHooks = {},
  signal: CancelSignal = { cancelled: false },
  acquire: Acquire = (g, errors) => acquireGpu(g, { errors, host: req.runtime.kind === 'node' ? 'node' : 'browser' }),
): Promise<BenchResult> {
  const config = resolveConfig(req);
  const base: RunBase = { schema: SCHEMA_ID, schemaVersion: SCHEMA_VERSION, tool: { ...TOOL }, startedAt: new Date().toISOString(), config, runtime: req.runtime };
  const errors = new ErrorLog();
  const s = await setup(gpuApi, req, base, errors, acquire, signal);
  if (!s.ok) return s.result;
  // Resolved once the adapter is known, and written into the result's config: a result always says
  // which KV cache it ran. A recovered device keeps it (the packed f16 cache runs on every adapter).
  config.generation = { ...config.generation, kvType: config.generation.kvType ?? defaultKvType(s.gpu.device) };
  const run = new Run(base, SUITES[req.suite], config, req, hooks, signal, errors, s.gpu, s.timer, s.tuner);
  try {
    hooks.onEnvironment?.(run.gpu.environment, run.timer.info);
    const driftStart = await driftCalibration(run, 'start');
    for (const [index, { def }] of run.defs.entries()) {
      await runPhase(run, index);
      await recover(run, def.id, gpuApi, acquire);
    }
    errors.phase = undefined;
    const clean = driftStart !== null && run.recoveries === 0 && !signal.cancelled && !run.gpu.lost;
    const driftEnd = clean ? await driftCalibration(run, 'end') : null;
    const drift = driftStart !== null && driftEnd !== null ? assessDrift(driftStart, driftEnd) : null;
    return run.snapshot(signal.cancelled ? 'cancelled' : 'completed', { drift });
  } finally {
    errors.phase = undefined;
    run.gpu.device.destroy();
  }
}
