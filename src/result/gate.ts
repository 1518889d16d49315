/**
 * The baseline gate: compares every headline metric of a result (src/result/figures.ts) with a baseline
 * result using the raw samples (Mann–Whitney rank-sum test, src/measure/stats.ts), not just the medians. A metric
 * fails the gate only when it got worse by more than the threshold *and* the change is significant.
 * Pure: no Node, no DOM.
 */
import type { BenchResult } from '../schema/result';
import { DEFAULT_ALPHA, compareSamples, median } from '../measure/stats';
import { type Headline, TIMER_SOURCES, type TimerSource, headlineMetrics, headlineValue } from './figures';
import { fmtOptional as fmt, mdCell } from './formats';

/** Default threshold of `--max-regression`. */
export const DEFAULT_MAX_REGRESSION = 0.05;

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'inconclusive' | 'missing' | 'new' | 'incomparable';

export interface MetricChange {
  id: string;
  unit: Headline['unit'];
  better: Headline['better'];
  /** Medians of the compared samples; null when the metric is absent on that side. */
  baseline: number | null;
  current: number | null;
  /** (current - baseline) / baseline of the medians. */
  change: number | null;
  /** How much worse, as a fraction (negative: better). */
  worse: number | null;
  /** Two-sided p-value of the rank-sum test. */
  p: number | null;
  significant: boolean;
  source: TimerSource | null;
  samples: { baseline: number; current: number };
  verdict: Verdict;
  note?: string;
}

export interface GateOptions {
  /** Largest tolerated worsening, as a fraction (0.05 = 5%). */
  maxRegression: number;
  /** Significance level of the test. */
  alpha: number;
}

export interface GateReport {
  options: GateOptions;
  changes: MetricChange[];
  regressions: MetricChange[];
  /** Differences between the two runs that make the comparison less meaningful. */
  warnings: string[];
  /** True when no metric regressed significantly beyond the threshold. */
  ok: boolean;
}

function compareOne(id: string, b: Headline | undefined, c: Headline | undefined, o: GateOptions): MetricChange {
  const h = (c ?? b) as Headline;
  const base = { id, unit: h.unit, better: h.better, change: null, worse: null, p: null, significant: false };
  if (!b || !c) {
    const v = c ? headlineValue(c) : b ? headlineValue(b) : null;
    return {
      ...base,
      baseline: b ? (v?.value ?? null) : null,
      current: c ? (v?.value ?? null) : null,
      source: v?.source ?? null,
      samples: { baseline: 0, current: 0 },
      verdict: c ? 'new' : 'missing',
      note: c ? 'not in the baseline' : 'in the baseline but not in this run (not run, skipped or failed)',
    };
  }
  const source = TIMER_SOURCES.find((s) => b.samples[s]?.length && c.samples[s]?.length) ?? null;
  if (!source) {
    return {
      ...base,
      baseline: headlineValue(b)?.value ?? null,
      current: headlineValue(c)?.value ?? null,
      source: null,
      samples: { baseline: 0, current: 0 },
      verdict: 'incomparable',
      note: `timer sources differ (baseline ${Object.keys(b.samples).join('/')}, this run ${Object.keys(c.samples).join('/')})`,
    };
  }
  const bs = b.samples[source] as number[];
  const cs = c.samples[source] as number[];
  const cmp = compareSamples(bs, cs, o.alpha);
  const worse = Number.isFinite(cmp.change) ? (h.better === 'higher' ? -cmp.change : cmp.change) : null;
  let verdict: Verdict;
  let note = cmp.note;
  if (cmp.note || worse === null) verdict = 'inconclusive';
  else if (cmp.significant && worse > o.maxRegression) verdict = 'regressed';
  else if (cmp.significant && worse < -o.maxRegression) verdict = 'improved';
  else {
    verdict = 'unchanged';
    note = cmp.significant ? 'within the threshold' : `not significant (p ${cmp.p.toFixed(3)} ≥ ${o.alpha})`;
  }
  return {
    ...base,
    baseline: median(bs),
    current: median(cs),
    change: Number.isFinite(cmp.change) ? cmp.change : null,
    worse,
    p: cmp.p,
    significant: cmp.significant,
    source,
    samples: { baseline: bs.length, current: cs.length },
    verdict,
    ...(note ? { note } : {}),
  };
}

function adapterName(r: BenchResult): string {
  const a = r.environment?.adapter;
  return a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unknown adapter' : 'no adapter';
}

