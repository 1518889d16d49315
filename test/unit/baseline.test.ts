import { describe, expect, test } from 'vitest';
import { headlineMetrics, headlineValue } from '../../src/result/figures';
import { comparabilityWarnings, gate, gateMarkdown, gateText } from '../../src/result/gate';
import type { BenchResult, Measurement } from '../../src/schema/result';
import { validResultWithWorkload } from './fixtures';

/** Eight samples around `ns` with a little spread (deterministic). */
function samples(ns: number, n = 8): number[] {
  return Array.from({ length: n }, (_, i) => ns * (1 + ((i * 7) % 5 - 2) * 0.004));
}

/**
 * A valid result (every figure ok or skipped, checks passed) whose every sample set is large enough for
 * the rank test, scaled by `factor` (time).
 */
function result(factor = 1, decodeFactor = factor): BenchResult {
  const r = validResultWithWorkload();
  r.verification = { state: 'passed', passed: 2, failed: 0 };
  for (const p of r.phases) {
    p.measurements = p.measurements.filter((m) => m.state === 'ok' || m.state === 'skipped');
    for (const m of p.measurements) if ('timing' in m) m.timing.samplesNs = samples(1000 * factor);
    for (const w of p.workloads ?? []) {
      for (const t of w.tests) {
        const f = t.kind === 'decode' ? decodeFactor : factor;
        if (t.gpu) t.gpu = { ...t.gpu, samplesNs: samples(1e8 * f) };
        t.wall = { ...t.wall, samplesNs: samples(1.1e8 * f) };
        if (t.stepNs) t.stepNs = samples(4e7 * f, 12);
        if (t.kind === 'decode') t.itlSource = 'gpu-timestamp';
      }
    }
  }
  return r;
}

function kernel(r: BenchResult): Measurement & { state: 'ok' } {
  return r.phases[0]?.measurements.find((m) => m.state === 'ok') as Measurement & { state: 'ok' };
}

describe('headline metrics', () => {
  test('kernel rates, prefill tok/s + TTFT and decode tok/s + TPOT, only from ok figures', () => {
    const hs = headlineMetrics(validResultWithWorkload());
    expect(hs.map((h) => `${h.id} [${h.unit}, ${h.better}]`)).toEqual([
      'read-bw-64MiB [GB/s, higher]',
      'tiny-q4_0 pp16 tok/s [tok/s, higher]',
      'tiny-q4_0 pp16 TTFT [ms, lower]',
      'tiny-q4_0 tg8 b4 tok/s [tok/s, higher]',
      'tiny-q4_0 tg8 b4 TPOT [ms, lower]',
    ]);
  });

  test('kernel samples become GB/s per unit of work', () => {
    const r = validResultWithWorkload();
    const m = kernel(r);
    m.timing.unitsPerSample = 4;
    const h = headlineMetrics(r)[0];
    // 67108864 bytes per unit, 1000 ns per sample of 4 units: 250 ns per unit, 67108864 / 250 = 268435 GB/s.
    expect(h?.samples['gpu-timestamp']?.[0]).toBeCloseTo(250, 9);
    expect(h?.toUnit(250)).toBeCloseTo(67_108_864 / 250, 6);
  });

  test('prefill and decode keep both timer sources, one sample per repetition', () => {
    const hs = headlineMetrics(validResultWithWorkload());
    const pp = hs.find((h) => h.id === 'tiny-q4_0 pp16 tok/s');
    expect(Object.keys(pp?.samples ?? {})).toEqual(['gpu-timestamp', 'wall-clock']);
    expect(pp?.toUnit(pp.samples['gpu-timestamp']?.[0] ?? 0)).toBeCloseTo(16 / 0.1, 6);
    const r = validResultWithWorkload();
    const t = r.phases[1]?.workloads?.[0]?.tests[1];
    if (!t) throw new Error('fixture changed');
    const tpot = headlineMetrics(r).find((h) => h.id === 'tiny-q4_0 tg8 b4 TPOT');
    // One sample per repetition (the run's own time), never the per-step times.
    expect(tpot?.samples['wall-clock']).toEqual(t.wall.samplesNs);
    expect(tpot?.toUnit(1e8)).toBeCloseTo(1e8 / t.tokens / 1e6, 9);
    const tok = headlineMetrics(r).find((h) => h.id === 'tiny-q4_0 tg8 b4 tok/s');
    expect(tok?.toUnit(1e9)).toBeCloseTo(t.tokens * t.batch, 9);
    expect(headlineValue(tpot!)?.source).toBe(t.gpu ? 'gpu-timestamp' : 'wall-clock');
    // The headline is tok/s of the median time (the result's own definition), not a median of rates.
    const ns = [...(t.gpu ?? t.wall).samplesNs].sort((x, y) => x - y);
    const mid = ns.length % 2 ? (ns[(ns.length - 1) / 2] as number) : ((ns[ns.length / 2 - 1] as number) + (ns[ns.length / 2] as number)) / 2;
    expect(headlineValue(tok!)?.value).toBeCloseTo((t.tokens * t.batch) / (mid / 1e9), 6);
  });

  test('per-step times (and chunk averages copied per step) never become samples', () => {
    const r = validResultWithWorkload();
    const t = r.phases[1]?.workloads?.[0]?.tests[1];
    if (!t) throw new Error('fixture changed');
    t.stepNs = Array<number>(128).fill(5e7);
    const tpot = headlineMetrics(r).find((h) => h.id.endsWith('TPOT'));
    expect(tpot?.samples['wall-clock']).toHaveLength(t.wall.samplesNs.length);
  });

  test('invalid and skipped figures have no headline', () => {
    const ids = headlineMetrics(validResultWithWorkload()).map((h) => h.id);
    expect(ids).not.toContain('fma-f16');
    expect(ids).not.toContain('matmul-f32-257');
  });
});

