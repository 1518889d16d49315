/**
 * What the browser CLI and the Node runner print while a run goes on, and how both treat Ctrl-C. No
 * browser dependency: the Node runner's bundle imports it too.
 */
import { fmtDuration } from '../src/result/formats';
import type { BenchResult } from '../src/schema/result';
import { parseLoadingLabel } from '../src/run/files';
import type { Progress } from '../src/run/runner';

/**
 * Whether a log (not a terminal, which rewrites one line) gets a line for `step` after `last`: every new
 * step, but a model file's loading steps only at each tenth of the file and at its end (the phase reports
 * every percent, for the page's bar).
 */
export function logsStep(step: string, last: string): boolean {
  if (step === last) return false;
  const now = parseLoadingLabel(step);
  const before = parseLoadingLabel(last);
  if (!now || !before || now.name !== before.name) return true;
  const tenth = (l: { loaded: number; total: number }) => (l.total ? Math.floor((10 * l.loaded) / l.total) : 10);
  return tenth(now) !== tenth(before) || now.loaded === now.total;
}

/** A progress line on stderr (rewritten in place on a terminal, one line per step otherwise). */
export function progressReporter(quiet: boolean) {
  const tty = process.stderr.isTTY;
  let lastStep = '';
  let lastFraction: number | undefined;
  return {
    update(p: Progress) {
      lastFraction = p.fraction;
      if (quiet) return;
      const eta = p.etaMs === null ? '' : ` · ~${fmtDuration(p.etaMs)} left`;
      const line = `[${String(Math.round(p.fraction * 100)).padStart(3)}%] ${p.phaseTitle} · ${p.step}${eta}`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (logsStep(p.step, lastStep)) process.stderr.write(`${line}\n`);
      else return; // a skipped loading step: the next one is compared with the last line written
      lastStep = p.step;
    },
    /** Clears the progress line (a terminal rewrites it in place). */
    done() {
      if (!quiet && tty) process.stderr.write('\r\x1b[2K');
    },
    /** Progress events may trail the result (separate channel), so the final line comes from the result. */
    finished(result: BenchResult) {
      if (quiet) return;
      const pct = result.status === 'completed' ? 100 : Math.round((lastFraction ?? 0) * 100);
      const took = fmtDuration(Date.parse(result.finishedAt) - Date.parse(result.startedAt));
      process.stderr.write(`[${String(pct).padStart(3)}%] ${result.status} in ${took}\n`);
    },
  };
}

/** A progress printer for one of several runs (fleet): one line per step, prefixed with its label. */
export function labelledProgress(label: string, quiet: boolean): (p: Progress) => void {
  let last = '';
  return (p) => {
    if (quiet || !logsStep(p.step, last)) return;
    last = p.step;
    const eta = p.etaMs === null ? '' : ` · ~${fmtDuration(p.etaMs)} left`;
    process.stderr.write(`[${label} ${String(Math.round(p.fraction * 100)).padStart(3)}%] ${p.phaseTitle} · ${p.step}${eta}\n`);
  };
}

/**
 * Ctrl-C is ours: the first cancels the run (`cancel`), so the phases that finished are still written; a
 * second exits at once without a result. Returns the function that removes the handler.
 */
export function handleInterrupt(cancel: () => void, what = 'cancelling'): () => void {
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) {
      process.stderr.write('\ntokenbench: interrupted twice, exiting without a result\n');
      process.exit(130);
    }
    process.stderr.write(`\ntokenbench: ${what}; completed phases will be written (Ctrl-C again to abort)\n`);
    cancel();
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}
