/**
 * What every driver (Playwright, WebDriver, Node/Dawn) shares: the request it carries, how it reports
 * progress and takes a cancel, what it hands back, and how that result is checked before it is kept.
 */
import type { RunRequest } from '../../src/run/request';
import type { Progress } from '../../src/run/runner';
import { type BenchResult, type Environment, parseResult } from '../../src/schema/result';
import type { CliOptions } from '../args';
import type { ModelFile } from '../model-files';
import { type Ending, finishResult } from '../ending';
import { addCommandLinePeers } from '../peers/peers';
import { NOT_CONFIRMED_EXIT, RunNotConfirmed, isInteractive, softwareAdmission } from '../software-run';
import { handleInterrupt, progressReporter } from '../terminal';
import { withTuneCache } from '../tune-cache';

export interface DriveContext {
  /** What to run: the same request for every transport. */
  request: RunRequest;
  /** The model files the request names (`{ gguf: name }`), with their paths here: the driver hands them over. */
  modelFiles: readonly ModelFile[];
  /** Give up after this long. */
  timeoutMs: number;
  progress: (p: Progress) => void;
  log: (line: string) => void;
  /** The driver registers how to cancel its run (Ctrl-C); the run then resolves with what finished. */
  onCancel: (cancel: () => Promise<void>) => void;
  /**
   * Called with the adapter once the runtime has described it, before the run starts and before model files
   * are handed over (bench/software-run.ts): rejects with RunNotConfirmed to stop. Absent: no check, and the
   * driver need not describe the adapter.
   */
  admit?: (environment: Environment) => Promise<void>;
}

export interface DriveOutcome {
  /** The result as it crossed the transport (validated by checkOutcome). */
  raw: unknown;
  /** Browser flags the run used, when known (recorded in `runtime.flags`). */
  flags: string[] | null;
}

/** The outcome as a schema-valid result, with the flags and endpoint recorded in its runtime. */
export function checkOutcome(o: DriveOutcome, endpoint?: string): { ok: true; result: BenchResult } | { ok: false; error: string } {
  const raw = o.raw as BenchResult;
  const runtime = { ...raw?.runtime, ...(o.flags ? { flags: o.flags } : {}), ...(endpoint ? { endpoint } : {}) };
  const checked = parseResult({ ...raw, runtime });
  return checked.ok ? checked : { ok: false, error: `the run produced a result that fails the schema: ${checked.error}` };
}

/** A promise that rejects after `ms` with the --timeout message (for Promise.race); `clear` stops it. */
export function deadline(ms: number): { expired: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no result within ${Math.round(ms / 1000)} s (--timeout)`)), ms);
  });
  expired.catch(() => undefined); // raced; never an unhandled rejection after the race settles
  return { expired, clear: () => clearTimeout(timer) };
}

/** Cancels of the runs under way, for Ctrl-C: a run registered after the request is cancelled at once. */
export function cancellations(): { register: (cancel: () => Promise<void>) => void; cancelAll: () => void } {
  const cancels: Array<() => Promise<void>> = [];
  let requested = false;
  const run = (c: () => Promise<void>) => void c().catch(() => undefined);
  return {
    register: (c) => {
      cancels.push(c);
      if (requested) run(c);
    },
    cancelAll: () => {
      requested = true;
      cancels.forEach(run);
    },
  };
}

/** How a driver log line shows the request (the tuning cache by its size, not its entries). */
export function describeRequest(r: RunRequest): string {
  const cache = r.tune.cache ? `${Object.keys(r.tune.cache).length} cached choice(s)` : 'none';
  return JSON.stringify({ ...r, tune: { ...r.tune, cache } });
}

/**
 * A run of one driver from the command line (the local browser, the Node runner): the progress line,
 * Ctrl-C, the software-adapter check, the tuning cache into the request, the schema check, then the common
 * ending. Exit code as finishResult, 1 when the run itself failed, 2 when it was not confirmed.
 */
export async function driveOne(o: CliOptions, ending: Ending, drive: (ctx: DriveContext) => Promise<DriveOutcome>): Promise<number> {
  const progress = progressReporter(o.quiet);
  const cancels = cancellations();
  const stopHandling = handleInterrupt(cancels.cancelAll);
  const log = (line: string) => process.stderr.write(`tokenbench: ${line}\n`);
  const admit = softwareAdmission({ suite: o.request.suite, yes: o.yes, interactive: isInteractive(), log });
  try {
    const outcome = await drive({
      request: withTuneCache(o.request, ending.tuneCache),
      modelFiles: o.modelFiles,
      timeoutMs: o.timeoutS * 1000,
      progress: (p) => progress.update(p),
      log,
      onCancel: cancels.register,
      ...(admit ? { admit } : {}),
    }).finally(() => progress.done());
    const checked = checkOutcome(outcome);
    if (!checked.ok) {
      process.stderr.write(`tokenbench: ${checked.error}\n`);
      return 1;
    }
    // Peers that run from the command line (native llama.cpp), after tokenbench's own run.
    const result = await addCommandLinePeers(checked.result, o.modelFiles, { kind: o.runtime === 'node' ? 'node' : 'browser' }, log);
    const again = checkOutcome({ raw: result, flags: null });
    if (!again.ok) {
      process.stderr.write(`tokenbench: ${again.error}\n`);
      return 1;
    }
    progress.finished(again.result);
    return finishResult(again.result, ending);
  } catch (e) {
    if (e instanceof RunNotConfirmed) {
      process.stderr.write(`tokenbench: ${e.message}\n`);
      return NOT_CONFIRMED_EXIT;
    }
    process.stderr.write(`tokenbench: run failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    stopHandling();
  }
}
