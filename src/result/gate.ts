/**
 * The baseline gate: compares every headline metric of a result (src/result/figures.ts) with a baseline
 * result using the raw samples (rank-sum test, src/measure/stats.ts), not just the medians. A metric
 * regresses when it got worse by more than the threshold *and* the change is significant. The gate fails
 * on a regression, on a new result that is not valid itself, and on any headline metric it cannot judge
 * (missing, invalid, incomparable, inconclusive) unless the user allows that verdict (`--allow`).
 * Pure: no Node, no DOM.
 */
import type { BenchResult } from '../schema/result';
import { DEFAULT_ALPHA, median } from '../measure/stats';
import { type Headline, type TimerSource, headlineMetrics, headlineValue, testSamples, workloadKey } from './figures';
import { fmtOptional as fmt, mdCell } from './formats';
import { resultOk } from './verdict';

/** Default threshold of `--max-regression`. */
export const DEFAULT_MAX_REGRESSION = 0.05;

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'inconclusive' | 'missing' | 'invalid' | 'new' | 'incomparable';

/** Verdicts that say the gate could not judge a metric: each fails the gate unless allowed. */
export const UNJUDGED = ['missing', 'invalid', 'incomparable', 'inconclusive'] as const;
export type Unjudged = (typeof UNJUDGED)[number];

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
  /** Unjudged verdicts that do not fail the gate (`--allow missing,inconclusive`); none by default. */
  allow: readonly Unjudged[];
}

export interface GateReport {
  options: GateOptions;
  changes: MetricChange[];
  regressions: MetricChange[];
  /** Metrics the gate could not judge and that fail it (their verdict is not allowed). */
  unjudged: MetricChange[];
  /** Why the new result is not valid itself (it then fails the gate whatever the metrics say); null when valid. */
  resultProblem: string | null;
  /** Differences between the two runs that make the comparison less meaningful. */
  warnings: string[];
  /** True when the new result is valid, nothing regressed and every metric was judged (or its verdict allowed). */
  ok: boolean;
}

/**
 * Why figures of `r` are not ok, by the id prefix their headlines would have (kernel measurement id, or
 * workload id for its token tests): a baseline metric absent from `r` for one of these reasons is invalid,
 * not merely missing.
 */
function notOkFigures(r: BenchResult): Array<{ prefix: string; skipped: boolean; why: string }> {
  const out: Array<{ prefix: string; skipped: boolean; why: string }> = [];
  for (const p of r.phases) {
    for (const m of p.measurements) {
      if (m.state !== 'ok') out.push({ prefix: m.id, skipped: m.state === 'skipped', why: `${m.state}${'reason' in m && m.reason ? `: ${m.reason}` : 'error' in m ? `: ${m.error}` : ''}` });
    }
    for (const w of p.workloads ?? []) if (w.state !== 'ok') out.push({ prefix: `${workloadKey(w)} `, skipped: w.state === 'skipped', why: `${w.state}${w.reason ? `: ${w.reason}` : ''}` });
  }
  return out;
}

function absentOne(id: string, b: Headline | undefined, c: Headline | undefined, current: BenchResult): MetricChange {
  const h = (c ?? b) as Headline;
  const v = headlineValue(h);
  const bad = !c ? notOkFigures(current).find((f) => id === f.prefix || id.startsWith(f.prefix)) : undefined;
  return {
    id, unit: h.unit, better: h.better, change: null, worse: null, p: null, significant: false,
    baseline: b ? (v?.value ?? null) : null,
    current: c ? (v?.value ?? null) : null,
    source: v?.source ?? null,
    samples: { baseline: 0, current: 0 },
    verdict: c ? 'new' : bad && !bad.skipped ? 'invalid' : 'missing',
    note: c ? 'not in the baseline' : bad ? `this run's figure is ${bad.why}` : 'in the baseline but not in this run',
  };
}

