/** Presentation of results, shared by the page and the CLI. Pure: no DOM, no Node. */
import { meanSd, tokensPerSecond } from '../measure/stats';
import type { BenchResult, Measurement, ModelSource, Phase, TokenTest, Workload, WorkloadText } from '../schema/result';
import { adapterName, deviceName, headlineMetrics, headlineValue, isSoftware, kernelFigures, modelLabel, runtimeName, tokenFigures, workloadHeadlines } from './figures';
import { KERNEL_LIMITED_NOTE, KERNEL_LIMITED_RATIO, PEER_LABEL, formatPercent, formatRatio, ratioOf } from './peers';
import { resultOk } from './verdict';

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

/** fmtNumber, or a dash for a figure that is missing. */
export function fmtOptional(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : fmtNumber(v);
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
      row.value = `${fmtNumber(m.metric.median)} ${m.metric.unit}${m.metric.unit === 'GB/s' && m.params['cacheSafe'] === false ? ' (not cache-safe)' : ''}`;
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
  /** tokenbench as a share of each peer that ran this test ("41 % of llama.cpp WebGPU · kernel-limited"); '' without peers. */
  peers: string;
  state: Workload['state'];
}

export function tokenTestRow(w: Workload, t: TokenTest): TokenRow {
  const total = t.kind === 'prefill' ? t.tokens : t.tokens * t.batch;
  const main = t.gpu ?? t.wall;
  const latency =
    t.kind === 'prefill'
      ? `TTFT ${fmtNumber(t.ttftMs?.gpu ?? t.ttftMs?.wall ?? 0)} ms`
      : `TPOT ${fmtNumber(t.tpotMs?.gpu ?? t.tpotMs?.wall ?? 0)} ms · ${t.itlNs ? `ITL p50/p90/p99 ${[t.itlNs.p50, t.itlNs.p90, t.itlNs.p99].map((v) => fmtNumber(v / 1e6)).join('/')} ms` : 'ITL n/a (no per-token samples)'}` +
        (t.batch > 1 ? ` · ${fmtNumber(t.perSequence ?? 0)} tok/s/seq` : '');
  const b = t.bounds;
  const bound =
    b && b.efficiency !== null
      ? `${(b.efficiency * 100).toFixed(1)}% of ${b.bandwidth !== null && (b.compute === null || b.bandwidth <= b.compute) ? 'bandwidth' : 'compute'} bound (${fmtNumber(Math.min(...[b.bandwidth, b.compute].filter((x): x is number => x !== null)))} tok/s)`
      : 'no roofline figure';
  // How much more the kernels read than the step needs (decode tests; absent in older results).
  const traffic = t.traffic ? ` · reads ${t.traffic.ratio.toFixed(3)}× needed` : '';
  return {
    model: modelLabel(w),
    format: w.format,
    test: t.name,
    tokPerSec: `${fmtNumber(main.median)} ± ${fmtNumber(meanSd(main.samplesNs.map((ns) => tokensPerSecond(total, ns))).sd)}`,
    source: t.gpu ? 'GPU ts' : 'wall',
    wall: fmtNumber(t.wall.median),
    latency,
    bound: bound + traffic,
    peers: peerCell(w, t.name),
    state: w.state,
  };
}

/** tokenbench's share of each peer's speed on one test, for the token tables. */
export function peerCell(w: Workload, test: string): string {
  const parts = (['webgpu', 'native'] as const).flatMap((e) => {
    const x = ratioOf(w, test, e);
    return x ? [`${formatRatio(x, e)}${x.kernelLimited ? ' · KERNEL-LIMITED' : ''}`] : [];
  });
  return parts.join(' · ');
}

