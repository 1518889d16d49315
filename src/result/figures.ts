/**
 * Flat figures of a result, the common input of the export formats (csv, md, github-*) and of comparisons:
 * one per `ok` token test and one per `ok` kernel measurement, each with the raw samples behind it; and the
 * result's headline metrics, the one selection the baseline gate, the step summary and fleet tables use.
 * Pure.
 */
import { type SampleComparison, compareSamples, meanSd, median, tokensPerSecond } from '../measure/stats';
import { ratioOf } from './peers';
import type { AdapterInfo, BenchResult, CostTest, Measurement, ModelSource, TimerInfo, TokenTest, Workload, WorkloadText } from '../schema/result';

/**
 * What identifies a workload across results: its id for synthetic weights (preset × format), and for a
 * model file its name and the start of its SHA-256 (`model.gguf@3f2a9c1b2d4e`), so the same file compares
 * with itself whatever the run called it, and a different file of the same name never does. A file
 * workload that failed before its source was known keeps its id.
 */
export function workloadKey(w: Workload): string {
  return w.source?.kind === 'gguf' ? `${w.source.file}@${w.source.sha256.slice(0, 12)}` : w.id;
}

/**
 * The model column of a workload: a model file by its file name (the name inside the file can be shared
 * by many files: every quantisation of one model), anything else by its architecture's name.
 */
export function modelLabel(w: Workload): string {
  if (w.source?.kind === 'gguf') return w.source.file;
  return /\.gguf$/i.test(w.preset) ? w.preset : w.arch.name;
}

export interface TokenFigure {
  /** Stable across runs: workload key + test name (e.g. "tiny-q4_0/tg8 b4", "m.gguf@3f2a9c1b2d4e/tg16"). */
  key: string;
  /** The workload's id in this result. */
  workload: string;
  model: string;
  format: string;
  test: string;
  kind: TokenTest['kind'];
  promptLen: number;
  /** Tokens generated per sequence (decode) or prompt tokens (prefill). */
  tokens: number;
  depth: number;
  batch: number;
  params: number | null;
  weightBytes: number | null;
  /** Aggregate tok/s (median), GPU timestamps when available. */
  tokPerSec: number;
  /** Sample standard deviation of the per-repetition tok/s. */
  tokPerSecSd: number;
  source: TimerInfo['source'];
  wallTokPerSec: number;
  /** Mean ns per repetition (llama-bench's avg_ns) and its sd. */
  avgNs: number;
  sdNs: number;
  ttftMs: number | null;
  tpotMs: number | null;
  perSequence: number | null;
  /** Measured / the tighter of this run's bounds. */
  efficiency: number | null;
  bound: 'bandwidth' | 'compute' | null;
  cost: CostTest | null;
  verification: 'passed' | 'failed' | 'none';
  /** Samples for significance tests: ns per repetition by timer source (tokenSamples). */
  samples: Samples;
  /** The model file the weights came from; null for synthetic weights. */
  file: Extract<ModelSource, { kind: 'gguf' }> | null;
  /** The workload's prompt and generated text, when it has a vocabulary. */
  text: WorkloadText | null;
  /** Generated token ids of the test's first sequence (decode tests that record them). */
  generatedTokens: number[] | null;
  /** tokenbench / llama.cpp on the same file (`--peer`): WebGPU in the page, native; null where that peer has no figure. */
  ofWebgpu: number | null;
  ofNative: number | null;
  /** Below KERNEL_LIMITED_RATIO of llama.cpp's WebGPU backend on the same adapter. */
  kernelLimited: boolean;
}

export interface KernelFigure {
  key: string;
  label: string;
  kind: Measurement['kind'];
  unit: 'GB/s' | 'GFLOP/s';
  value: number;
  p10: number;
  p90: number;
  source: TimerInfo['source'];
  /** ns per unit of work, one per sample (smaller is faster), under the measurement's timer source. */
  samplesNs: number[];
  samples: Samples;
  /** Bytes (GB/s) or FLOPs (GFLOP/s) per unit of work; 0 when not recorded. */
  workPerUnit: number;
  verification: 'passed' | 'failed';
}

