/**
 * The generation phase: token workloads of real architectures. Before any timing, every kernel runs its
 * self-check and a tiny architecture runs a full prefill + decode against the float64 CPU reference in
 * each weight format; a workload whose kernels or format failed is reported invalid, never timed.
 */
import { CancelledError, errorMessage } from '../../../gpu/errors';
import type { ModelFormat } from '../../../model/formats/mix';
import { PRESETS } from '../../../model/presets';
import type { Arch } from '../../../model/types';
import type { Phase, Verification } from '../../../schema/result';
import { resolveModel } from '../../models';
import type { PhaseContext, PhaseDef, PhaseOutput } from '../../phase';
import { CHECK_ARCH, checkForward, runKernelChecks } from './checks';
import { type Ceilings, type GenEnv, kvTypeOf } from './env';
import { runGgufWorkload } from './gguf';
import { runWorkload } from './workload';

export { FORWARD_LOGIT_TOLERANCE, checkForward, runKernelChecks } from './checks';
export { type Ceilings, type GenEnv, kvTypeOf } from './env';
export { promptTokens } from './tokens';
export { runWorkload } from './workload';


/** A unit of the generation phase (one progress step each). */
export type GenUnit =
  | { kind: 'kernel-checks'; label: string }
  | { kind: 'forward-check'; label: string; format: ModelFormat }
  | { kind: 'workload'; label: string; model: string | Arch; format: ModelFormat }
  /** A model file: its own tensor types, whatever `formats` says. */
  | { kind: 'gguf'; label: string; ref: string };

/** Read bandwidth and f32 FMA peak from the roofline phase, when it produced valid figures. */
export function ceilingsFrom(phases: readonly Phase[]): Ceilings {
  const ok = phases.flatMap((p) => p.measurements).flatMap((m) => (m.state === 'ok' ? [m] : []));
  const find = (id: string) => ok.find((m) => m.id === id)?.metric.median ?? null;
  const matrix = ok.filter((m) => m.id.startsWith('matmul-f16-sgmat-')).map((m) => m.metric.median);
  return { readGBs: find('read-bandwidth'), fmaGflops: find('fma-f32'), matrixGflops: matrix.length ? Math.max(...matrix) : null };
}

function genEnv(ctx: PhaseContext): GenEnv {
  const { config } = ctx;
  return {
    device: ctx.gpu.device,
    timer: ctx.timer.info,
    gen: config.generation,
    maxSubmitMs: config.maxSubmitMs,
    timeoutMs: config.gpuTimeoutMs,
    signal: ctx.signal,
    ceilings: ceilingsFrom(ctx.earlier),
    onStep: ctx.report,
    tuner: ctx.tuner,
    kernelTimer: ctx.timer,
    stream: ctx.spec.stream,
  };
}

/** What the checks decided so far: why the workloads of a format may not be timed. */
class Gate {
  kernels: string | null = null;
  readonly format = new Map<ModelFormat, { verification?: Verification; invalid?: string }>();

  invalid(format: ModelFormat): string | null {
    const f = this.format.get(format);
    return this.kernels ?? f?.invalid ?? (f?.verification ? null : `no full-forward check ran for ${format}`);
  }
}

/** The full-forward check of a format on the check architecture, recorded in the phase and the gate. */
async function forwardCheck(ctx: PhaseContext, out: PhaseOutput, gate: Gate, format: ModelFormat): Promise<void> {
  const kvType = kvTypeOf(ctx.config.generation);
  const v = await ctx.guard(`forward-check.${format}`, () => checkForward(ctx.gpu.device, PRESETS[CHECK_ARCH] as Arch, format, ctx.config.gpuTimeoutMs, { kvType }));
  out.checks.push({ id: `forward-${format}`, verification: v });
  gate.format.set(format, { verification: v, ...(v.state === 'failed' ? { invalid: `full-forward check failed in ${format}: ${v.detail ?? `error ${v.error}`}` } : {}) });
}