/** One line per peer of a workload: engine, backend, device, settings, agreement, differences, or why it did not run. */
export function peerLines(w: Workload): string[] {
  return (w.peers ?? []).map((p) => {
    const head = `  ${w.id} · ${PEER_LABEL[p.engine]} (${p.name})`;
    if (p.state !== 'ok') return `${head}: ${p.state}${p.reason ? `: ${p.reason}` : ''}`;
    const s = p.settings;
    const settings = s
      ? `KV ${s.kvType}, flash attention ${s.flashAttention === null ? '?' : s.flashAttention ? 'on' : 'off'}, batch ${s.batch ?? '?'}, threads ${s.threads ?? '?'}, GPU layers ${s.gpuLayers ?? '?'}`
      : 'settings not recorded';
    const agree = p.agreement ? ` · greedy tokens agree ${p.agreement.matching}/${p.agreement.compared} (${p.agreement.method})` : '';
    const tests = p.tests.map((t) => `${t.name} ${fmtNumber(t.rate.median)} tok/s`).join(', ');
    const diffs = [...new Set((p.ratios ?? []).flatMap((x) => x.differences))];
    const limited = (p.ratios ?? []).filter((x) => x.kernelLimited).map((x) => x.test);
    return (
      `${head}: ${p.backend ?? '?'}${p.backendNote ? ` (${p.backendNote})` : ''} on ${p.device ?? '?'} · ${settings} · ${tests}${agree}` +
      (limited.length ? `\n    ${KERNEL_LIMITED_NOTE} (${limited.join(', ')}: below ${KERNEL_LIMITED_RATIO * 100} % of llama.cpp WebGPU on this adapter)` : '') +
      diffs.map((d) => `\n    differs: ${d}`).join('')
    );
  });
}

/** Whether any workload of the result has a peer record. */
export function hasPeers(r: BenchResult): boolean {
  return r.phases.some((p) => p.workloads?.some((w) => w.peers?.length));
}

