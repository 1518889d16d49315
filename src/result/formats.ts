/** Presentation of results, shared by the page and the CLI. Pure: no DOM, no Node. */
import type { BenchResult, Measurement, Phase, TokenTest, Workload } from './schema';

/** Three significant digits, with thousands separators for large values. */
export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${fmtNumber(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${fmtNumber(ns / 1e3)} µs`;
  return `${fmtNumber(ns)} ns`;
}

/** One display row per measurement. */
export interface Row {
  phase: string;
  test: string;
  /** Headline figure or the reason there is none. */
  value: string;
  /** Spread: p10–p90 of the metric. */
  spread: string;
  cv: string;
  time: string;
  verification: string;
  state: Measurement['state'];
}

export function measurementRow(phase: Pick<Phase, 'title'>, m: Measurement): Row {
  const row: Row = { phase: phase.title, test: m.label, value: '', spread: '', cv: '', time: '', verification: '', state: m.state };
  if ('verification' in m) {
    const v = m.verification;
    row.verification = `${v.state} (err ${v.error < 0 ? 'n/a' : v.error.toExponential(1)} ≤ ${v.threshold.toExponential(0)}, ${v.checked} checked)`;
  }
  switch (m.state) {
    case 'ok':
      row.value = `${fmtNumber(m.metric.median)} ${m.metric.unit}`;
      row.spread = `${fmtNumber(m.metric.p10)}–${fmtNumber(m.metric.p90)}`;
      row.cv = `${(m.timing.perUnitNs.cv * 100).toFixed(1)}%`;
      row.time = `${fmtNs(m.timing.perUnitNs.median)} (${m.timing.source === 'gpu-timestamp' ? 'GPU ts' : 'wall'})`;
      break;
    case 'implausible':
      row.value = `withheld: ${m.reason}`;
      break;
    case 'invalid':
      row.value = `INVALID: ${m.reason}`;
      break;
    case 'errored':
      row.value = `error: ${m.error}`;
      break;
    case 'skipped':
      row.value = `skipped: ${m.reason}`;
      break;
  }
  return row;
}

export function resultRows(result: BenchResult): Row[] {
  return result.phases.flatMap((p) => phaseRows(p));
}

export function phaseRows(p: Phase): Row[] {
  const rows = p.measurements.map((m) => measurementRow(p, m));
  if (p.state === 'errored') rows.push(statusRow(p, `phase errored: ${p.error}`));
  if (p.state === 'skipped') rows.push(statusRow(p, `phase skipped: ${p.reason}`));
  if (p.state === 'cancelled') rows.push(statusRow(p, 'phase cancelled'));
  return rows;
}

function statusRow(p: Phase, text: string): Row {
  const state: Measurement['state'] = p.state === 'errored' ? 'errored' : 'skipped';
  return { phase: p.title, test: '—', value: text, spread: '', cv: '', time: '', verification: '', state };
}

/** One llama-bench-like row per token test (or one row for a workload without figures). */
export interface TokenRow {
  model: string;
  format: string;
  test: string;
  /** Aggregate tok/s: median ± sd over repetitions, from GPU timestamps when available. */
  tokPerSec: string;
  source: string;
  wall: string;
  latency: string;
  bound: string;
  state: Workload['state'];
}

function tokSd(tokens: number, samplesNs: number[]): number {
  const rates = samplesNs.map((ns) => tokens / (ns / 1e9));
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return rates.length > 1 ? Math.sqrt(rates.reduce((a, r) => a + (r - mean) ** 2, 0) / (rates.length - 1)) : 0;
}

export function tokenTestRow(w: Workload, t: TokenTest): TokenRow {
  const total = t.kind === 'prefill' ? t.tokens : t.tokens * t.batch;
  const main = t.gpu ?? t.wall;
  const latency =
    t.kind === 'prefill'
      ? `TTFT ${fmtNumber(t.ttftMs?.gpu ?? t.ttftMs?.wall ?? 0)} ms`
      : `TPOT ${fmtNumber(t.tpotMs?.gpu ?? t.tpotMs?.wall ?? 0)} ms · ITL p50/p90/p99 ${t.itlNs ? [t.itlNs.p50, t.itlNs.p90, t.itlNs.p99].map((v) => fmtNumber(v / 1e6)).join('/') : '?'} ms` +
        (t.batch > 1 ? ` · ${fmtNumber(t.perSequence ?? 0)} tok/s/seq` : '');
  const b = t.bounds;
  const bound =
    b && b.efficiency !== null
      ? `${(b.efficiency * 100).toFixed(1)}% of ${b.bandwidth !== null && (b.compute === null || b.bandwidth <= b.compute) ? 'bandwidth' : 'compute'} bound (${fmtNumber(Math.min(...[b.bandwidth, b.compute].filter((x): x is number => x !== null)))} tok/s)`
      : 'no roofline figure';
  return {
    model: w.arch.name,
    format: w.format,
    test: t.name,
    tokPerSec: `${fmtNumber(main.median)} ± ${fmtNumber(tokSd(total, main.samplesNs))}`,
    source: t.gpu ? 'GPU ts' : 'wall',
    wall: fmtNumber(t.wall.median),
    latency,
    bound,
    state: w.state,
  };
}

export function workloadRows(w: Workload): TokenRow[] {
  if (w.state === 'ok' && w.tests.length) return w.tests.map((t) => tokenTestRow(w, t));
  return [
    {
      model: w.arch.name,
      format: w.format,
      test: '—',
      tokPerSec: `${w.state}${w.reason ? `: ${w.reason}` : ''}`,
      source: '',
      wall: '',
      latency: '',
      bound: '',
      state: w.state,
    },
  ];
}

export function tokenRows(result: BenchResult): TokenRow[] {
  return result.phases.flatMap((p) => (p.workloads ?? []).flatMap(workloadRows));
}

/** Short label of the adapter, with the software warning where it applies. */
export function adapterLabel(result: BenchResult): string {
  const env = result.environment;
  if (!env) return 'no adapter';
  const a = env.adapter;
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unknown adapter';
  return env.software.isSoftware ? `${name} [SOFTWARE ADAPTER: not a hardware result]` : name;
}

/** Plain-text table (CLI). */
export function textTable(result: BenchResult): string {
  const header = ['phase', 'test', 'median', 'p10–p90', 'cv', 'time/unit', 'verification'];
  const body = resultRows(result).map((r) => [r.phase, r.test, r.value, r.spread, r.cv, r.time, r.verification]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((b) => (b[i] ?? '').length))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const tokenHeader = ['model', 'format', 'test', 'tok/s', 'src', 'wall tok/s', 'latency', 'efficiency'];
  const tokenBody = tokenRows(result).map((r) => [r.model, r.format, r.test, r.tokPerSec, r.source, r.wall, r.latency, r.bound]);
  const tokenWidths = tokenHeader.map((h, i) => Math.min(70, Math.max(h.length, ...tokenBody.map((b) => (b[i] ?? '').length))));
  const tline = (cells: string[]) => cells.map((c, i) => c.padEnd(tokenWidths[i] ?? 0)).join('  ').trimEnd();
  const checks = result.phases.flatMap((p) => p.checks ?? []);
  const lines = [
    `tokenbench ${result.tool.version} (${result.tool.commit.slice(0, 12)}) · suite ${result.config.suite} · ${result.status}`,
    `adapter: ${adapterLabel(result)}`,
    `runtime: ${result.runtime.kind}${result.runtime.userAgent ? ` · ${result.runtime.userAgent}` : ''}${result.runtime.dawn ? ` · ${result.runtime.dawn}` : ''}`,
    result.timer ? `timer: ${result.timer.source}, resolution ${fmtNs(result.timer.resolutionNs)}${result.timer.quantized ? ' (quantised)' : ''}` : 'timer: none',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(tokenBody.length
      ? ['', tline(tokenHeader), tline(tokenWidths.map((w) => '-'.repeat(w))), ...tokenBody.map(tline)]
      : []),
    ...(checks.length
      ? ['', `correctness checks: ${checks.filter((c) => c.verification.state === 'passed').length}/${checks.length} passed` +
          checks.filter((c) => c.verification.state === 'failed').map((c) => `\n  FAILED ${c.id}: ${c.verification.method} (error ${c.verification.error})${c.verification.detail ? ` ${c.verification.detail}` : ''}`).join('')]
      : []),
    '',
    `verification: ${result.verification.state} (${result.verification.passed} passed, ${result.verification.failed} failed)`,
    ...(result.drift
      ? [
          `drift: ${(result.drift.change * 100).toFixed(1)}% between start and end calibration (${fmtNumber(result.drift.startGflops)} → ${fmtNumber(result.drift.endGflops)} GFLOP/s)` +
            (result.drift.flagged ? ` — FLAGGED: above ${result.drift.threshold * 100}%, clocks or temperature changed during the run` : ''),
        ]
      : []),
    ...result.phases.flatMap((p) => (p.warnings ?? []).map((w) => `warning [${p.id}]: ${w}`)),
    ...result.errors.map((e) => `error [${e.source}${e.phase ? ` in ${e.phase}` : ''}]: ${e.message}`),
  ];
  return lines.join('\n');
}

/** Output formats: a table of small functions. */
export const formats = {
  json: (r: BenchResult) => JSON.stringify(r, null, 2) + '\n',
  text: (r: BenchResult) => textTable(r) + '\n',
} as const;

export type FormatName = keyof typeof formats;

/** Default file name for a result. */
export function resultFileName(r: BenchResult): string {
  const stamp = r.startedAt.replace(/[:]/g, '').replace(/\..*$/, '');
  return `tokenbench-${r.config.suite}-${stamp}.json`;
}