function compareOne(id: string, b: Headline | undefined, c: Headline | undefined, o: GateOptions, current: BenchResult): MetricChange {
  if (!b || !c) return absentOne(id, b, c, current);
  const base = { id, unit: c.unit, better: c.better, change: null, worse: null, p: null, significant: false };
  const t = testSamples(b.samples, c.samples, o.alpha);
  if (!t.ok) {
    return {
      ...base,
      baseline: headlineValue(b)?.value ?? null,
      current: headlineValue(c)?.value ?? null,
      source: null,
      samples: { baseline: 0, current: 0 },
      verdict: 'incomparable',
      note: t.why,
    };
  }
  const { source, a: bs, b: cs, cmp } = t;
  const bv = c.toUnit(median(bs));
  const cv = c.toUnit(median(cs));
  const change = bv !== 0 ? (cv - bv) / bv : NaN;
  const worse = Number.isFinite(change) ? (c.better === 'higher' ? -change : change) : null;
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
    baseline: bv,
    current: cv,
    change: Number.isFinite(change) ? change : null,
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

/** Why `r` fails the gate on its own (not completed, a failed check, a withheld figure, errors), or null. */
export function resultProblem(r: BenchResult): string | null {
  if (resultOk(r)) return null;
  const bad = notOkFigures(r).filter((f) => !f.skipped).map((f) => `${f.prefix.trim()} ${f.why}`);
  const parts = [
    r.status !== 'completed' ? `status ${r.status}` : '',
    r.verification.state === 'failed' ? `${r.verification.failed} check(s) failed` : '',
    r.errors.length ? `${r.errors.length} error(s)` : '',
    bad.length ? `${bad.length} figure(s) not ok (${bad.slice(0, 3).join('; ')}${bad.length > 3 ? '; …' : ''})` : '',
  ].filter(Boolean);
  return `the new result is not valid: ${parts.join(', ') || 'a phase did not complete'}`;
}

/** Compares every headline metric of `current` with `baseline`. */
export function gate(baseline: BenchResult, current: BenchResult, opts: Partial<GateOptions> = {}): GateReport {
  const options: GateOptions = { maxRegression: opts.maxRegression ?? DEFAULT_MAX_REGRESSION, alpha: opts.alpha ?? DEFAULT_ALPHA, allow: opts.allow ?? [] };
  const b = new Map(headlineMetrics(baseline).map((h) => [h.id, h]));
  const c = new Map(headlineMetrics(current).map((h) => [h.id, h]));
  const ids = [...c.keys(), ...[...b.keys()].filter((id) => !c.has(id))];
  const changes = ids.map((id) => compareOne(id, b.get(id), c.get(id), options, current));
  const regressions = changes.filter((x) => x.verdict === 'regressed');
  const unjudged = changes.filter((x) => (UNJUDGED as readonly string[]).includes(x.verdict) && !options.allow.includes(x.verdict as Unjudged));
  const problem = resultProblem(current);
  return {
    options,
    changes,
    regressions,
    unjudged,
    resultProblem: problem,
    warnings: comparabilityWarnings(baseline, current),
    ok: regressions.length === 0 && unjudged.length === 0 && problem === null,
  };
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
  inconclusive: 'INCONCLUSIVE',
  missing: 'MISSING',
  invalid: 'INVALID',
  new: 'new',
  incomparable: 'INCOMPARABLE',
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
  const allowed = o.allow.length ? ` (allowed: ${o.allow.join(', ')})` : '';
  if (report.ok) {
    return `baseline gate passed: no metric got worse by more than ${fmtPct(o.maxRegression)} with significance (alpha ${o.alpha})` +
      (moved ? `; ${moved} improved` : '') + allowed;
  }
  const why: string[] = [];
  if (report.resultProblem) why.push(report.resultProblem);
  if (report.regressions.length) {
    why.push(`${report.regressions.length} metric(s) got worse by more than ${fmtPct(o.maxRegression)} (significant at alpha ${o.alpha}): ` +
      report.regressions.map((x) => `${x.id} ${fmtChange(x.change)}`).join(', '));
  }
  if (report.unjudged.length) {
    const counts = UNJUDGED.map((v) => [v, report.unjudged.filter((x) => x.verdict === v).length] as const).filter(([, n]) => n > 0);
    why.push(`${report.unjudged.length} metric(s) could not be judged (${counts.map(([v, n]) => `${n} ${v}`).join(', ')}; --allow ${counts.map(([v]) => v).join(',')} accepts them)`);
  }
  return `baseline gate FAILED: ${why.join('; ')}${allowed}`;
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
