/**
 * Comparison of several results: one table row per token test of each result, and diffs of each result
 * against the first (the baseline) with % change and a Mann–Whitney rank test on the raw samples
 * (src/result/significance.ts). Export formats for a comparison mirror a single result's. Pure.
 */
import { formatPercent } from './peers';
import {
  type GithubBenchEntry,
  csvRows,
  CSV_COLUMNS,
  csvText,
  fmtNumber,
  fmtUsd,
  githubBigger,
  githubSmaller,
  mdCell,
  mdTable,
} from './formats';
import { type Samples, deviceName, isSoftware, kernelFigures, runtimeName, testSamples, tokenFigures } from './figures';
import type { BenchResult } from '../schema/result';
import { DEFAULT_ALPHA } from '../measure/stats';

export const COMPARE_SCHEMA_ID = 'tokenbench/comparison';
export const COMPARE_SCHEMA_VERSION = 1;

/** A result with the name it is shown under (its file name). */
export interface LabelledResult {
  label: string;
  result: BenchResult;
}

export interface ResultSummary {
  label: string;
  device: string;
  software: boolean;
  runtime: string;
  status: BenchResult['status'];
  verification: BenchResult['verification'];
  tool: string;
  startedAt: string;
  suite: string;
  /** $ per working hour behind the cost figures, null without a price. */
  costPerHour: number | null;
  boardPowerW: number | null;
}

export interface CompareRow {
  result: string;
  device: string;
  software: boolean;
  runtime: string;
  /** Workload key (for a model file: its name and SHA-256 prefix) + test name: rows match on it across results. */
  key: string;
  /** The preset or architecture name; for a model file, the file's name. */
  model: string;
  format: string;
  test: string;
  tokPerSec: number;
  source: 'gpu-timestamp' | 'wall-clock';
  /** Measured / the tighter bound of that run. */
  efficiency: number | null;
  usdPer1M: number | null;
  joulesPerToken: number | null;
  verification: 'passed' | 'failed' | 'none';
  /** tokenbench / llama.cpp on the same file in that run (`--peer`); null without that peer. */
  ofWebgpu: number | null;
  ofNative: number | null;
  kernelLimited: boolean;
}

export interface DiffRow {
  key: string;
  name: string;
  unit: string;
  biggerIsBetter: boolean;
  a: number;
  b: number;
  /** (b - a) / a. */
  change: number;
  /** Two-sided p of the rank test on the raw samples; null when the figure has no samples (derived). */
  p: number | null;
  significant: boolean;
  verdict: 'better' | 'worse' | 'no significant change' | 'not tested' | 'incomparable';
  note?: string;
}

export interface Diff {
  baseline: string;
  candidate: string;
  rows: DiffRow[];
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA_ID;
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  alpha: number;
  results: ResultSummary[];
  rows: CompareRow[];
  diffs: Diff[];
}

export function summarise(l: LabelledResult): ResultSummary {
  const r = l.result;
  return {
    label: l.label,
    device: deviceName(r),
    software: isSoftware(r),
    runtime: runtimeName(r),
    status: r.status,
    verification: r.verification,
    tool: `${r.tool.version} (${r.tool.commit.slice(0, 12)})`,
    startedAt: r.startedAt,
    suite: r.config.suite,
    costPerHour: r.cost?.perHour.total ?? null,
    boardPowerW: r.cost?.inputs.boardPowerW ?? null,
  };
}

export function compareRows(l: LabelledResult): CompareRow[] {
  const r = l.result;
  const device = deviceName(r);
  const software = isSoftware(r);
  const runtime = runtimeName(r);
  return tokenFigures(r).map((f) => ({
    result: l.label,
    device,
    software,
    runtime,
    key: f.key,
    model: f.file?.file ?? f.model,
    format: f.format,
    test: f.test,
    tokPerSec: f.tokPerSec,
    source: f.source,
    efficiency: f.efficiency,
    usdPer1M: f.cost?.usdPer1M ?? null,
    joulesPerToken: f.cost?.joulesPerToken ?? null,
    verification: f.verification,
    ofWebgpu: f.ofWebgpu,
    ofNative: f.ofNative,
    kernelLimited: f.kernelLimited,
  }));
}

function verdictOf(change: number, biggerIsBetter: boolean, significant: boolean, tested: boolean): DiffRow['verdict'] {
  if (!tested) return 'not tested';
  if (!significant) return 'no significant change';
  return change > 0 === biggerIsBetter ? 'better' : 'worse';
}

