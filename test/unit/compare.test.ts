import { describe, expect, test } from 'vitest';
import { withCost } from '../../src/cost/model';
import {
  COMPARE_HEADER,
  COMPARE_SCHEMA_ID,
  compareFormats,
  compareResults,
  compareRowCells,
  diffResults,
  isCompareFormat,
  uniqueLabels,
} from '../../src/result/compare';
import { tokenResult } from './token-fixture';

const mix = { input: 3, output: 1 };
const a = { label: 'a.json', result: withCost(tokenResult(), { mix, hourlyPrice: 3.6, boardPowerW: 500 }) };
// 20% faster everywhere: decode steps, repetitions and kernels.
const faster = tokenResult({ prefill: 1200, decode: 120, batch4: 384 }, { readGBs: 120, fmaGflops: 1200, matmulGflops: 480 });
faster.environment!.software = { isSoftware: true, reason: 'SwiftShader' };
const b = { label: 'b.json', result: withCost(faster, { mix, hourlyPrice: 3.6, boardPowerW: 500 }) };

describe('comparison table', () => {
  const c = compareResults([a, b]);

  test('one row per token test of each result, with the figures of that result', () => {
    expect(c.rows.map((r) => `${r.result} ${r.key}`)).toEqual([
      'a.json tiny-q4_0/pp16', 'a.json tiny-q4_0/tg8', 'a.json tiny-q4_0/tg8 b4',
      'b.json tiny-q4_0/pp16', 'b.json tiny-q4_0/tg8', 'b.json tiny-q4_0/tg8 b4',
    ]);
    expect(c.rows[1]).toMatchObject({ tokPerSec: 100, efficiency: 0.2, usdPer1M: expect.closeTo(10, 9), joulesPerToken: expect.closeTo(5, 9), verification: 'passed', software: false });
    expect(c.rows[4]).toMatchObject({ tokPerSec: 120, usdPer1M: expect.closeTo(10 / 1.2, 9), software: true });
  });

  test('display cells: software label, % of bound, $ and the "enter a price" fallback', () => {
    expect(COMPARE_HEADER).toHaveLength(compareRowCells(c.rows[0]!).length);
    expect(compareRowCells(c.rows[4]!)).toEqual(['b.json', 'nvidia / hopper / NVIDIA H100 80GB HBM3', 'SOFTWARE', 'Node v20.19.0 + webgpu@0.6.2', 'tiny', 'q4_0', 'tg8', '120', '20.0%', '—', '—', '$8.33', '4.17', 'passed']);
    const unpriced = compareResults([{ label: 'x', result: tokenResult() }]);
    expect(compareRowCells(unpriced.rows[0]!)[11]).toBe('enter a price');
  });

  test('summaries name the device, runtime, verification and $/h', () => {
    expect(c.results.map((r) => [r.label, r.software, r.costPerHour, r.verification.state])).toEqual([
      ['a.json', false, 3.6, 'passed'],
      ['b.json', true, 3.6, 'passed'],
    ]);
  });
});

