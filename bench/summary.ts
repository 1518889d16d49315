/**
 * Summaries for CI: a result's headline metrics as Markdown, the merged comparison of a fleet run as
 * text and Markdown, and appending to GitHub's step summary ($GITHUB_STEP_SUMMARY).
 */
import { appendFileSync } from 'node:fs';
import { adapterLabel } from '../src/result/formats';
import type { BenchResult } from '../src/schema/result';
import { resultOk } from '../src/result/verdict';
import { type Headline, headlineMetrics, headlineValue } from '../src/result/gate';

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(header: string[], body: string[][], numeric: (i: number) => boolean): string[] {
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `|${header.map((_, i) => (numeric(i) ? ' ---: ' : ' --- ')).join('|')}|`,
    ...body.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ];
}

/** One line naming the run's outcome. */
export function statusLine(r: BenchResult): string {
  const v = r.verification;
  return `${r.status}${resultOk(r) ? ', every figure verified' : ', NOT every figure is valid'} · verification ${v.state} (${v.passed} passed, ${v.failed} failed)` +
    (r.errors.length ? ` · ${r.errors.length} error(s)` : '');
}

/** Markdown summary of one result: outcome, device, headline metrics. */
export function resultMarkdown(r: BenchResult, title = `tokenbench ${r.config.suite}`): string {
  const rows = headlineMetrics(r).map((h) => {
    const v = headlineValue(h);
    return [metricLabel(h), `${fmt(v?.value)} ${h.unit}`, `${h.samples[v?.source ?? 'wall-clock']?.length ?? 0}`, v?.source === 'gpu-timestamp' ? 'GPU ts' : 'wall'];
  });
  const runtime = r.runtime;
  return [
    `### ${mdCell(title)}`,
    '',
    `- **status:** ${statusLine(r)}`,
    `- **adapter:** ${mdCell(adapterLabel(r))}`,
    `- **runtime:** ${runtime.kind}${runtime.userAgent ? ` · ${mdCell(runtime.userAgent)}` : ''}${runtime.node ? ` · Node ${runtime.node}` : ''}${runtime.dawn ? ` · ${runtime.dawn}` : ''}${runtime.endpoint ? ` · ${mdCell(runtime.endpoint)}` : ''}`,
    `- **tool:** tokenbench ${r.tool.version} (${r.tool.commit.slice(0, 12)})`,
    ...r.errors.map((e) => `- **error** [${e.source}${e.phase ? ` in ${e.phase}` : ''}]: ${mdCell(e.message)}`),
    '',
    ...(rows.length ? mdTable(['metric', 'median', 'samples', 'timer'], rows, (i) => i === 1 || i === 2) : ['No headline figures.']),
    '',
  ].join('\n');
}

/** A metric's name with its unit, unless the name already ends with it (`tiny-q4_0 tg128 tok/s`). */
export function metricLabel(h: { id: string; unit: string }): string {
  return h.id.endsWith(h.unit) ? h.id : `${h.id} (${h.unit})`;
}

/** One machine of a fleet run: its result, or why there is none. */
export interface FleetEntry {
  /** Short name used as a column header: `#1 ws://host:3000`. */
  label: string;
  endpoint: string;
  driver: 'playwright' | 'webdriver';
  result: BenchResult | null;
  /** Why the endpoint produced no result (connection refused, disconnected, timed out, ...). */
  error: string | null;
  /** Result file, when one was written. */
  file: string | null;
}

export interface FleetRow {
  id: string;
  unit: Headline['unit'];
  better: Headline['better'];
  /** One value per entry (null: not measured there). */
  values: Array<number | null>;
}

/** The merged comparison: every headline metric of every machine, one row per metric. */
export function fleetRows(entries: FleetEntry[]): FleetRow[] {
  const rows = new Map<string, FleetRow>();
  entries.forEach((e, i) => {
    if (!e.result) return;
    for (const h of headlineMetrics(e.result)) {
      let row = rows.get(h.id);
      if (!row) {
        row = { id: h.id, unit: h.unit, better: h.better, values: entries.map(() => null) };
        rows.set(h.id, row);
      }
      row.values[i] = headlineValue(h)?.value ?? null;
    }
  });
  return [...rows.values()];
}

function entryState(e: FleetEntry): string {
  if (!e.result) return `FAILED: ${e.error ?? 'no result'}`;
  return `${statusLine(e.result)} · ${adapterLabel(e.result)}`;
}

/** Index of the best value in a row (null when fewer than two machines measured it). */
function bestIndex(row: FleetRow): number | null {
  let best: number | null = null;
  row.values.forEach((v, i) => {
    if (v === null) return;
    const b = best === null ? null : (row.values[best] as number);
    if (b === null || (row.better === 'higher' ? v > b : v < b)) best = i;
  });
  return row.values.filter((v) => v !== null).length > 1 ? best : null;
}

/** Plain-text merged comparison of a fleet run (CLI). */
export function fleetText(entries: FleetEntry[]): string {
  const rows = fleetRows(entries);
  const header = ['metric', ...entries.map((e) => e.label)];
  const body = rows.map((r) => {
    const best = bestIndex(r);
    return [metricLabel(r), ...r.values.map((v, i) => `${fmt(v)}${i === best ? ' *' : ''}`)];
  });
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((b) => (b[i] ?? '').length))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [
    `fleet: ${entries.length} endpoint(s), ${entries.filter((e) => e.result && resultOk(e.result)).length} ok`,
    ...entries.map((e) => `  ${e.label} [${e.driver}]: ${entryState(e)}${e.file ? ` → ${e.file}` : ''}`),
    '',
    ...(rows.length ? [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), '(* best of the fleet)'] : ['no headline figures from any endpoint']),
  ].join('\n') + '\n';
}

/** Markdown merged comparison of a fleet run (GitHub step summary). */
export function fleetMarkdown(entries: FleetEntry[]): string {
  const rows = fleetRows(entries);
  const body = rows.map((r) => {
    const best = bestIndex(r);
    return [metricLabel(r), ...r.values.map((v, i) => (i === best ? `**${fmt(v)}**` : fmt(v)))];
  });
  return [
    '### tokenbench fleet',
    '',
    ...mdTable(['endpoint', 'driver', 'outcome'], entries.map((e) => [e.label, e.driver, entryState(e)]), () => false),
    '',
    ...(rows.length ? mdTable(['metric', ...entries.map((e) => e.label)], body, (i) => i > 0) : ['No headline figures from any endpoint.']),
    '',
  ].join('\n');
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