export function workloadRows(w: Workload): TokenRow[] {
  if (w.state === 'ok' && w.tests.length) return w.tests.map((t) => tokenTestRow(w, t));
  return [
    {
      model: modelLabel(w),
      format: w.format,
      test: '—',
      tokPerSec: `${w.state}${w.reason ? `: ${w.reason}` : ''}`,
      source: '',
      wall: '',
      latency: '',
      bound: '',
      peers: '',
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
  const name = adapterName(env.adapter);
  return env.software.isSoftware ? `${name} [SOFTWARE ADAPTER: not a hardware result]` : name;
}

/** One line for the summary: what tuning did in this result. */
export function tuningSummary(t: BenchResult['tuning']): string {
  if (!t) return 'Autotuning: not recorded (a result from before autotuning)';
  if (t.mode === 'disabled') return 'Autotuning: off (every kernel ran its default variant)';
  const count = (s: string) => t.entries.filter((e) => e.source === s).length;
  const untuned = count('default');
  return (
    `Autotuning: ${t.entries.length} decisions (${count('measured')} timed, ${count('cache')} from the cache and re-checked` +
    `${untuned ? `, ${untuned} left at the default: no operands at that shape` : ''}) ` +
    `in ${(t.durationMs / 1000).toFixed(1)} s, ${t.timer === 'gpu-timestamp' ? 'GPU timestamps' : 'wall clock'}, ` +
    `${t.maxCandidates === null ? 'all candidates' : `at most ${t.maxCandidates} candidates`} per decision`
  );
}

/** How often each variant was chosen, per kernel family (the text report; every decision is in the JSON). */
function tuningLines(t: BenchResult['tuning']): string[] {
  if (!t || t.mode !== 'tuned') return [];
  const counts = new Map<string, Map<string, number>>();
  for (const e of t.entries) {
    const f = counts.get(e.family) ?? new Map<string, number>();
    f.set(e.chosen, (f.get(e.chosen) ?? 0) + 1);
    counts.set(e.family, f);
  }
  const failed = t.entries.flatMap((e) => e.candidates.filter((c) => c.state !== 'ok').map((c) => `  ${e.family} ${e.key}: ${c.id} ${c.state}${c.detail ? ` (${c.detail})` : ''}`));
  return [
    ...[...counts].map(([family, m]) => `  ${family}: ${[...m].map(([id, n]) => `${id} ×${n}`).join(', ')}`),
    ...failed,
  ];
}

/** Decode GEMV bandwidth per workload, one line each (the text report). */
/** One decode GEMV figure: the streamed one (or why it is withheld), the cache-resident one for reference. */
function gemvText(g: NonNullable<Workload['gemv']>[number]): string {
  if (g.state === 'implausible') return `${g.role} withheld: ${fmtNumber(g.gbps)} GB/s is above the read ceiling (implausible)`;
  const of = g.ofReadCeiling !== null ? ` (${(g.ofReadCeiling * 100).toFixed(0)}% of read)` : '';
  const safe = g.streamed && !g.streamed.cacheSafe ? ', not cache-safe' : '';
  const resident = g.resident ? ` [one copy, cache-resident: ${fmtNumber(g.resident.gbps)} GB/s]` : '';
  return `${g.role} ${fmtNumber(g.gbps)} GB/s${of}${g.streamed ? ` streamed over ${g.streamed.copies} copies${safe}` : ''}${resident}`;
}

export function gemvLines(result: BenchResult): string[] {
  return result.phases.flatMap((p) =>
    (p.workloads ?? []).filter((w) => w.gemv?.length).map((w) => `  ${w.id}: ${(w.gemv ?? []).map(gemvText).join(' · ')}`),
  );
}

// ---- Model files and text (GGUF workloads) -----------------------------------------------------------------

/** A model file's source block. */
export type FileSource = Extract<ModelSource, { kind: 'gguf' }>;

/** Whether a workload ran a model file or produced text: the ones the reports give a source and text block. */
export function isFileWorkload(w: Workload): boolean {
  return w.source?.kind === 'gguf' || w.text !== undefined;
}

/** Workloads that ran a model file or produced text, in result order. */
export function fileWorkloads(r: BenchResult): Workload[] {
  return r.phases.flatMap((p) => (p.workloads ?? []).filter(isFileWorkload));
}

/** Tensors per type, largest share first: "Q4_K ×193 (3.71 GiB), Q6_K ×33 (840.00 MiB), F32 ×65 (1.00 MiB)". */
export function tensorTypesText(tensors: FileSource['tensors']): string {
  return [...tensors].sort((a, b) => b.bytes - a.bytes).map((t) => `${t.type} ×${t.count} (${fmtBytes(t.bytes)})`).join(', ') || 'none';
}

/** A model file's source as label/value pairs: the page's details and the text report. */
export function modelSourceFields(s: FileSource): Array<[string, string]> {
  return [
    ['File', s.file],
    ['Size', `${fmtBytes(s.bytes)} (${s.bytes.toLocaleString('en-US')} bytes)`],
    ['SHA-256', s.sha256],
    ['Architecture', s.architecture],
    ['Parameters', fmtParams(s.params)],
    ['Tensor types', tensorTypesText(s.tensors)],
  ];
}

/** The Markdown row of a model file: file, size, sha256 prefix, architecture, params, tensor types. */
function modelSourceCells(s: FileSource): string[] {
  return [s.file, fmtBytes(s.bytes), s.sha256.slice(0, 12), s.architecture, fmtParams(s.params), tensorTypesText(s.tensors)];
}

/** One line: "model.gguf · 4.58 GiB · sha256 3f2a9c1b2d4e · llama · 8.03 B params". */
export function modelSourceLine(s: FileSource): string {
  return `${s.file} · ${fmtBytes(s.bytes)} · sha256 ${s.sha256.slice(0, 12)} · ${s.architecture} · ${fmtParams(s.params)} params`;
}

/** The prompt as given: the text, or the token ids when the prompt was given as ids. */
export function promptOf(t: WorkloadText): string {
  return t.prompt ?? `token ids ${t.promptTokens.join(',')}`;
}

/**
 * Untrusted text for a terminal or a Markdown cell: quoted, with control characters (C0, DEL and C1, the
 * terminal's escape sequences) written as escapes, so a model's output cannot drive the terminal.
 */
export function quoteText(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The text report's lines for model files: source, prompt and generated text per workload. */
function fileLines(r: BenchResult): string[] {
  return fileWorkloads(r).flatMap((w) => [
    `  ${w.id}: ${w.source?.kind === 'gguf' ? modelSourceLine(w.source) : 'synthetic'}`,
    ...(w.source?.kind === 'gguf' ? [`    tensor types: ${tensorTypesText(w.source.tensors)}`] : []),
    ...(w.text
      ? [
          `    prompt: ${w.text.prompt !== null ? quoteText(w.text.prompt) : promptOf(w.text)} (${w.text.promptTokens.length} tokens)`,
          `    generated: ${quoteText(w.text.generated)} (${w.text.generatedTokens.length} tokens: ${w.text.generatedTokens.join(',')})`,
        ]
      : []),
  ]);
}

/**
 * The headline view of a run: per model x format one line with decode tok/s (batch 1 and best batch),
 * prefill tok/s and TTFT, $/1M tokens and J/token (when priced), % of the roofline bound, % of llama.cpp.
 */
export function headlineLines(r: BenchResult): string[] {
  return workloadHeadlines(r).map((h) => {
    const d = h.decodeBatch1;
    const best = h.decodeBest;
    const p = h.prefill;
    const parts = [
      d ? `decode ${fmtNumber(d.tokPerSec)} tok/s (${d.test})` : null,
      best && best !== d ? `best ${fmtNumber(best.tokPerSec)} tok/s (${best.test})` : null,
      p ? `prefill ${fmtNumber(p.tokPerSec)} tok/s (${p.test}${p.ttftMs !== null ? `, TTFT ${fmtNumber(p.ttftMs)} ms` : ''})` : null,
      d?.cost?.usdPer1M != null ? `${fmtUsd(d.cost.usdPer1M)}/1M decode` : null,
      d?.cost?.joulesPerToken != null ? `${fmtNumber(d.cost.joulesPerToken)} J/token` : null,
      d?.efficiency != null ? `${(d.efficiency * 100).toFixed(1)}% of ${d.bound ?? 'bound'} bound` : null,
      d?.ofWebgpu != null ? `${formatPercent(d.ofWebgpu)} of llama.cpp WebGPU${d.kernelLimited ? ' (KERNEL-LIMITED)' : ''}` : null,
      d?.ofNative != null ? `${formatPercent(d.ofNative)} of llama.cpp native` : null,
    ].filter((x): x is string => x !== null);
    return `  ${h.model} ${h.format}: ${parts.join(' · ')}`;
  });
}

export function textTable(result: BenchResult): string {
  const header = ['phase', 'test', 'median', 'p10–p90', 'cv', 'time/unit', 'verification'];
  const body = resultRows(result).map((r) => [r.phase, r.test, r.value, r.spread, r.cv, r.time, r.verification]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((b) => (b[i] ?? '').length))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const peers = hasPeers(result);
  const tokenHeader = ['model', 'format', 'test', 'tok/s', 'src', 'wall tok/s', 'latency', 'efficiency', ...(peers ? ['vs llama.cpp'] : [])];
  const tokenBody = tokenRows(result).map((r) => [r.model, r.format, r.test, r.tokPerSec, r.source, r.wall, r.latency, r.bound, ...(peers ? [r.peers] : [])]);
  const peerText = result.phases.flatMap((p) => (p.workloads ?? []).flatMap(peerLines));
  const tokenWidths = tokenHeader.map((h, i) => Math.min(70, Math.max(h.length, ...tokenBody.map((b) => (b[i] ?? '').length))));
  const tline = (cells: string[]) => cells.map((c, i) => c.padEnd(tokenWidths[i] ?? 0)).join('  ').trimEnd();
  const checks = result.phases.flatMap((p) => p.checks ?? []);
  const lines = [
    `tokenbench ${result.tool.version} (${result.tool.commit.slice(0, 12)}) · suite ${result.config.suite} · ${result.status}`,
    `adapter: ${adapterLabel(result)}`,
    `runtime: ${result.runtime.kind}${result.runtime.userAgent ? ` · ${result.runtime.userAgent}` : ''}${result.runtime.dawn ? ` · ${result.runtime.dawn}` : ''}`,
    result.timer ? `timer: ${result.timer.source}, resolution ${fmtNs(result.timer.resolutionNs)}${result.timer.quantized ? ' (quantised)' : ''}` : 'timer: none',
    ...(headlineLines(result).length ? ['', `headline${isSoftware(result) ? ' (SOFTWARE adapter: not a hardware result)' : ''}:`, ...headlineLines(result)] : []),
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(tokenBody.length
      ? ['', tline(tokenHeader), tline(tokenWidths.map((w) => '-'.repeat(w))), ...tokenBody.map(tline)]
      : []),
    ...(fileLines(result).length ? ['', 'model files:', ...fileLines(result)] : []),
    ...(peerText.length ? ['', 'llama.cpp on the same files (--peer; ratios: tokenbench tok/s / llama.cpp tok/s):', ...peerText] : []),
    ...(gemvLines(result).length ? ['', 'decode GEMV, one token, each projection timed alone, streamed through distinct weight copies (bytes read / median time):', ...gemvLines(result)] : []),
    ...(checks.length
      ? ['', `correctness checks: ${checks.filter((c) => c.verification.state === 'passed').length}/${checks.length} passed` +
          checks.filter((c) => c.verification.state === 'failed').map((c) => `\n  FAILED ${c.id}: ${c.verification.method} (error ${c.verification.error})${c.verification.detail ? ` ${c.verification.detail}` : ''}`).join('')]
      : []),
    '',
    `verification: ${result.verification.state} (${result.verification.passed} passed, ${result.verification.failed} failed)`,
    tuningSummary(result.tuning),
    ...tuningLines(result.tuning),
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

// ---- Export formats: CSV, Markdown (llama-bench-like), github-action-benchmark ----------------------------

/** "$0.123" / "enter a price" for a missing price. */
export function fmtUsd(v: number | null | undefined): string {
  return v === null || v === undefined ? 'enter a price' : `$${fmtNumber(v)}`;
}

/** llama-bench's size column: "4.58 GiB". */
export function fmtBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${units[u]}`;
}

/** llama-bench's params column: "8.03 B", "94.78 K". */
export function fmtParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

/** A Markdown table cell from untrusted text: no pipes, line breaks or HTML survive as markup. */
export function mdCell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\r\n]+/g, ' ');
}

export function mdTable(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  const rule = `| ${header.map((h, i) => (numeric.has(i) ? '-'.repeat(Math.max(3, h.length - 1)) + ':' : '-'.repeat(Math.max(3, h.length)))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * A CSV field (RFC 4180 quoting). Text that a spreadsheet would run as a formula (=, +, -, @ first) is
 * prefixed with a quote: results are untrusted.
 */
export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvText(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Columns of the CSV export (llama-bench-like names where llama-bench has one). */
export const CSV_COLUMNS = [
  'tool_version', 'build_commit', 'gpu_info', 'software_adapter', 'runtime', 'model_type', 'format', 'model_size',
  'model_n_params', 'test', 'kind', 'n_prompt', 'n_gen', 'n_depth', 'n_batch', 'timer', 'avg_ns', 'stddev_ns',
  'value', 'stddev', 'unit', 'wall_value', 'ttft_ms', 'tpot_ms', 'efficiency', 'bound', 'usd_per_1m', 'tokens_per_usd',
  'j_per_token', 'tok_s_per_w', 'verification', 'model_file', 'model_sha256', 'model_arch', 'prompt', 'generated_text',
  'generated_tokens', 'pct_of_llama_webgpu', 'pct_of_llama_native', 'kernel_limited',
] as const;

/** One CSV row per token test, then one per kernel measurement (value in its unit). */
export function csvRows(r: BenchResult): Array<Array<string | number | boolean | null>> {
  const head = [r.tool.version, r.tool.commit, deviceName(r), isSoftware(r), runtimeName(r)];
  const tokens = tokenFigures(r).map((f) => [
    ...head, f.model, f.format, f.weightBytes, f.params, f.test, f.kind, f.promptLen, f.kind === 'decode' ? f.tokens : 0,
    f.depth, f.batch, f.source, f.avgNs, f.sdNs, f.tokPerSec, f.tokPerSecSd, 'tok/s', f.wallTokPerSec, f.ttftMs, f.tpotMs,
    f.efficiency, f.bound, f.cost?.usdPer1M ?? null, f.cost?.tokensPerUsd ?? null, f.cost?.joulesPerToken ?? null,
    f.cost?.tokPerSecPerW ?? null, f.verification, f.file?.file ?? null, f.file?.sha256 ?? null, f.file?.architecture ?? null,
    f.text ? promptOf(f.text) : null, f.text?.generated ?? null, f.generatedTokens?.join(' ') ?? null,
    f.ofWebgpu !== null ? f.ofWebgpu * 100 : null, f.ofNative !== null ? f.ofNative * 100 : null, f.kernelLimited,
  ]);
  const kernels = kernelFigures(r).map((k) => {
    const { mean, sd } = meanSd(k.samplesNs);
    return [
      ...head, null, null, null, null, k.label, k.kind, null, null, null, null, k.source, mean, sd, k.value, null, k.unit,
      null, null, null, null, null, null, null, null, null, k.verification, null, null, null, null, null, null, null, null, null,
    ];
  });
  return [...tokens, ...kernels];
}


export function resultCsv(r: BenchResult): string {
  return csvText(CSV_COLUMNS, csvRows(r));
}

/** One row of the cost summary per workload (strings; "enter a price" where a price is missing). */
export interface CostRow {
  model: string;
  format: string;
  prefill: string;
  decodeBatch1: string;
  decodeBest: string;
  blendedBatch1: string;
  blendedBest: string;
  tokensPerUsd: string;
  joulesPerToken: string;
  tokPerSecPerW: string;
  vsApi: string;
}

export function costRows(r: BenchResult): CostRow[] {
  const c = r.cost;
  if (!c) return [];
  const workloads = new Map(r.phases.flatMap((p) => p.workloads ?? []).map((w) => [w.id, w]));
  return c.workloads.map((w) => {
    const test = (name: string | null) => w.tests.find((t) => t.test === name);
    const withTest = (name: string | null) => {
      const t = test(name);
      return t ? `${fmtUsd(t.usdPer1M)} (${t.test})` : '—';
    };
    const best = w.blended.best;
    const decodeBest = test(w.decodeBest);
    return {
      model: workloads.get(w.workload)?.arch.name ?? w.preset,
      format: w.format,
      prefill: withTest(w.prefill),
      decodeBatch1: withTest(w.decodeBatch1),
      decodeBest: withTest(w.decodeBest),
      blendedBatch1: w.blended.batch1 ? fmtUsd(w.blended.batch1.usdPer1M) : '—',
      blendedBest: best ? fmtUsd(best.usdPer1M) : '—',
      tokensPerUsd: best?.tokensPerUsd != null ? fmtNumber(best.tokensPerUsd) : best ? 'enter a price' : '—',
      joulesPerToken: best?.joulesPerToken != null ? `${fmtNumber(best.joulesPerToken)} J` : 'enter board power',
      tokPerSecPerW: decodeBest?.tokPerSecPerW != null ? fmtNumber(decodeBest.tokPerSecPerW) : 'enter board power',
      vsApi: best?.apiFraction != null ? `${(best.apiFraction * 100).toFixed(1)}% of API` : c.apiBlendedUsdPer1M === null ? 'no API price' : 'enter a price',
    };
  });
}

export const COST_HEADER = [
  'model', 'format', 'prefill $/1M', 'decode b1 $/1M', 'decode best $/1M', `blended b1 $/1M`, 'blended best $/1M',
  'tokens/$ (best)', 'J/token (best)', 'tok/s/W (best decode)', 'vs API (best)',
];

function costRowCells(c: CostRow): string[] {
  return [c.model, c.format, c.prefill, c.decodeBatch1, c.decodeBest, c.blendedBatch1, c.blendedBest, c.tokensPerUsd, c.joulesPerToken, c.tokPerSecPerW, c.vsApi];
}

/** One line on the $/h behind the figures, or the request for a price. */
export function costHeadline(r: BenchResult): string {
  const c = r.cost;
  if (!c) return 'cost: enter a price (hourly-price, or purchase-price + lifetime-years + utilisation) and board-power for $/1M tokens and J/token';
  const h = c.perHour;
  const mix = `${c.inputs.mix.input}:${c.inputs.mix.output}`;
  const perHour = h.total === null ? 'enter a price' : `$${fmtNumber(h.total)}/h (hardware $${fmtNumber(h.hardware ?? 0)}${h.energy !== null ? ` + electricity $${fmtNumber(h.energy)}` : ''})`;
  return (
    `cost: ${perHour} · board power ${c.inputs.boardPowerW !== undefined ? `${c.inputs.boardPowerW} W` : 'not given'} · mix ${mix} input:output` +
    (c.apiBlendedUsdPer1M !== null ? ` · reference API $${fmtNumber(c.apiBlendedUsdPer1M)}/1M blended` : '')
  );
}

/** Cost lines for the CLI's text output (empty when the result has no token workloads). */
export function costText(r: BenchResult): string {
  if (!r.phases.some((p) => p.workloads?.some((w) => w.state === 'ok'))) return '';
  const lines = ['', costHeadline(r)];
  const rows = costRows(r).map(costRowCells);
  if (rows.length) {
    const widths = COST_HEADER.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    lines.push(line(COST_HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  }
  for (const n of r.cost?.notes ?? []) lines.push(`note: ${n}`);
  const engine = costEngineNote(r);
  if (engine) lines.push(`note: ${engine}`);
  return lines.join('\n') + '\n';
}

/**
 * Which engine the cost figures are based on: always tokenbench's own kernels; with a WebGPU peer on the same
 * adapter, how they stand against llama.cpp's, and the kernel-limited tests (their cost overstates the
 * hardware's). Null without peers.
 */
export function costEngineNote(r: BenchResult): string | null {
  if (!hasPeers(r)) return null;
  const limited = tokenFigures(r).filter((f) => f.kernelLimited).map((f) => `${f.model} ${f.format} ${f.test}`);
  return (
    "cost figures are based on tokenbench's own engine (its kernels), not on llama.cpp's" +
    (limited.length ? `; kernel-limited (below ${KERNEL_LIMITED_RATIO * 100} % of llama.cpp WebGPU on this adapter), so their cost overstates what this hardware can do: ${limited.join(', ')}` : '')
  );
}

/** One line naming the run's outcome. */
export function statusLine(r: BenchResult): string {
  const v = r.verification;
  return `${r.status}${resultOk(r) ? ', every figure verified' : ', NOT every figure is valid'} · verification ${v.state} (${v.passed} passed, ${v.failed} failed)` +
    (r.errors.length ? ` · ${r.errors.length} error(s)` : '');
}

/** A metric's name with its unit, unless the name already ends with it (`tiny-q4_0 tg128 tok/s`). */
export function metricLabel(h: { id: string; unit: string }): string {
  return h.id.endsWith(h.unit) ? h.id : `${h.id} (${h.unit})`;
}

/** Every headline metric (src/result/figures.ts) with its median, sample count and timer: what the gate compares. */
function headlineTable(r: BenchResult): string | null {
  const rows = headlineMetrics(r).map((h) => {
    const v = headlineValue(h);
    return [metricLabel(h), `${fmtOptional(v?.value)} ${h.unit}`, `${h.samples[v?.source ?? 'wall-clock']?.length ?? 0}`, v?.source === 'gpu-timestamp' ? 'GPU ts' : 'wall'];
  });
  return rows.length ? mdTable(['metric', 'median', 'samples', 'timer'], rows, new Set([1, 2])) : null;
}

/**
 * A result as Markdown, for the `md` format and GitHub's step summary: outcome, device and runtime; the
 * token tests in llama-bench's layout (model | size | params | backend | test | t/s) with cost, the kernels,
 * then every headline metric.
 */
export function resultMarkdown(r: BenchResult): string {
  const figs = tokenFigures(r);
  const hasCost = !!r.cost;
  const backend = `WebGPU${isSoftware(r) ? ' (software)' : ''}`;
  const peers = hasPeers(r);
  const header = ['model', 'format', 'size', 'params', 'backend', 'test', 't/s', 'bound', ...(peers ? ['vs llama.cpp'] : []), ...(hasCost ? ['$/1M tok', 'J/tok'] : [])];
  const workloads = new Map(r.phases.flatMap((p) => p.workloads ?? []).map((w) => [w.id, w]));
  const rows = figs.map((f) => [
    f.model, f.format, f.weightBytes !== null ? fmtBytes(f.weightBytes) : '?', f.params !== null ? fmtParams(f.params) : '?', backend, f.test,
    `${f.tokPerSec.toFixed(2)} ± ${f.tokPerSecSd.toFixed(2)}`,
    f.efficiency !== null ? `${(f.efficiency * 100).toFixed(1)}% ${f.bound ?? ''}`.trim() : '—',
    ...(peers ? [(workloads.get(f.workload) ? peerCell(workloads.get(f.workload) as Workload, f.test) : '') || '—'] : []),
    ...(hasCost ? [fmtUsd(f.cost?.usdPer1M), f.cost?.joulesPerToken != null ? fmtNumber(f.cost.joulesPerToken) : '—'] : []),
  ]);
  const kernels = kernelFigures(r).map((k) => [k.label, `${fmtNumber(k.value)} ${k.unit}`, `${fmtNumber(k.p10)}–${fmtNumber(k.p90)}`, k.verification]);
  const out = [
    `### tokenbench ${mdCell(r.config.suite)}`,
    '',
    `- **status:** ${mdCell(statusLine(r))}`,
    `- **device:** ${mdCell(adapterLabel(r))}`,
    `- **runtime:** ${mdCell(runtimeName(r))}${r.runtime.endpoint ? ` · ${mdCell(r.runtime.endpoint)}` : ''} · timer: ${r.timer ? r.timer.source : 'none'}`,
    `- **tool:** tokenbench ${mdCell(r.tool.version)} (${mdCell(r.tool.commit.slice(0, 12))})`,
    ...r.errors.map((e) => `- **error** [${e.source}${e.phase ? ` in ${mdCell(e.phase)}` : ''}]: ${mdCell(e.message)}`),
    '',
  ];
  if (rows.length) out.push(mdTable(header, rows, new Set([6])), '');
  const files = fileWorkloads(r);
  const sources = files.flatMap((w) => (w.source?.kind === 'gguf' ? [[w.id, ...modelSourceCells(w.source)]] : []));
  if (sources.length) out.push(mdTable(['workload', 'file', 'size', 'sha256', 'architecture', 'params', 'tensor types'], sources), '');
  const texts = files.flatMap((w) => (w.text ? [[w.id, w.text.prompt !== null ? quoteText(w.text.prompt) : promptOf(w.text), quoteText(w.text.generated)]] : []));
  if (texts.length) out.push(mdTable(['workload', 'prompt', 'generated'], texts), '');
  const peerText = [...workloads.values()].flatMap(peerLines);
  if (peerText.length) out.push('llama.cpp on the same files (`--peer`):', '', ...peerText.map((l) => `- ${mdCell(l.trim())}`), '');
  if (figs.length) {
    out.push(mdCell(costHeadline(r)), '');
    const cr = costRows(r).map(costRowCells);
    if (cr.length) out.push(mdTable(COST_HEADER, cr), '');
  }
  if (kernels.length) out.push(mdTable(['kernel', 'median', 'p10–p90', 'verification'], kernels, new Set([1])), '');
  const headlines = headlineTable(r);
  out.push(headlines ? `Headline metrics (what \`--baseline\` compares):\n\n${headlines}` : 'No headline figures.', '');
  return out.join('\n');
}

/** One entry of github-action-benchmark's customBiggerIsBetter / customSmallerIsBetter JSON. */
export interface GithubBenchEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

function ghExtra(r: BenchResult, source: string): string {
  return `${source === 'gpu-timestamp' ? 'GPU timestamps' : 'wall clock'} · ${adapterLabel(r)} · ${runtimeName(r)}`;
}

/** Rates (tok/s, GB/s, GFLOP/s): customBiggerIsBetter. Names are stable across runs of the same config. */
export function githubBigger(r: BenchResult, prefix = ''): GithubBenchEntry[] {
  return [
    ...tokenFigures(r).map((f) => ({
      name: `${prefix}${f.model} ${f.format} ${f.test}`,
      unit: 'tok/s',
      value: f.tokPerSec,
      range: `± ${f.tokPerSecSd.toPrecision(3)}`,
      extra: ghExtra(r, f.source),
    })),
    ...kernelFigures(r).map((k) => ({
      name: `${prefix}${k.label}`,
      unit: k.unit,
      value: k.value,
      range: `${k.p10.toPrecision(3)}–${k.p90.toPrecision(3)}`,
      extra: ghExtra(r, k.source),
    })),
  ];
}

/** Latencies and costs (TTFT, TPOT ms, $/1M tokens, J/token): customSmallerIsBetter. */
export function githubSmaller(r: BenchResult, prefix = ''): GithubBenchEntry[] {
  const out: GithubBenchEntry[] = [];
  for (const f of tokenFigures(r)) {
    const name = `${prefix}${f.model} ${f.format} ${f.test}`;
    const extra = ghExtra(r, f.source);
    if (f.ttftMs !== null) out.push({ name: `${name} TTFT`, unit: 'ms', value: f.ttftMs, extra });
    if (f.tpotMs !== null) out.push({ name: `${name} TPOT`, unit: 'ms', value: f.tpotMs, extra });
    if (f.cost?.usdPer1M != null) out.push({ name: `${name} cost`, unit: '$/1M tokens', value: f.cost.usdPer1M, extra });
    if (f.cost?.joulesPerToken != null) out.push({ name: `${name} energy`, unit: 'J/token', value: f.cost.joulesPerToken, extra });
  }
  const mix = r.cost ? `${r.cost.inputs.mix.input}:${r.cost.inputs.mix.output}` : '';
  for (const w of r.cost?.workloads ?? []) {
    const b = w.blended.best;
    if (b?.usdPer1M != null) out.push({ name: `${prefix}${w.workload} blended ${mix} best batch cost`, unit: '$/1M tokens', value: b.usdPer1M, extra: `prefill ${b.prefillTest}, decode ${b.decodeTest}` });
  }
  return out;
}

/** Output formats: a table of small functions. */
export const formats = {
  json: (r: BenchResult) => JSON.stringify(r, null, 2) + '\n',
  text: (r: BenchResult) => textTable(r) + '\n' + costText(r),
  csv: (r: BenchResult) => resultCsv(r),
  md: (r: BenchResult) => resultMarkdown(r),
  'github-bigger': (r: BenchResult) => JSON.stringify(githubBigger(r), null, 2) + '\n',
  'github-smaller': (r: BenchResult) => JSON.stringify(githubSmaller(r), null, 2) + '\n',
} as const;

export type FormatName = keyof typeof formats;

/** Default file name for a result. */
export function resultFileName(r: BenchResult): string {
  const stamp = r.startedAt.replace(/[:]/g, '').replace(/\..*$/, '');
  return `tokenbench-${r.config.suite}-${stamp}.json`;
}