export function tokenFigure(r: BenchResult, w: Workload, t: TokenTest): TokenFigure {
  const main = t.gpu ?? t.wall;
  const total = t.kind === 'prefill' ? t.tokens : t.tokens * t.batch;
  const rates = main.samplesNs.map((ns) => tokensPerSecond(total, ns));
  const b = t.bounds;
  let bound: TokenFigure['bound'] = null;
  if (b && b.efficiency !== null) bound = b.bandwidth !== null && (b.compute === null || b.bandwidth <= b.compute) ? 'bandwidth' : 'compute';
  const ns = meanSd(main.samplesNs);
  return {
    key: `${workloadKey(w)}/${t.name}`,
    workload: w.id,
    model: modelLabel(w),
    format: w.format,
    test: t.name,
    kind: t.kind,
    promptLen: t.promptLen,
    tokens: t.tokens,
    depth: t.depth,
    batch: t.batch,
    params: w.accounting?.params ?? null,
    weightBytes: w.accounting?.weightBytes ?? null,
    tokPerSec: main.median,
    tokPerSecSd: meanSd(rates).sd,
    source: t.gpu ? 'gpu-timestamp' : 'wall-clock',
    wallTokPerSec: t.wall.median,
    avgNs: ns.mean,
    sdNs: ns.sd,
    ttftMs: t.ttftMs ? (t.ttftMs.gpu ?? t.ttftMs.wall) : null,
    tpotMs: t.tpotMs ? (t.tpotMs.gpu ?? t.tpotMs.wall) : null,
    perSequence: t.perSequence ?? null,
    efficiency: b?.efficiency ?? null,
    bound,
    cost: r.cost?.workloads.find((c) => c.workload === w.id)?.tests.find((c) => c.test === t.name) ?? null,
    verification: w.verification?.state ?? r.verification.state,
    samples: tokenSamples(t),
    file: w.source?.kind === 'gguf' ? w.source : null,
    text: w.text ?? null,
    generatedTokens: t.generatedTokens ?? null,
    ofWebgpu: ratioOf(w, t.name, 'webgpu')?.ratio ?? null,
    ofNative: ratioOf(w, t.name, 'native')?.ratio ?? null,
    kernelLimited: ratioOf(w, t.name, 'webgpu')?.kernelLimited ?? false,
  };
}

/** One figure per token test of every `ok` workload. */
export function tokenFigures(r: BenchResult): TokenFigure[] {
  return okTests(r).map(([w, t]) => tokenFigure(r, w, t));
}

/**
 * What a run found for one workload, in one line: prefill (the fastest prefill test), decode at batch 1 (the
 * shallowest depth) and at the fastest batch (same depth), each with the figures a buyer asks for. The
 * same choice of tests as the cost summary (src/cost/model.ts costOfWorkload).
 */
export interface WorkloadHeadline {
  workload: string;
  model: string;
  format: string;
  prefill: TokenFigure | null;
  decodeBatch1: TokenFigure | null;
  decodeBest: TokenFigure | null;
}

/** One headline per `ok` workload with token tests, in result order. */
export function workloadHeadlines(r: BenchResult): WorkloadHeadline[] {
  const figs = tokenFigures(r);
  const ids = [...new Set(figs.map((f) => f.workload))];
  const fastest = (xs: TokenFigure[]) => xs.reduce<TokenFigure | null>((b, f) => (!b || f.tokPerSec > b.tokPerSec ? f : b), null);
  return ids.map((id) => {
    const mine = figs.filter((f) => f.workload === id);
    const decodes = mine.filter((f) => f.kind === 'decode');
    const minDepth = Math.min(...decodes.map((f) => f.depth));
    const shallow = decodes.filter((f) => f.depth === minDepth);
    const first = mine[0] as TokenFigure;
    return {
      workload: id,
      model: first.model,
      format: first.format,
      prefill: fastest(mine.filter((f) => f.kind === 'prefill')),
      decodeBatch1: fastest(shallow.filter((f) => f.batch === 1)),
      decodeBest: fastest(shallow),
    };
  });
}

/** Every token test of every `ok` workload, in result order. */
function okTests(r: BenchResult): Array<[Workload, TokenTest]> {
  return r.phases.flatMap((p) => (p.workloads ?? []).filter((w) => w.state === 'ok').flatMap((w) => w.tests.map((t): [Workload, TokenTest] => [w, t])));
}

/** One figure per `ok` kernel measurement (probes, matmul). */
export function kernelFigures(r: BenchResult): KernelFigure[] {
  const out: KernelFigure[] = [];
  for (const p of r.phases) {
    for (const m of p.measurements) {
      if (m.state !== 'ok') continue;
      out.push({
        key: m.id,
        label: m.label,
        kind: m.kind,
        unit: m.metric.unit,
        value: m.metric.median,
        p10: m.metric.p10,
        p90: m.metric.p90,
        source: m.timing.source,
        samplesNs: m.timing.samplesNs.map((ns) => ns / m.timing.unitsPerSample),
        samples: { [m.timing.source]: m.timing.samplesNs.map((ns) => ns / m.timing.unitsPerSample) },
        workPerUnit: (m.metric.unit === 'GB/s' ? m.work.bytes : m.work.flops) ?? 0,
        verification: m.verification.state,
      });
    }
  }
  return out;
}

/** Device name without the software warning (the label is a separate column). */
export function deviceName(r: BenchResult): string {
  const a = r.environment?.adapter;
  return a ? adapterName(a) : 'no adapter';
}

