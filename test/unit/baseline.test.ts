import { describe, expect, test } from 'vitest';
import { headlineMetrics, headlineValue } from '../../src/result/figures';
import { comparabilityWarnings, gate, gateMarkdown, gateText } from '../../src/result/gate';
import type { BenchResult, Measurement } from '../../src/schema/result';
import { validResultWithWorkload } from './fixtures';

/** Eight samples around `ns` with a little spread (deterministic). */
function samples(ns: number, n = 8): number[] {
  return Array.from({ length: n }, (_, i) => ns * (1 + ((i * 7) % 5 - 2) * 0.004));
}

/** A result whose every sample set is large enough for the rank test, scaled by `factor` (time). */
function result(factor = 1, decodeFactor = factor): BenchResult {
  const r = validResultWithWorkload();
  for (const p of r.phases) {
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
    // 67108864 bytes per unit, 1000 ns per sample of 4 units: 67108864 / 250 = 268435 GB/s.
    expect(h?.samples['gpu-timestamp']?.[0]).toBeCloseTo(67_108_864 / 250, 6);
  });

  test('prefill keeps both timer sources; decode uses the per-step times', () => {
    const hs = headlineMetrics(validResultWithWorkload());
    const pp = hs.find((h) => h.id === 'tiny-q4_0 pp16 tok/s');
    expect(Object.keys(pp?.samples ?? {})).toEqual(['gpu-timestamp', 'wall-clock']);
    expect(pp?.samples['gpu-timestamp']?.[0]).toBeCloseTo(16 / 0.1, 6);
    const tpot = hs.find((h) => h.id === 'tiny-q4_0 tg8 b4 TPOT');
    expect(tpot?.samples['wall-clock']).toEqual([40, 41, 39]);
    const tok = hs.find((h) => h.id === 'tiny-q4_0 tg8 b4 tok/s');
    // 4 sequences per step of 40 ms: 100 tok/s.
    expect(tok?.samples['wall-clock']?.[0]).toBeCloseTo(100, 6);
    expect(headlineValue(tpot!)).toEqual({ value: 40, source: 'wall-clock' });
  });

  test('wall-clock chunk averages repeated per step count once each', () => {
    const r = validResultWithWorkload();
    const t = r.phases[1]?.workloads?.[0]?.tests[1];
    if (!t) throw new Error('fixture changed');
    t.stepNs = [5e7, 5e7, 5e7, 6e7, 6e7, 5e7];
    const tpot = headlineMetrics(r).find((h) => h.id.endsWith('TPOT'));
    expect(tpot?.samples['wall-clock']).toEqual([50, 60, 50]);
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

  test('too few samples make a metric inconclusive, never a failure', () => {
    const base = result(0.5);
    const cur = result(1);
    kernel(base).timing.samplesNs = [500, 501];
    kernel(cur).timing.samplesNs = [1000, 1001];
    const bw = gate(base, cur).changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.verdict).toBe('inconclusive');
    expect(bw?.note).toMatch(/2 vs 2 samples cannot reach p < 0.05/);
  });

  test('a slower decode alone fails on decode metrics only', () => {
    const g = gate(result(1, 1), result(1, 1.5));
    expect(g.regressions.map((c) => c.id)).toEqual(['tiny-q4_0 tg8 b4 tok/s', 'tiny-q4_0 tg8 b4 TPOT']);
  });

  test('metrics only in the baseline are missing, new ones are new; neither fails the gate', () => {
    const base = result();
    const cur = result();
    kernel(base).id = 'old-probe';
    const g = gate(base, cur);
    expect(g.changes.find((c) => c.id === 'old-probe')?.verdict).toBe('missing');
    expect(g.changes.find((c) => c.id === 'read-bw-64MiB')?.verdict).toBe('new');
    expect(g.ok).toBe(true);
  });

  test('different timer sources are not compared', () => {
    const base = result(0.5);
    const cur = result(1);
    kernel(cur).timing.source = 'wall-clock';
    const bw = gate(base, cur).changes.find((c) => c.id === 'read-bw-64MiB');
    expect(bw?.verdict).toBe('incomparable');
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