describe('baseline gate', () => {
  test('a result is its own baseline: nothing moves, the gate passes', () => {
    const r = result();
    const g = gate(r, structuredClone(r));
    expect(g.ok).toBe(true);
    expect(g.regressions).toEqual([]);
    expect(g.changes.every((c) => c.verdict === 'unchanged' && c.change === 0)).toBe(true);
  });

  test('a faster baseline fails the gate on every metric, in the right direction', () => {
    const g = gate(result(0.5), result(1));
    expect(g.ok).toBe(false);
    expect(g.regressions.map((c) => c.id)).toEqual(g.changes.map((c) => c.id));
    const tpot = g.changes.find((c) => c.id.endsWith('TPOT'));
    expect(tpot?.change).toBeCloseTo(1, 6); // time per token doubled
    expect(tpot?.worse).toBeCloseTo(1, 6);
    const bw = g.changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.change).toBeCloseTo(-0.5, 6); // bandwidth halved
    expect(bw?.p).toBeLessThan(0.01);
  });

  test('an improvement is reported and passes', () => {
    const g = gate(result(1), result(0.8));
    expect(g.ok).toBe(true);
    expect(new Set(g.changes.map((c) => c.verdict))).toEqual(new Set(['improved']));
  });

  test.each([
    [0.05, 'unchanged'],
    [0.02, 'regressed'],
  ] as const)('a significant 3%% slowdown with --max-regression %s is %s', (maxRegression, verdict) => {
    const g = gate(result(1), result(1.03), { maxRegression });
    const bw = g.changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.significant).toBe(true);
    expect(bw?.verdict).toBe(verdict);
    expect(g.ok).toBe(verdict === 'unchanged');
  });

  test('a large median change within overlapping noise is not significant and passes', () => {
    const base = result();
    const cur = result();
    kernel(base).timing.samplesNs = [100, 300, 120, 280, 110, 290];
    kernel(cur).timing.samplesNs = [150, 310, 140, 300, 130, 320];
    const bw = gate(base, cur).changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.significant).toBe(false);
    expect(bw?.verdict).toBe('unchanged');
    expect(bw?.note).toMatch(/not significant/);
  });

  test('too few samples make a metric inconclusive, and inconclusive fails the gate unless allowed', () => {
    const base = result(0.5);
    const cur = result(1);
    kernel(base).timing.samplesNs = [500, 501];
    kernel(cur).timing.samplesNs = [1000, 1001];
    const g = gate(base, cur, { maxRegression: 10 });
    const bw = g.changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.verdict).toBe('inconclusive');
    expect(bw?.note).toMatch(/2 vs 2 samples cannot reach p < 0.05/);
    expect(g.ok).toBe(false);
    expect(g.unjudged.map((c) => c.id)).toEqual(['read-bw-64MiB']);
    expect(gateText(g, 'b')).toMatch(/1 metric\(s\) could not be judged \(1 inconclusive; --allow inconclusive accepts them\)/);
    expect(gate(base, cur, { maxRegression: 10, allow: ['inconclusive'] }).ok).toBe(true);
  });

  test('two 3-sample results: inconclusive (the smallest p is 0.1), not unchanged', () => {
    const base = result(1);
    const cur = result(2);
    kernel(base).timing.samplesNs = [1000, 1001, 1002];
    kernel(cur).timing.samplesNs = [2000, 2001, 2002];
    const bw = gate(base, cur).changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.verdict).toBe('inconclusive');
    expect(bw?.note).toMatch(/3 vs 3 samples cannot reach p < 0.05 \(the smallest possible p is 0.100\)/);
  });

  test('a new result that is not valid fails the gate, even against itself and with everything allowed', () => {
    const r = validResultWithWorkload(); // a matmul failed its check
    const g = gate(r, structuredClone(r), { allow: ['missing', 'invalid', 'incomparable', 'inconclusive'] });
    expect(g.ok).toBe(false);
    expect(g.resultProblem).toMatch(/the new result is not valid: 1 check\(s\) failed, 1 figure\(s\) not ok \(matmul-f32-257 invalid/);
    expect(gateText(g, 'b')).toMatch(/baseline gate FAILED: the new result is not valid/);
  });

  test('a result whose figures all turned invalid fails: each baseline metric is INVALID, not missing', () => {
    const base = result();
    const cur = result();
    for (const p of cur.phases) {
      p.measurements = p.measurements.map((m) => (m.state === 'ok' ? { ...m, state: 'invalid' as const, reason: 'output does not match the CPU reference' } : m)) as Measurement[];
      for (const w of p.workloads ?? []) Object.assign(w, { state: 'invalid', reason: 'full-forward check failed', tests: [] });
    }
    const g = gate(base, cur);
    expect(g.ok).toBe(false);
    expect(new Set(g.changes.map((c) => c.verdict))).toEqual(new Set(['invalid']));
    expect(g.changes.find((c) => c.id === 'tiny-q4_0 pp16 tok/s')?.note).toMatch(/this run's figure is invalid: full-forward check failed/);
  });

  test('a slower decode alone fails on decode metrics only', () => {
    const g = gate(result(1, 1), result(1, 1.5));
    expect(g.regressions.map((c) => c.id)).toEqual(['tiny-q4_0 tg8 b4 tok/s', 'tiny-q4_0 tg8 b4 TPOT']);
  });

  test('a metric only in the baseline is missing and fails the gate unless allowed; a new one is new and passes', () => {
    const base = result();
    const cur = result();
    kernel(base).id = 'old-probe';
    const g = gate(base, cur);
    expect(g.changes.find((c) => c.id === 'old-probe')?.verdict).toBe('missing');
    expect(g.changes.find((c) => c.id === 'read-bw-64MiB')?.verdict).toBe('new');
    expect(g.ok).toBe(false);
    expect(gate(base, cur, { allow: ['missing'] }).ok).toBe(true);
  });

  test('different timer sources are not compared: incomparable fails unless allowed', () => {
    const base = result(0.5);
    const cur = result(1);
    kernel(cur).timing.source = 'wall-clock';
    const g = gate(base, cur, { maxRegression: 10 });
    const bw = g.changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.verdict).toBe('incomparable');
    expect(g.ok).toBe(false);
    expect(gate(base, cur, { maxRegression: 10, allow: ['incomparable'] }).ok).toBe(true);
  });

  test('GPU timestamps on one side only: token tests fall back to wall clock on both', () => {
    const base = result(0.5);
    const cur = result(1);
    const pp = cur.phases[1]?.workloads?.[0]?.tests[0];
    if (!pp) throw new Error('fixture changed');
    pp.gpu = null;
    const c = gate(base, cur).changes.find((x) => x.id === 'tiny-q4_0 pp16 tok/s');
    expect(c?.source).toBe('wall-clock');
    expect(c?.verdict).toBe('regressed');
  });

  test('warnings name what differs between the runs', () => {
    const base = result();
    const cur = result();
    cur.config.suite = 'standard';
    cur.runtime = { kind: 'browser', userAgent: 'Chrome' };
    cur.environment!.adapter.description = 'Other GPU';
    const w = comparabilityWarnings(base, cur);
    expect(w.join('\n')).toMatch(/suites differ/);
    expect(w.join('\n')).toMatch(/adapters differ/);
    expect(w.join('\n')).toMatch(/runtimes differ/);
  });

  test('text and Markdown reports say what moved and by how much', () => {
    const g = gate(result(0.5), result(1));
    const text = gateText(g, 'old.json');
    expect(text).toMatch(/read-bw-64MiB \(GB\/s\)\s+\S+\s+\S+\s+-50\.0%\s+\S+\s+REGRESSED/);
    expect(text).toMatch(/baseline gate FAILED: 5 metric\(s\) got worse by more than 5%/);
    const md = gateMarkdown(g, 'old.json');
    expect(md).toMatch(/^### Baseline comparison/);
    expect(md).toMatch(/\| \*\*read-bw-64MiB \(GB\/s\)\*\* \|/);
    expect(md).toMatch(/❌ baseline gate FAILED/);
    expect(gateMarkdown(gate(result(), result()), 'x')).toMatch(/✅ baseline gate passed/);
  });
});