/** An adapter as reports name it: vendor / architecture / device / description, those it gives. */
export function adapterName(a: AdapterInfo): string {
  return [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unknown adapter';
}

export function isSoftware(r: BenchResult): boolean {
  return r.environment?.software.isSoftware ?? false;
}

/** Short runtime: "Chrome 156 (Linux)" or "Node v20.19.0 + webgpu@0.6.2". */
export function runtimeName(r: BenchResult): string {
  const rt = r.runtime;
  if (rt.kind === 'node') return `Node ${rt.node ?? '?'}${rt.dawn ? ` + ${rt.dawn}` : ''}`;
  const ua = rt.userAgent ?? '';
  const browser =
    /\b(Edg)\/(\d+)/.exec(ua) ?? /\b(Firefox)\/(\d+)/.exec(ua) ?? /\b(?:Headless)?(Chrome)\/(\d+)/.exec(ua) ?? /Version\/(\d+).*\b(Safari)\//.exec(ua);
  let name = 'browser';
  if (browser) name = browser[1] === 'Edg' ? `Edge ${browser[2]}` : /^\d+$/.test(browser[1] ?? '') ? `Safari ${browser[1]}` : `${browser[1]} ${browser[2]}`;
  const os = /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Android/.test(ua) ? 'Android' : /Linux/.test(ua) ? 'Linux' : /CrOS/.test(ua) ? 'ChromeOS' : '';
  return os ? `${name} (${os})` : name;
}

// ---- Samples and headline metrics -------------------------------------------------------------------------

export type TimerSource = 'gpu-timestamp' | 'wall-clock';

/** Samples of one figure by timer source, ns (smaller is faster). */
export type Samples = Partial<Record<TimerSource, number[]>>;

/** Timer sources, preferred first. */
export const TIMER_SOURCES: readonly TimerSource[] = ['gpu-timestamp', 'wall-clock'];

/**
 * The one sample definition of a token test, for the gate and compare alike: one sample per repetition
 * (each run's own time), by timer source. Never per-step times pooled across runs: steps of one run are
 * correlated, and wall-clock "steps" were chunk averages copied once per step.
 */
export function tokenSamples(t: TokenTest): Samples {
  return { ...(t.gpu ? { 'gpu-timestamp': t.gpu.samplesNs } : {}), 'wall-clock': t.wall.samplesNs };
}

/** A test of two sample sets under the same timer source, or why they cannot be compared. */
export type SampleTest = { ok: true; source: TimerSource; a: number[]; b: number[]; cmp: SampleComparison } | { ok: false; why: string };

/**
 * Compares two figures on the first timer source both have (GPU timestamps before the wall clock). Samples
 * from different sources are never tested against each other: that is "incomparable".
 */
export function testSamples(a: Samples, b: Samples, alpha: number): SampleTest {
  const source = TIMER_SOURCES.find((s) => a[s]?.length && b[s]?.length);
  if (!source) return { ok: false, why: `timer sources differ (${Object.keys(a).join('/') || 'none'} vs ${Object.keys(b).join('/') || 'none'})` };
  const sa = a[source] as number[];
  const sb = b[source] as number[];
  return { ok: true, source, a: sa, b: sb, cmp: compareSamples(sa, sb, alpha) };
}

/** One headline figure of a result with the samples behind it, per timer source. */
export interface Headline {
  /** Stable across runs of the same configuration: `read-bandwidth`, `tiny-q4_0 tg128 tok/s`, ... */
  id: string;
  unit: 'GB/s' | 'GFLOP/s' | 'tok/s' | 'ms';
  better: 'higher' | 'lower';
  /** Samples in ns (one per repetition, or ns per unit for kernels), by timer source; preferred first. */
  samples: Samples;
  /**
   * The figure in `unit` of a time in ns. A headline's value is toUnit(median of its samples): exactly the
   * figure the result itself reports (tok/s from the median time, not the median of per-sample rates).
   */
  toUnit(ns: number): number;
}

/** The value a headline shows: toUnit of the median of its preferred source's samples. */
export function headlineValue(h: Headline): { value: number; source: TimerSource } | null {
  for (const source of TIMER_SOURCES) {
    const s = h.samples[source];
    if (s?.length) return { value: h.toUnit(median(s)), source };
  }
  return null;
}

function tokenHeadlines(w: Workload, t: TokenTest): Headline[] {
  const total = t.kind === 'prefill' ? t.tokens : t.tokens * t.batch;
  const key = `${workloadKey(w)} ${t.name}`;
  const samples = tokenSamples(t);
  const rate: Headline = { id: `${key} tok/s`, unit: 'tok/s', better: 'higher', samples, toUnit: (ns) => tokensPerSecond(total, ns) };
  if (t.kind === 'prefill') return [rate, { id: `${key} TTFT`, unit: 'ms', better: 'lower', samples, toUnit: (ns) => ns / 1e6 }];
  return [rate, { id: `${key} TPOT`, unit: 'ms', better: 'lower', samples, toUnit: (ns) => ns / t.tokens / 1e6 }];
}

/** Every headline metric of a result: kernel GB/s and GFLOP/s, token tok/s, TTFT and TPOT. Only `ok` figures. */
export function headlineMetrics(r: BenchResult): Headline[] {
  // GB/s = bytes/ns and GFLOP/s = flops/ns, per unit of work.
  const kernels = kernelFigures(r)
    .filter((k) => k.workPerUnit > 0)
    .map((k): Headline => ({ id: k.key, unit: k.unit, better: 'higher', samples: k.samples, toUnit: (ns) => (ns > 0 ? k.workPerUnit / ns : 0) }));
  return [...kernels, ...okTests(r).flatMap(([w, t]) => tokenHeadlines(w, t))];
}