describe('two-result diff', () => {
  const d = diffResults(a, b);
  const row = (key: string) => d.rows.find((r) => r.key === key);

  test('% change of every common figure', () => {
    expect(row('tiny-q4_0/tg8')?.change).toBeCloseTo(0.2, 9);
    expect(row('tiny-q4_0/tg8#$/1M tokens')?.change).toBeCloseTo(1 / 1.2 - 1, 9);
    expect(row('read-bandwidth')).toMatchObject({ unit: 'GB/s', a: 100, b: 120 });
  });

  test('decode (6 repetitions a side) is significantly better; 3 repetitions a side cannot be', () => {
    expect(row('tiny-q4_0/tg8')).toMatchObject({ significant: true, verdict: 'better' });
    expect(row('tiny-q4_0/tg8')!.p).toBeLessThan(0.01);
    expect(row('tiny-q4_0/tg8')!.note).toMatch(/rank test on 6 vs 6 repetition times \(gpu-timestamp\)/);
    // 3 vs 3 samples: the exact rank-sum test cannot go below p = 0.1, so the change is not tested at all.
    expect(row('tiny-q4_0/pp16')).toMatchObject({ significant: false, verdict: 'not tested' });
    expect(row('read-bandwidth')).toMatchObject({ significant: true, verdict: 'better' });
  });

  test('the other way round it is worse; against itself no change', () => {
    expect(diffResults(b, a).rows.find((r) => r.key === 'tiny-q4_0/tg8')).toMatchObject({ verdict: 'worse' });
    const same = diffResults(a, { ...a, label: 'a again' });
    expect(same.rows.filter((r) => r.p !== null).every((r) => !r.significant && r.change === 0)).toBe(true);
  });

  test('GPU-timestamp samples are never tested against wall-clock ones: incomparable', () => {
    const gpuOnly = structuredClone(b);
    const wallOnly = structuredClone(a);
    for (const t of wallOnly.result.phases.flatMap((p) => p.workloads ?? []).flatMap((w) => w.tests)) t.gpu = null;
    for (const t of gpuOnly.result.phases.flatMap((p) => p.workloads ?? []).flatMap((w) => w.tests)) t.wall = { ...t.wall, samplesNs: [] as unknown as [number] };
    const r = diffResults(wallOnly, gpuOnly).rows.find((x) => x.key === 'tiny-q4_0/tg8');
    expect(r).toMatchObject({ verdict: 'incomparable', p: null, significant: false });
    expect(r?.note).toMatch(/timer sources differ/);
  });

  test('derived cost figures get a change but no test', () => {
    expect(row('tiny-q4_0/tg8#J/token')).toMatchObject({ p: null, verdict: 'not tested', biggerIsBetter: false });
  });

  test('a comparison diffs each later result against the first', () => {
    const c = compareResults([a, b, { ...b, label: 'c.json' }]);
    expect(c.diffs.map((x) => `${x.candidate} vs ${x.baseline}`)).toEqual(['b.json vs a.json', 'c.json vs a.json']);
  });
});

describe('comparison export formats', () => {
  test.each(['md', 'csv', 'json', 'github-bigger', 'github-smaller'])('%s is a known format', (f) => expect(isCompareFormat(f)).toBe(true));

  test('json carries the schema id, rows and diffs', () => {
    const j = JSON.parse(compareFormats.json([a, b]));
    expect(j.schema).toBe(COMPARE_SCHEMA_ID);
    expect(j.rows).toHaveLength(6);
    expect(j.diffs[0].rows.length).toBeGreaterThan(3);
  });

  test('markdown: results, table and diff', () => {
    const md = compareFormats.md([a, b]);
    expect(md).toMatch(/\| b\.json \| nvidia .* \| SOFTWARE ADAPTER \|/);
    expect(md).toMatch(/\| a\.json \| .* \| tg8 \| 100 \| 20\.0% \| — \| — \| \$10\.0 \| 5\.00 \| passed \|/);
    expect(md).toMatch(/\*\*b\.json\*\* vs \*\*a\.json\*\*/);
    expect(md).toMatch(/\| tiny q4_0 tg8 \| tok\/s \| 100 \| 120 \| \+20\.0% \| 0\.00\d \| better \|/);
  });

  test('csv: a result column before the single-result columns', () => {
    const lines = compareFormats.csv([a, b]).trim().split('\n');
    expect(lines[0]).toMatch(/^result,tool_version,/);
    expect(lines.filter((l) => l.startsWith('b.json,'))).toHaveLength(6);
  });

  test('github entries are prefixed with the result label', () => {
    const big = JSON.parse(compareFormats['github-bigger']([a, b])) as Array<{ name: string }>;
    expect(big.map((e) => e.name)).toContain('[b.json] tiny q4_0 tg8');
    const names = big.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('labels are made unique', () => {
    expect(uniqueLabels(['r.json', 'x.json', 'r.json'])).toEqual(['r.json', 'x.json', 'r.json (2)']);
  });
});
