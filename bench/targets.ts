/**
 * The performance targets of the project (kernels near the roofline, decode and prefill against PyTorch
 * on the same machine) checked against a tokenbench result and, optionally, the JSON of
 * bench/device/torch_baseline.py. A target is "met" only from a hardware measurement that ran and was
 * verified; a software adapter or a missing figure is "not measured", never met.
 *
 *   npx tsx bench/targets.ts RESULT.json [TORCH.json]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtNumber, mdTable } from '../src/result/formats';
import { type BenchResult, type TokenTest, type Workload, parseResultText } from '../src/schema/result';

/** What bench/device/torch_baseline.py writes. */
export interface TorchBaseline {
  device: string;
  torch: string;
  read_gbs: number;
  sgemm4096_tflops_no_tf32: number;
  hgemm8192_tflops: number;
  models: Record<string, { f16?: { prefill_tok_s: number; decode_tok_s: number; prompt: number; gen: number } }>;
}

export interface TargetRow {
  target: string;
  goal: string;
  measured: string;
  status: 'met' | 'short' | 'not measured';
  note?: string;
}

const workloads = (r: BenchResult): Workload[] => r.phases.flatMap((p) => p.workloads ?? []).filter((w) => w.state === 'ok');
const rate = (t: TokenTest) => (t.gpu ?? t.wall).median;

function decodeTest(w: Workload | undefined): TokenTest | undefined {
  return w?.tests.find((t) => t.kind === 'decode' && t.batch === 1 && t.depth === 0);
}

function measurementValue(r: BenchResult, id: string): { value: number | null; why: string } {
  for (const p of r.phases) {
    for (const m of p.measurements) {
      if (m.id !== id) continue;
      if (m.state === 'ok') return { value: m.metric.median, why: '' };
      return { value: null, why: m.state === 'skipped' ? m.reason : m.state === 'errored' ? m.error : m.state };
    }
  }
  return { value: null, why: `no ${id} measurement in this result` };
}

