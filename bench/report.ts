/**
 * What every run mode does with a finished result: write it (atomically), print the summary table, write
 * the extra `--format` files, apply the `--baseline` gate and append to GitHub's step summary. Shared by
 * the local browser run (bench/cli.ts), fleet runs (bench/fleet.ts) and the Node runner
 * (bench/node-runner.ts, bundled: no npm imports here).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formats, resultFileName } from '../src/result/formats';
import { type BenchResult, parseResultText } from '../src/schema/result';
import { resultOk } from '../src/result/verdict';
import type { CliOptions } from './args';
import { type GateReport, describeResult, gate, gateMarkdown, gateText } from '../src/result/gate';
import { appendStepSummary, resultMarkdown } from './summary';

export interface LoadedBaseline {
  path: string;
  result: BenchResult;
  /** How reports name it. */
  label: string;
}

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

/** Checks, before anything runs, what the post-run steps will need: the baseline file and format names. */
export function prepareReport(o: Pick<CliOptions, 'baseline' | 'outputFormats'>): { ok: true; baseline: LoadedBaseline | null } | { ok: false; error: string } {
  const known = extraFormatNames();
  const bad = o.outputFormats.find((f) => !known.includes(f));
  if (bad !== undefined) return { ok: false, error: `--format: unknown format "${bad}" (known: ${known.join(', ')})` };
  if (!o.baseline) return { ok: true, baseline: null };
  const b = loadBaseline(o.baseline);
  return b.ok ? { ok: true, baseline: b.baseline } : b;
}

/** Writes via a temporary file and rename, so a crash never leaves a half-written file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export interface ExtrasOutcome {
  /** Paths of the --format files written. */
  files: string[];
  gate: GateReport | null;
  /** The gate as Markdown for the step summary (the caller decides when to append it). */
  gateMarkdown: string | null;
}

/**
 * The steps after the result file is written: --format files and the baseline gate (printed, and as
 * Markdown for the step summary). `title` names the run (fleet: the endpoint).
 */
export function resultExtras(
  result: BenchResult,
  out: string,
  o: Pick<CliOptions, 'outputFormats' | 'maxRegression' | 'alpha'>,
  baseline: LoadedBaseline | null,
  title?: string,
): ExtrasOutcome {
  const files: string[] = [];
  for (const name of o.outputFormats) {
    const fn = (formats as Record<string, (r: BenchResult) => string>)[name];
    if (!fn) continue;
    const path = `${outStem(out)}${formatSuffix(name)}`;
    writeFileAtomic(path, fn(result));
    files.push(path);
    process.stdout.write(`${name} written to ${path}\n`);
  }
  let report: GateReport | null = null;
  let markdown: string | null = null;
  if (baseline) {
    report = gate(baseline.result, result, { maxRegression: o.maxRegression, alpha: o.alpha });
    process.stdout.write(`\n${title ? `${title}: ` : ''}${gateText(report, baseline.label)}`);
    if (!report.ok) process.stderr.write(`tokenbench: ${title ? `${title}: ` : ''}a metric regressed beyond the threshold (exit 1)\n`);
    markdown = gateMarkdown(report, baseline.label);
  }
  return { files, gate: report, gateMarkdown: markdown };
}

/**
 * Writes the result, prints it, runs the extras and appends the step summary. Returns the exit code:
 * 0 when the result is ok and passed the gate, else 1.
 */
export function finishResult(
  result: BenchResult,
  o: Pick<CliOptions, 'out' | 'outputFormats' | 'maxRegression' | 'alpha'>,
  baseline: LoadedBaseline | null,
): number {
  const out = resolve(o.out ?? resultFileName(result));
  writeFileAtomic(out, formats.json(result));
  process.stdout.write(formats.text(result));
  process.stdout.write(`\nresult written to ${out}\n`);
  const ok = resultOk(result);
  if (!ok) process.stderr.write('tokenbench: the run did not complete with every figure verified (exit 1)\n');
  const extras = resultExtras(result, out, o, baseline);
  appendStepSummary(resultMarkdown(result) + (extras.gateMarkdown ? `\n${extras.gateMarkdown}` : ''));
  return ok && (extras.gate?.ok ?? true) ? 0 : 1;
}