/** The test part of a diff row: the shared sample definition under one timer source, or "incomparable". */
function tested(a: Samples, b: Samples, change: number, kind: string, alpha: number): Pick<DiffRow, 'p' | 'significant' | 'verdict' | 'note'> {
  const t = testSamples(a, b, alpha);
  if (!t.ok) return { p: null, significant: false, verdict: 'incomparable', note: t.why };
  const c = t.cmp;
  if (c.note) return { p: null, significant: false, verdict: 'not tested', note: c.note };
  return { p: c.p, significant: c.significant, verdict: verdictOf(change, true, c.significant, true), note: `rank test on ${t.a.length} vs ${t.b.length} ${kind} times (${t.source})` };
}

/**
 * Candidate vs baseline, on every figure both have: tok/s per token test and kernel rates, tested on their
 * samples (ns: the rank test is the same on times and on rates); $/1M tokens and J/token as derived
 * figures (they move with the cost inputs too, so they get a % change but no test).
 */
export function diffResults(a: LabelledResult, b: LabelledResult, alpha = DEFAULT_ALPHA): Diff {
  const rows: DiffRow[] = [];
  const tb = new Map(tokenFigures(b.result).map((f) => [f.key, f]));
  for (const fa of tokenFigures(a.result)) {
    const fb = tb.get(fa.key);
    if (!fb) continue;
    const name = fa.file ? `${fa.file.file} (sha256 ${fa.file.sha256.slice(0, 12)}) ${fa.test}` : `${fa.model} ${fa.format} ${fa.test}`;
    const change = fa.tokPerSec > 0 ? (fb.tokPerSec - fa.tokPerSec) / fa.tokPerSec : NaN;
    rows.push({ key: fa.key, name, unit: 'tok/s', biggerIsBetter: true, a: fa.tokPerSec, b: fb.tokPerSec, change, ...tested(fa.samples, fb.samples, change, 'repetition', alpha) });
    const derived = (unit: string, va: number | null | undefined, vb: number | null | undefined) => {
      if (va == null || vb == null || !(va > 0)) return;
      const ch = (vb - va) / va;
      rows.push({ key: `${fa.key}#${unit}`, name, unit, biggerIsBetter: false, a: va, b: vb, change: ch, p: null, significant: false, verdict: 'not tested', note: 'derived from tok/s and the cost inputs' });
    };
    derived('$/1M tokens', fa.cost?.usdPer1M, fb.cost?.usdPer1M);
    derived('J/token', fa.cost?.joulesPerToken, fb.cost?.joulesPerToken);
  }
  const kb = new Map(kernelFigures(b.result).map((k) => [k.key, k]));
  for (const ka of kernelFigures(a.result)) {
    const k2 = kb.get(ka.key);
    if (!k2 || k2.unit !== ka.unit) continue;
    const change = ka.value > 0 ? (k2.value - ka.value) / ka.value : NaN;
    rows.push({ key: ka.key, name: ka.label, unit: ka.unit, biggerIsBetter: true, a: ka.value, b: k2.value, change, ...tested(ka.samples, k2.samples, change, 'sample', alpha) });
  }
  return { baseline: a.label, candidate: b.label, rows };
}

/** The table of all results, and the diff of each later result against the first. */
export function compareResults(list: readonly LabelledResult[], alpha = DEFAULT_ALPHA): Comparison {
  const first = list[0];
  return {
    schema: COMPARE_SCHEMA_ID,
    schemaVersion: COMPARE_SCHEMA_VERSION,
    alpha,
    results: list.map(summarise),
    rows: list.flatMap(compareRows),
    diffs: first ? list.slice(1).map((b) => diffResults(first, b, alpha)) : [],
  };
}

