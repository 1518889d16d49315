/**
 * How every run ends, whichever front-end ran it (the local browser, a fleet, the Node runner): tuning
 * choices kept in the cache file, the result written atomically and printed, the extra `--format` files,
 * the `--baseline` gate, GitHub's step summary and, once the file is written, `--submit` to a results
 * board. What can fail before a run (an unknown format, an unreadable baseline) is checked by prepareEnding
 * first. No npm imports: the Node runner's bundle uses it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compareResults } from '../src/result/compare';
import { adapterLabel, formats, resultFileName, resultMarkdown } from '../src/result/formats';
import { type GateReport, type Unjudged, describeResult, gate, gateMarkdown, gateText } from '../src/result/gate';
import { resultOk } from '../src/result/verdict';
import { cacheUpdates, mergeTuneCache } from '../src/run/tune/tuner';
import { type BenchResult, type Tuning, parseResultText } from '../src/schema/result';
import type { CliOptions } from './args';
import { FLEET_SCHEMA_ID, FLEET_SCHEMA_VERSION, type FleetEntry, type FleetReport, fleetMarkdown, fleetRows, fleetText } from './fleet-report';
import { SUBMIT_TOKEN_ENV, type SubmitTarget, outcomeLine, submitText } from '../src/result/submit';
import { defaultTuneCachePath, readTuneCacheFile } from './tune-cache';

export interface LoadedBaseline {
  path: string;
  result: BenchResult;
  /** How reports name it. */
  label: string;
}

/** What the end of a run needs, checked before the run starts. */
export interface Ending {
  /** Result file (several endpoints: the merged report); null: named after the result. */
  out: string | null;
  outputFormats: readonly string[];
  baseline: LoadedBaseline | null;
  maxRegression: number;
  alpha: number;
  allow: readonly Unjudged[];
  /** Tuning cache file that receives the new choices; null when tuning is off. */
  tuneCache: string | null;
  /** Results board each written result is sent to; null: none. */
  submit: SubmitTarget | null;
}

/**
 * Exit code of a run whose result was fine and written but could not be submitted (--submit): apart from 1
 * (the run or its checks failed, which wins when both happen), so CI can tell a board outage from a bad run.
 */
export const SUBMIT_FAILED_EXIT = 3;

/** Output formats `--format` accepts: every entry of `formats` except json (the result itself). */
export function extraFormatNames(): string[] {
  return Object.keys(formats).filter((f) => f !== 'json');
}

/** File suffix of each extra format, beside the result: r.json → r.csv, r.github-bigger.json, ... */
export function formatSuffix(name: string): string {
  if (name === 'text') return '.txt';
  if (name === 'csv' || name === 'md') return `.${name}`;
  if (name.startsWith('github-')) return `.${name}.json`;
  return `.${name}.txt`;
}

/** `r.json` → `r`; other names are kept whole. */
export function outStem(path: string): string {
  return path.replace(/\.json$/i, '');
}

/** Reads and validates a baseline result file. */
export function loadBaseline(path: string): { ok: true; baseline: LoadedBaseline } | { ok: false; error: string } {
  const full = resolve(path);
  if (!existsSync(full)) return { ok: false, error: `--baseline ${path}: no such file` };
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    return { ok: false, error: `--baseline ${path}: ${(e as Error).message}` };
  }
  const parsed = parseResultText(text);
  if (!parsed.ok) return { ok: false, error: `--baseline ${path}: ${parsed.error}` };
  return { ok: true, baseline: { path: full, result: parsed.result, label: describeResult(parsed.result, path) } };
}

type EndingChoices = Pick<CliOptions, 'out' | 'outputFormats' | 'baseline' | 'maxRegression' | 'alpha' | 'allow' | 'tuneCache'> &
  Partial<Pick<CliOptions, 'submit' | 'submitToken'>> & {
  request: Pick<CliOptions['request'], 'tune'>;
};

