/**
 * The merged comparison of a fleet run: every headline metric (src/result/figures.ts) of every endpoint,
 * as the report file, plain text and Markdown (GitHub step summary). Pure.
 */
import type { compareResults } from '../src/result/compare';
import { type Headline, headlineMetrics, headlineValue } from '../src/result/figures';
import { adapterLabel, fmtOptional as fmt, mdTable, metricLabel, statusLine } from '../src/result/formats';
import { resultOk } from '../src/result/verdict';
import type { BenchResult } from '../src/schema/result';

export const FLEET_SCHEMA_ID = 'tokenbench/fleet';
export const FLEET_SCHEMA_VERSION = 1;

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
    mdTable(['endpoint', 'driver', 'outcome'], entries.map((e) => [e.label, e.driver, entryState(e)])),
    '',
    ...(rows.length ? [mdTable(['metric', ...entries.map((e) => e.label)], body, new Set(entries.map((_, i) => i + 1)))] : ['No headline figures from any endpoint.']),
    '',
  ].join('\n');
}

/** The merged report written for several endpoints (`--out`). */
export interface FleetReport {
  schema: typeof FLEET_SCHEMA_ID;
  schemaVersion: typeof FLEET_SCHEMA_VERSION;
  startedAt: string;
  finishedAt: string;
  suite: BenchResult['config']['suite'];
  endpoints: Array<{
    label: string;
    endpoint: string;
    driver: FleetEntry['driver'];
    ok: boolean;
    status: BenchResult['status'] | null;
    adapter: string | null;
    error: string | null;
    file: string | null;
    baseline: { ok: boolean; regressions: string[] } | null;
  }>;
  /** Every headline metric of every endpoint (null: not measured there). */
  metrics: FleetRow[];
  /** Token tests of every result and each result's diff against the first (src/result/compare.ts). */
  comparison: ReturnType<typeof compareResults>;
}