/** Every target in one table, in the order of the project's performance issue. */
export function evaluateTargets(r: BenchResult, torch?: TorchBaseline): TargetRow[] {
  const software = r.environment?.software.isSoftware ?? true;
  const softwareNote = software ? 'software adapter: not a hardware result' : undefined;
  const hw = (value: number | null, goal: number, measured: string, why: string): Pick<TargetRow, 'measured' | 'status' | 'note'> => {
    if (value === null) return { measured: '—', status: 'not measured', note: why };
    if (software) return { measured, status: 'not measured', ...(softwareNote ? { note: softwareNote } : {}) };
    return { measured, status: value >= goal ? 'met' : 'short' };
  };
  const rows: TargetRow[] = [];
  const byId = new Map(workloads(r).map((w) => [w.id, w]));

  // Decode projections: aggregate bytes over aggregate time, against the run's read ceiling.
  for (const id of ['llama-3.1-8b-f16', 'llama-3.2-1b-q4_0']) {
    // Only streamed, cache-safe, plausible figures count: a cache-served GEMV can meet the target unearned.
    const g = (byId.get(id)?.gemv ?? []).filter((x) => x.state !== 'implausible' && x.streamed?.cacheSafe === true);
    const withCeiling = g.filter((x) => x.ofReadCeiling !== null);
    const bytes = withCeiling.reduce((s, x) => s + x.readBytes, 0);
    const ns = withCeiling.reduce((s, x) => s + x.timing.perUnitNs.median, 0);
    const ceiling = withCeiling[0] ? withCeiling[0].gbps / (withCeiling[0].ofReadCeiling as number) : null;
    const frac = ns > 0 && ceiling ? bytes / ns / ceiling : null;
    const worst = withCeiling.length ? Math.min(...withCeiling.map((x) => x.ofReadCeiling as number)) : null;
    rows.push({
      target: `decode GEMV ${id} (all projections)`,
      goal: '≥ 90% of read ceiling',
      ...hw(frac, 0.9, frac !== null ? `${(frac * 100).toFixed(1)}% (worst ${((worst ?? 0) * 100).toFixed(0)}%)` : '—', `no streamed, cache-safe GEMV figures for ${id}`),
    });
  }
  const f32 = measurementValue(r, 'matmul-f32-4096x4096x4096');
  rows.push({ target: 'f32 GEMM 4096³', goal: '≥ 45 TFLOP/s', ...hw(f32.value, 45_000, `${fmtNumber((f32.value ?? 0) / 1000)} TFLOP/s`, f32.why) });
  const f16 = measurementValue(r, 'matmul-f16-sgmat-8192x8192x8192');
  rows.push({ target: 'f16 GEMM 8192³ (subgroup matrix)', goal: '≥ 300 TFLOP/s', ...hw(f16.value, 300_000, `${fmtNumber((f16.value ?? 0) / 1000)} TFLOP/s`, f16.why) });

  const d8 = decodeTest(byId.get('llama-3.1-8b-f16'));
  const eff = d8?.bounds?.bandwidth ? rate(d8) / d8.bounds.bandwidth : null;
  rows.push({
    target: 'decode llama-3.1-8b f16 vs its bandwidth bound',
    goal: '≥ 85%',
    ...hw(eff, 0.85, eff !== null ? `${(eff * 100).toFixed(1)}% (${fmtNumber(rate(d8 as TokenTest))} tok/s)` : '—', 'no batch-1 decode of llama-3.1-8b f16 with a bandwidth bound'),
  });
  const d1 = decodeTest(byId.get('llama-3.2-1b-q4_0'));
  rows.push({
    target: 'decode llama-3.2-1b q4_0',
    goal: '≥ 1,500 tok/s',
    ...hw(d1 ? rate(d1) : null, 1500, d1 ? `${fmtNumber(rate(d1))} tok/s` : '—', 'no batch-1 decode of llama-3.2-1b q4_0'),
  });
  for (const model of ['llama-3.1-8b', 'llama-3.2-1b']) {
    const ours = decodeTest(byId.get(`${model}-f16`));
    const theirs = torch?.models[model]?.f16?.decode_tok_s;
    const ratio = ours && theirs ? rate(ours) / theirs : null;
    rows.push({
      target: `decode ${model} f16 vs PyTorch eager`,
      goal: '≥ 90% of PyTorch',
      ...hw(ratio, 0.9, ratio !== null ? `${(ratio * 100).toFixed(0)}% (${fmtNumber(rate(ours as TokenTest))} vs ${fmtNumber(theirs as number)} tok/s)` : '—', theirs ? `no batch-1 decode of ${model} f16` : 'no PyTorch figure (run bench/device/torch_baseline.py)'),
    });
  }
  const pp = byId.get('llama-3.1-8b-f16')?.tests.find((t) => t.kind === 'prefill' && t.promptLen === 512);
  const torchPp = torch?.models['llama-3.1-8b']?.f16?.prefill_tok_s;
  const ppRatio = pp && torchPp ? rate(pp) / torchPp : null;
  rows.push({
    target: 'prefill pp512 llama-3.1-8b f16 vs PyTorch',
    goal: '≥ 50% of PyTorch',
    ...hw(ppRatio, 0.5, ppRatio !== null ? `${(ppRatio * 100).toFixed(0)}% (${fmtNumber(rate(pp as TokenTest))} vs ${fmtNumber(torchPp as number)} tok/s)` : '—', torchPp ? 'no pp512 of llama-3.1-8b f16' : 'no PyTorch figure (run bench/device/torch_baseline.py)'),
  });

  // Hardware-independent: they hold (or not) on any adapter, software included.
  const all = workloads(r);
  const dispatches = all.map((w) => w.accounting?.dispatchesPerLayer).filter((d): d is number => d !== undefined);
  rows.push(
    dispatches.length
      ? { target: 'dispatches per decode layer', goal: '≤ 6', measured: `max ${Math.max(...dispatches)} over ${dispatches.length} workloads`, status: Math.max(...dispatches) <= 6 ? 'met' : 'short' }
      : { target: 'dispatches per decode layer', goal: '≤ 6', measured: '—', status: 'not measured', note: 'no workload ran' },
  );
  // The tiny test models hold ~50 kB of weights, so their activations dominate: the target is about real models.
  const ratios = all.filter((w) => !w.preset.startsWith('tiny')).flatMap((w) => w.tests.filter((t) => t.kind === 'decode' && t.batch === 1 && t.traffic).map((t) => t.traffic?.ratio as number));
  rows.push(
    ratios.length
      ? { target: 'bytes read per decoded token (batch 1)', goal: '≤ 1.05 × needed', measured: `max ${Math.max(...ratios).toFixed(4)}x over ${ratios.length} tests`, status: Math.max(...ratios) <= 1.05 ? 'met' : 'short' }
      : { target: 'bytes read per decoded token (batch 1)', goal: '≤ 1.05 × needed', measured: '—', status: 'not measured', note: 'no batch-1 decode test of a real model (tiny models are left out)' },
  );
  return rows;
}

export function targetsMarkdown(r: BenchResult, torch?: TorchBaseline): string {
  const rows = evaluateTargets(r, torch);
  const head = `targets for ${r.environment ? `${r.environment.adapter.vendor} ${r.environment.adapter.architecture} ${r.environment.adapter.description}`.trim() : 'no device'} · tokenbench ${r.tool.version} (${r.tool.commit.slice(0, 12)}) · ${r.startedAt}${torch ? ` · PyTorch ${torch.torch} on ${torch.device}` : ''}`;
  return `${head}\n\n${mdTable(['target', 'goal', 'measured', 'status', 'note'], rows.map((x) => [x.target, x.goal, x.measured, x.status, x.note ?? '']))}\n`;
}

const isEntry = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  const [resultPath, torchPath] = process.argv.slice(2);
  if (!resultPath) {
    process.stderr.write('usage: npx tsx bench/targets.ts RESULT.json [TORCH.json]\n');
    process.exit(2);
  }
  const parsed = parseResultText(readFileSync(resultPath, 'utf8'));
  if (!parsed.ok) {
    process.stderr.write(`targets: ${resultPath} is not a valid tokenbench result: ${parsed.error}\n`);
    process.exit(2);
  }
  let torch: TorchBaseline | undefined;
  if (torchPath) {
    try {
      torch = JSON.parse(readFileSync(torchPath, 'utf8')) as TorchBaseline;
    } catch (e) {
      process.stderr.write(`targets: cannot read ${torchPath}: ${(e as Error).message}\n`);
      process.exit(2);
    }
  }
  process.stdout.write(targetsMarkdown(parsed.result, torch));
}
