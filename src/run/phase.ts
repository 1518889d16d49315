/**
 * A phase is a value: an id, a title, the units it runs for this run (one progress step each) and a
 * function that opens it on a device and returns what runs one unit. The runner (runner.ts) loops over
 * phases and units; progress, cancellation, device-loss recovery, checkpoints and drift are the
 * runner's, written once. A new phase is a new value in phases/index.ts.
 */
import type { GpuContext } from '../gpu/device';
import type { CancelSignal } from '../gpu/errors';
import type { MeasurePlan, Timer } from '../measure/timer';
import type { Measurement, Phase, RunConfig, Workload } from '../schema/result';
import type { ModelFiles } from './files';
import type { SuiteSpec } from './suites';
import type { Tuner } from './tune/tuner';

/** One progress step of a phase. */
export interface PhaseUnit {
  label: string;
}

/** What a phase records while it runs; the runner turns it into the result's Phase. */
export interface PhaseOutput {
  measurements: Measurement[];
  workloads: Workload[];
  checks: NonNullable<Phase['checks']>;
}

/** What a phase gets from the runner. The GPU context and timer change after a device-loss recovery. */
export interface PhaseContext {
  readonly gpu: GpuContext;
  readonly timer: Timer;
  readonly config: RunConfig;
  readonly spec: SuiteSpec;
  readonly signal: CancelSignal;
  readonly tuner: Tuner;
  /** The suite's measurement plan (warm-up, repetitions, sample length, watchdog budget). */
  readonly plan: MeasurePlan;
  /** Phases finished before this one (the generation phase reads the roofline ceilings from them). */
  readonly earlier: readonly Phase[];
  /** Position of this phase in the run (seeds). */
  readonly phaseIndex: number;
  /** Wraps GPU work in error scopes so validation errors and device loss are attributed to `what`. */
  guard<T>(what: string, fn: () => Promise<T>): Promise<T>;
  /** Sub-step progress within the current unit (e.g. "tuning linear ..."). */
  report(label: string): void;
  /** Resolves the config's model file references (GGUF) to their bytes. */
  readonly files: ModelFiles;
}

/**
 * Runs one unit (its position in the phase is `index`). Failures of the unit are recorded in `out` by
 * the phase; a CancelledError stops the phase as cancelled; any other throw ends it as errored.
 */
export type UnitRunner<U extends PhaseUnit> = (unit: U, index: number) => Promise<void>;

export interface PhaseDef<U extends PhaseUnit = PhaseUnit> {
  id: string;
  title: string;
  /** The phase records token workloads and checks (its result always carries both lists). */
  records?: 'workloads';
  /** The units this run's configuration asks for, in order. */
  units(config: RunConfig, spec: SuiteSpec): U[];
  /** Opens the phase (state shared across its units lives in the closure) and records into `out`. */
  open(ctx: PhaseContext, out: PhaseOutput): UnitRunner<U>;
}

/** A phase definition whose unit type is not needed by its caller (the runner's list). */
export type AnyPhase = PhaseDef<PhaseUnit>;

/** Erases a phase's unit type for the list of phases (each phase only ever sees its own units). */
export function phase<U extends PhaseUnit>(def: PhaseDef<U>): AnyPhase {
  return def as unknown as AnyPhase;
}

/** The measurement seed of a unit: reproducible operands per phase and unit position. */
export function unitSeed(phaseIndex: number, unitIndex: number): number {
  return 0x1234 + 977 * (phaseIndex * 64 + unitIndex);
}