/**
 * Whether a model file in `format` may be timed: the kernel self-checks passed and the full-forward check
 * of the format passed (run here, once, when the config's formats did not include it).
 */
async function formatGate(ctx: PhaseContext, out: PhaseOutput, gate: Gate, format: ModelFormat): Promise<{ invalid: string | null; verification?: Verification }> {
  if (!gate.format.has(format)) await forwardCheck(ctx, out, gate, format);
  const verification = gate.format.get(format)?.verification;
  return { invalid: gate.invalid(format), ...(verification ? { verification } : {}) };
}

async function runUnit(ctx: PhaseContext, out: PhaseOutput, gate: Gate, unit: GenUnit): Promise<void> {
  const timeoutMs = ctx.config.gpuTimeoutMs;
  const device = ctx.gpu.device;
  if (unit.kind === 'kernel-checks') {
    const cs = await ctx.guard('kernel-checks', () => runKernelChecks(device, timeoutMs, kvTypeOf(ctx.config.generation)));
    out.checks.push(...cs);
    const bad = cs.filter((c) => c.verification.state === 'failed');
    if (bad.length) gate.kernels = `kernel self-check failed: ${bad.map((b) => `${b.id} (${b.verification.method})`).join('; ')}`;
  } else if (unit.kind === 'forward-check') {
    await forwardCheck(ctx, out, gate, unit.format);
  } else if (unit.kind === 'gguf') {
    const w = await runGgufWorkload(genEnv(ctx), ctx.files, unit.ref, (format) => formatGate(ctx, out, gate, format));
    out.workloads.push(w);
    if (w.state === 'errored') ctx.gpu.errors.add('phase', `${w.id}: ${w.reason ?? 'errored'}`);
  } else {
    const resolved = resolveModel(unit.model);
    if (!resolved.ok) {
      ctx.gpu.errors.add('phase', `${unit.label}: ${resolved.error}`);
      return;
    }
    const w = await runWorkload(genEnv(ctx), typeof unit.model === 'string' ? unit.model : 'custom', resolved.arch, unit.format, gate.invalid(unit.format));
    const v = gate.format.get(unit.format)?.verification;
    // A workload that checked its own tuned variants carries that check; otherwise its format's.
    out.workloads.push(!w.verification && v ? { ...w, verification: v } : w);
    if (w.state === 'errored') ctx.gpu.errors.add('phase', `${w.id}: ${w.reason ?? 'errored'}`);
  }
}

export const generationPhase: PhaseDef<GenUnit> = {
  id: 'generation',
  title: 'Token generation',
  records: 'workloads',
  units: (config) => {
    const g = config.generation;
    return [
      { kind: 'kernel-checks', label: 'transformer kernel self-checks' },
      ...g.formats.map((format): GenUnit => ({ kind: 'forward-check', label: `full-forward check (${CHECK_ARCH}, ${format})`, format })),
      ...g.models.flatMap((model): GenUnit[] =>
        typeof model === 'object' && 'gguf' in model
          ? [{ kind: 'gguf', label: `${model.gguf} (GGUF)`, ref: model.gguf }]
          : g.formats.map((format): GenUnit => ({ kind: 'workload', label: `${typeof model === 'string' ? model : model.name} ${format}`, model, format })),
      ),
    ];
  },
  open(ctx, out) {
    const gate = new Gate();
    return async (unit) => {
      try {
        await runUnit(ctx, out, gate, unit);
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        const msg = errorMessage(e);
        ctx.gpu.errors.add('phase', `${unit.label}: ${msg}`);
        if (unit.kind === 'kernel-checks') gate.kernels = `kernel self-checks could not run: ${msg}`;
        if (unit.kind === 'forward-check') gate.format.set(unit.format, { invalid: `full-forward check could not run: ${msg}` });
      }
    };
  },
};