/** Labels made unique ("r.json", "r.json (2)") so rows and charts never merge two files. */
export function uniqueLabels(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} (${k})`;
  });
}

// ---- Presentation --------------------------------------------------------------------------------------

export const COMPARE_HEADER = [
  'result', 'device', 'software', 'runtime', 'model', 'format', 'test', 'tok/s', '% of bound', '% of llama.cpp WebGPU', '% of llama.cpp native',
  '$/1M tokens', 'J/token', 'verification',
];

/** Display strings of one comparison row (same order as COMPARE_HEADER). */
export function compareRowCells(r: CompareRow): string[] {
  return [
    r.result,
    r.device,
    r.software ? 'SOFTWARE' : 'hardware',
    r.runtime,
    r.model,
    r.format,
    r.test,
    fmtNumber(r.tokPerSec),
    r.efficiency !== null ? `${(r.efficiency * 100).toFixed(1)}%` : '—',
    r.ofWebgpu !== null ? `${formatPercent(r.ofWebgpu)}${r.kernelLimited ? ' (kernel-limited)' : ''}` : '—',
    r.ofNative !== null ? formatPercent(r.ofNative) : '—',
    fmtUsd(r.usdPer1M),
    r.joulesPerToken !== null ? fmtNumber(r.joulesPerToken) : '—',
    r.verification,
  ];
}

export const DIFF_HEADER = ['figure', 'unit', 'baseline', 'candidate', 'change', 'p', 'verdict'];

export function fmtChange(change: number): string {
  if (!Number.isFinite(change)) return '—';
  return `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`;
}

export function diffRowCells(d: DiffRow): string[] {
  return [d.name, d.unit, fmtNumber(d.a), fmtNumber(d.b), fmtChange(d.change), d.p === null ? '—' : d.p < 0.001 ? d.p.toExponential(1) : d.p.toFixed(3), d.verdict];
}

export function comparisonMarkdown(c: Comparison): string {
  const out = [`**tokenbench comparison** of ${c.results.length} result(s)`, ''];
  out.push(
    mdTable(
      ['result', 'device', 'software', 'runtime', 'status', 'verification', 'tokenbench', '$/h', 'board W'],
      c.results.map((r) => [
        r.label, r.device, r.software ? 'SOFTWARE ADAPTER' : 'hardware', r.runtime, r.status,
        `${r.verification.state} (${r.verification.passed}/${r.verification.passed + r.verification.failed})`, r.tool,
        r.costPerHour !== null ? `$${fmtNumber(r.costPerHour)}` : 'enter a price', r.boardPowerW !== null ? String(r.boardPowerW) : '—',
      ]),
    ),
    '',
  );
  if (c.rows.length) out.push(mdTable(COMPARE_HEADER, c.rows.map(compareRowCells), new Set([7, 8, 9, 10, 11, 12])), '');
  for (const d of c.diffs) {
    out.push(`**${mdCell(d.candidate)}** vs **${mdCell(d.baseline)}** (Mann–Whitney U, α = ${c.alpha})`, '');
    out.push(d.rows.length ? mdTable(DIFF_HEADER, d.rows.map(diffRowCells), new Set([2, 3, 4, 5])) : 'no figure in common', '');
  }
  return out.join('\n');
}

export function comparisonCsv(list: readonly LabelledResult[]): string {
  return csvText(['result', ...CSV_COLUMNS], list.flatMap((l) => csvRows(l.result).map((row) => [l.label, ...row])));
}

export function comparisonGithub(list: readonly LabelledResult[], which: 'bigger' | 'smaller'): GithubBenchEntry[] {
  return list.flatMap((l) => (which === 'bigger' ? githubBigger : githubSmaller)(l.result, `[${l.label}] `));
}

export const COMPARE_FORMATS = ['md', 'csv', 'json', 'github-bigger', 'github-smaller'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export function isCompareFormat(s: string): s is CompareFormat {
  return (COMPARE_FORMATS as readonly string[]).includes(s);
}

/** Export formats of a comparison: a table of small functions, like `formats` for one result. */
export const compareFormats: Record<CompareFormat, (list: readonly LabelledResult[]) => string> = {
  md: (list) => comparisonMarkdown(compareResults(list)),
  csv: (list) => comparisonCsv(list),
  json: (list) => JSON.stringify(compareResults(list), null, 2) + '\n',
  'github-bigger': (list) => JSON.stringify(comparisonGithub(list, 'bigger'), null, 2) + '\n',
  'github-smaller': (list) => JSON.stringify(comparisonGithub(list, 'smaller'), null, 2) + '\n',
};

/** MIME type and extension of each format, for downloads. */
export const FORMAT_FILE: Record<CompareFormat, { ext: string; mime: string }> = {
  md: { ext: 'md', mime: 'text/markdown' },
  csv: { ext: 'csv', mime: 'text/csv' },
  json: { ext: 'json', mime: 'application/json' },
  'github-bigger': { ext: 'bigger.json', mime: 'application/json' },
  'github-smaller': { ext: 'smaller.json', mime: 'application/json' },
};