/** Why two results may not be comparable, in words. */
export function comparabilityWarnings(baseline: BenchResult, current: BenchResult): string[] {
  const w: string[] = [];
  if (baseline.config.suite !== current.config.suite) w.push(`suites differ: baseline ${baseline.config.suite}, this run ${current.config.suite}`);
  const ba = adapterName(baseline);
  const ca = adapterName(current);
  if (ba !== ca) w.push(`adapters differ: baseline "${ba}", this run "${ca}"`);
  if (baseline.runtime.kind !== current.runtime.kind) w.push(`runtimes differ: baseline ${baseline.runtime.kind}, this run ${current.runtime.kind}`);
  if (JSON.stringify(baseline.config.generation) !== JSON.stringify(current.config.generation)) {
    w.push('token workload settings differ (models, formats, lengths, batches or repetitions)');
  }
  if (current.environment?.software.isSoftware) w.push('this run used a software adapter: figures check the harness, not the hardware');
  return w;
}

/** Compares every headline metric of `current` with `baseline`. */
export function gate(baseline: BenchResult, current: BenchResult, opts: Partial<GateOptions> = {}): GateReport {
  const options: GateOptions = { maxRegression: opts.maxRegression ?? DEFAULT_MAX_REGRESSION, alpha: opts.alpha ?? DEFAULT_ALPHA };
  const b = new Map(headlineMetrics(baseline).map((h) => [h.id, h]));
  const c = new Map(headlineMetrics(current).map((h) => [h.id, h]));
  const ids = [...c.keys(), ...[...b.keys()].filter((id) => !c.has(id))];
  const changes = ids.map((id) => compareOne(id, b.get(id), c.get(id), options));
  const regressions = changes.filter((x) => x.verdict === 'regressed');
  return { options, changes, regressions, warnings: comparabilityWarnings(baseline, current), ok: regressions.length === 0 };
}

export function fmtChange(c: number | null): string {
  if (c === null || !Number.isFinite(c)) return '—';
  return `${c >= 0 ? '+' : ''}${(c * 100).toFixed(1)}%`;
}

function fmtP(p: number | null): string {
  if (p === null) return '—';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

const VERDICT_TEXT: Record<Verdict, string> = {
  regressed: 'REGRESSED',
  improved: 'improved',
  unchanged: 'unchanged',
  inconclusive: 'inconclusive',
  missing: 'missing',
  new: 'new',
  incomparable: 'incomparable',
};

function rows(report: GateReport): string[][] {
  return report.changes.map((x) => [
    x.id.endsWith(x.unit) ? x.id : `${x.id} (${x.unit})`,
    fmt(x.baseline),
    fmt(x.current),
    fmtChange(x.change),
    fmtP(x.p),
    `${VERDICT_TEXT[x.verdict]}${x.note ? ` — ${x.note}` : ''}`,
  ]);
}

const HEADER = ['metric', 'baseline', 'this run', 'change', 'p', 'verdict'];

function verdictLine(report: GateReport): string {
  const o = report.options;
  const moved = report.changes.filter((x) => x.verdict === 'improved').length;
  if (report.ok) {
    return `baseline gate passed: no metric got worse by more than ${fmtPct(o.maxRegression)} with significance (alpha ${o.alpha})` +
      (moved ? `; ${moved} improved` : '');
  }
  return `baseline gate FAILED: ${report.regressions.length} metric(s) got worse by more than ${fmtPct(o.maxRegression)} (significant at alpha ${o.alpha}): ` +
    report.regressions.map((x) => `${x.id} ${fmtChange(x.change)}`).join(', ');
}

function fmtPct(f: number): string {
  return `${+(f * 100).toFixed(3)}%`;
}

/** Plain-text report (CLI). */
export function gateText(report: GateReport, baselineLabel: string): string {
  const body = rows(report);
  const widths = HEADER.map((h, i) => Math.min(70, Math.max(h.length, ...body.map((b) => (b[i] ?? '').length))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [
    `baseline: ${baselineLabel}`,
    ...report.warnings.map((w) => `warning: ${w}`),
    line(HEADER),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    verdictLine(report),
  ].join('\n') + '\n';
}

/** Markdown report (GitHub step summary). */
export function gateMarkdown(report: GateReport, baselineLabel: string): string {
  const body = rows(report).map((r, i) => {
    const x = report.changes[i] as MetricChange;
    return x.verdict === 'regressed' ? r.map((c) => `**${c}**`) : r;
  });
  return [
    `### Baseline comparison`,
    '',
    `Baseline: ${mdCell(baselineLabel)}`,
    '',
    ...report.warnings.map((w) => `> ⚠️ ${mdCell(w)}`),
    ...(report.warnings.length ? [''] : []),
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i === 0 || i === HEADER.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...body.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
    '',
    report.ok ? `✅ ${verdictLine(report)}` : `❌ ${verdictLine(report)}`,
    '',
  ].join('\n');
}

/** Short description of a result, for naming the baseline in reports. */
export function describeResult(r: BenchResult, path?: string): string {
  return `${path ? `${path} · ` : ''}tokenbench ${r.tool.version} (${r.tool.commit.slice(0, 12)}) · ${r.config.suite} · ${r.startedAt} · ${adapterName(r)}`;
}