/** Checks, before anything runs, what the end will need: the format names and the baseline file. */
export function prepareEnding(o: EndingChoices, env: NodeJS.ProcessEnv = process.env): { ok: true; ending: Ending } | { ok: false; error: string } {
  const known = extraFormatNames();
  const bad = o.outputFormats.find((f) => !known.includes(f));
  if (bad !== undefined) return { ok: false, error: `--format: unknown format "${bad}" (known: ${known.join(', ')})` };
  const b = o.baseline ? loadBaseline(o.baseline) : null;
  if (b && !b.ok) return b;
  const tuneCache = o.request.tune.enabled ? (o.tuneCache ?? defaultTuneCachePath()) : null;
  const submit = o.submit ? { url: o.submit, token: o.submitToken ?? (env[SUBMIT_TOKEN_ENV] || null) } : null;
  return { ok: true, ending: { out: o.out, outputFormats: o.outputFormats, baseline: b?.baseline ?? null, maxRegression: o.maxRegression, alpha: o.alpha, allow: o.allow, tuneCache, submit } };
}

/** Writes via a temporary file and rename, so a crash never leaves a half-written file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Merges the result's newly measured choices into the file (atomically); returns how many were added. */
export function mergeTuneCacheFile(path: string, tuning: Tuning | undefined): number {
  const updates = cacheUpdates(tuning);
  const n = Object.keys(updates).length;
  if (!n) return 0;
  const merged = mergeTuneCache(readTuneCacheFile(path).cache, updates);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(merged, null, 1)}\n`);
  return n;
}

/** Merges a result's new tuning choices into the cache file; a failure to write is a warning, not a failed run. */
export function keepTuning(path: string, result: BenchResult): void {
  try {
    const n = mergeTuneCacheFile(path, result.tuning);
    if (n) process.stderr.write(`tokenbench: ${n} tuning choice(s) kept in ${path}\n`);
  } catch (e) {
    process.stderr.write(`tokenbench: could not write the tuning cache ${path}: ${(e as Error).message}\n`);
  }
}

/** Appends Markdown to GitHub's step summary when $GITHUB_STEP_SUMMARY is set; returns whether it did. */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = env['GITHUB_STEP_SUMMARY'];
  if (!path) return false;
  try {
    appendFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
    return true;
  } catch (e) {
    process.stderr.write(`tokenbench: could not append to GITHUB_STEP_SUMMARY (${path}): ${(e as Error).message}\n`);
    return false;
  }
}

interface EndedResult {
  /** Verified, and passed the gate when there is one. */
  ok: boolean;
  gate: GateReport | null;
  /** The gate as Markdown for the step summary (the caller appends it). */
  gateMarkdown: string | null;
}

/**
 * One result's end: its tuning choices kept, the result written to `file` and printed, its --format files
 * beside it, the baseline gate printed. `title` names the run among several (fleet: the endpoint).
 */
function endResult(result: BenchResult, file: string, e: Ending, title?: string): EndedResult {
  const who = title ? `${title}: ` : '';
  if (e.tuneCache) keepTuning(e.tuneCache, result);
  writeFileAtomic(file, formats.json(result));
  process.stdout.write(`${title ? `\n== ${title} ==\n` : ''}${formats.text(result)}\nresult written to ${file}\n`);
  const verified = resultOk(result);
  if (!verified) process.stderr.write(`tokenbench: ${who}the run did not complete with every figure verified${title ? '' : ' (exit 1)'}\n`);
  for (const name of e.outputFormats) {
    const fn = (formats as Record<string, (r: BenchResult) => string>)[name];
    if (!fn) continue;
    const path = `${outStem(file)}${formatSuffix(name)}`;
    writeFileAtomic(path, fn(result));
    process.stdout.write(`${name} written to ${path}\n`);
  }
  if (!e.baseline) return { ok: verified, gate: null, gateMarkdown: null };
  const report = gate(e.baseline.result, result, { maxRegression: e.maxRegression, alpha: e.alpha, allow: e.allow });
  process.stdout.write(`\n${who}${gateText(report, e.baseline.label)}`);
  if (!report.ok) process.stderr.write(`tokenbench: ${who}a metric regressed beyond the threshold (exit 1)\n`);
  return { ok: verified && report.ok, gate: report, gateMarkdown: gateMarkdown(report, e.baseline.label) };
}

/**
 * Sends a written result file to the board, its bytes as written; reports the outcome on stderr. Returns
 * whether it is on the board. The file stays whatever happens.
 */
export async function submitFile(file: string, target: SubmitTarget, title?: string): Promise<boolean> {
  const who = title ? `${title}: ` : '';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`tokenbench: ${who}--submit: cannot read ${file}: ${(e as Error).message}\n`);
    return false;
  }
  const outcome = await submitText(text, target);
  if (outcome.ok) process.stderr.write(`tokenbench: ${who}${outcomeLine(outcome)}\n`);
  else process.stderr.write(`tokenbench: ${who}--submit failed: ${outcome.error}; the result stays in ${file}\n`);
  return outcome.ok;
}

/**
 * The end of a run with one result. Exit code: 0 when it is verified and passed the gate (and reached the
 * board with --submit), 1 when it is not verified or failed the gate, SUBMIT_FAILED_EXIT when only the
 * submission failed.
 */
export async function finishResult(result: BenchResult, e: Ending): Promise<number> {
  const file = resolve(e.out ?? resultFileName(result));
  const ended = endResult(result, file, e);
  appendStepSummary(resultMarkdown(result) + (ended.gateMarkdown ? `\n${ended.gateMarkdown}` : ''));
  const submitted = e.submit ? await submitFile(file, e.submit) : true;
  return !ended.ok ? 1 : submitted ? 0 : SUBMIT_FAILED_EXIT;
}

/**
 * The end of a fleet run: one endpoint ends like a single run; several write `<out>.<n>.json` each and a
 * merged report (`--out`) with every headline metric of every endpoint. Exit code 0 when every endpoint
 * produced a verified result that passed its checks.
 */
export async function finishFleet(entries: FleetEntry[], e: Ending, suite: BenchResult['config']['suite'], startedAt: string): Promise<number> {
  if (entries.length === 1) {
    const only = entries[0] as FleetEntry;
    if (only.result) return finishResult(only.result, e);
    process.stderr.write(`tokenbench: ${only.label}: no result: ${only.error}\n`);
    appendStepSummary(fleetMarkdown(entries));
    return 1;
  }
  const out = resolve(e.out ?? `tokenbench-fleet-${startedAt.replace(/[:]/g, '').replace(/\..*$/, '')}.json`);
  const ended = entries.map((entry, i) => {
    if (!entry.result) return null;
    entry.file = `${outStem(out)}.${i + 1}.json`;
    return endResult(entry.result, entry.file, e, entry.label);
  });
  const withResults = entries.filter((x): x is FleetEntry & { result: BenchResult } => x.result !== null);
  const report: FleetReport = {
    schema: FLEET_SCHEMA_ID,
    schemaVersion: FLEET_SCHEMA_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    suite,
    endpoints: entries.map((x, i) => ({
      label: x.label,
      endpoint: x.endpoint,
      driver: x.driver,
      ok: ended[i]?.ok ?? false,
      status: x.result?.status ?? null,
      adapter: x.result ? adapterLabel(x.result) : null,
      error: x.error,
      file: x.file,
      baseline: ended[i]?.gate ? { ok: (ended[i]?.gate as GateReport).ok, regressions: (ended[i]?.gate as GateReport).regressions.map((r) => r.id) } : null,
    })),
    metrics: fleetRows(entries),
    comparison: compareResults(withResults.map((x) => ({ label: x.label, result: x.result }))),
  };
  writeFileAtomic(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`\n${fleetText(entries)}\nfleet report written to ${out}\n`);
  const gates = entries.map((x, i) => (ended[i]?.gateMarkdown ? `\n#### ${x.label}\n\n${ended[i]?.gateMarkdown}` : '')).join('');
  appendStepSummary(fleetMarkdown(entries) + gates);
  const ok = report.endpoints.every((x) => x.ok);
  if (!ok) process.stderr.write('tokenbench: not every endpoint produced a verified result that passed its checks (exit 1)\n');
  // Every endpoint's result, one after the other (a board's rate limit counts per client).
  let submitted = true;
  for (const entry of entries) {
    if (e.submit && entry.file) submitted = (await submitFile(entry.file, e.submit, entry.label)) && submitted;
  }
  return !ok ? 1 : submitted ? 0 : SUBMIT_FAILED_EXIT;
}
