import { describe, expect, test } from 'vitest';
import { withCost } from '../../src/cost/model';
import { CSV_COLUMNS, csvCell, fmtBytes, fmtParams, formats, githubBigger, githubSmaller, mdCell } from '../../src/result/formats';
import { rooflineOf, throughputCurves } from '../../src/result/efficiency';
import { tokenFigures } from '../../src/result/figures';
import type { BenchResult } from '../../src/schema/result';
import { tokenResult } from './token-fixture';

const priced = (): BenchResult => withCost(tokenResult(), { mix: { input: 3, output: 1 }, hourlyPrice: 3.6, boardPowerW: 500 });

/** Minimal CSV reader for the tests (quoted fields, doubled quotes). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += ch;
  }
  return rows;
}

describe('the formats table', () => {
  test('keeps json and text and adds csv, md, github-bigger, github-smaller', () => {
    expect(Object.keys(formats).sort()).toEqual(['csv', 'github-bigger', 'github-smaller', 'json', 'md', 'text']);
    for (const f of Object.values(formats)) expect(typeof f(tokenResult())).toBe('string');
  });
});

describe('csv', () => {
  test('one row per token test and kernel, llama-bench-like columns, full-precision numbers', () => {
    const rows = readCsv(formats.csv(priced()));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + 3 + 3);
    const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const pp = rows[1] as string[];
    expect([pp[col('model_type')], pp[col('test')], pp[col('value')], pp[col('unit')], pp[col('usd_per_1m')], pp[col('j_per_token')]]).toEqual(['tiny', 'pp16', '1000', 'tok/s', '1', '0.5']);
    expect(pp[col('model_size')]).toBe('55296');
    const tg = rows[3] as string[];
    expect([tg[col('test')], tg[col('n_gen')], tg[col('n_batch')], tg[col('usd_per_1m')]]).toEqual(['tg8 b4', '8', '4', '3.125']);
    const kernel = rows[4] as string[];
    expect([kernel[col('test')], kernel[col('value')], kernel[col('unit')]]).toEqual(['read bandwidth (4 MiB)', '100', 'GB/s']);
  });

  test.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['line\nbreak', '"line\nbreak"'],
  ])('cell %j → %s', (input, out) => {
    expect(csvCell(input)).toBe(out);
  });

  test('numbers stay numbers (negative ones too); null and NaN are empty', () => {
    expect([csvCell(-1.5), csvCell(null), csvCell(NaN), csvCell(true)]).toEqual(['-1.5', '', '', 'true']);
  });
});

describe('markdown', () => {
  test('llama-bench layout with t/s ± sd, cost columns and the software label', () => {
    const md = formats.md(priced());
    expect(md).toMatch(/\| model \| format \| size \| params \| backend \| test \| t\/s \| bound \| \$\/1M tok \| J\/tok \|/);
    expect(md).toMatch(/\| tiny \| q4_0 \| 54\.00 KiB \| 94\.78 K \| WebGPU \| pp16 \| 1000\.00 ± \d+\.\d\d \| 50\.0% compute \| \$1\.00 \| 0\.500 \|/);
    expect(md).toMatch(/cost: \$3\.60\/h/);
    expect(md).toMatch(/\| read bandwidth \(4 MiB\) \| 100 GB\/s \|/);
  });

  test('without cost inputs it asks for a price instead of inventing one', () => {
    const md = formats.md(tokenResult());
    expect(md).toMatch(/cost: enter a price/);
    expect(md).not.toMatch(/\$\/1M tok \|/);
  });

  test('untrusted strings cannot break the table or inject HTML', () => {
    expect(mdCell('a|b\n<script>')).toBe('a\\|b &lt;script&gt;');
    const r = tokenResult();
    r.environment!.adapter.description = 'evil | <img src=x onerror=alert(1)>';
    const md = formats.md(r);
    expect(md).not.toMatch(/<img/);
    expect(md).toMatch(/evil \\\| &lt;img/);
  });

  test.each([
    [55296, '54.00 KiB'],
    [4.58 * 2 ** 30, '4.58 GiB'],
    [100, '100.00 B'],
  ])('size %d → %s', (b, s) => expect(fmtBytes(b)).toBe(s));

  test.each([
    [94784, '94.78 K'],
    [8.03e9, '8.03 B'],
    [1.5e6, '1.50 M'],
  ])('params %d → %s', (n, s) => expect(fmtParams(n)).toBe(s));
});

describe('github-action-benchmark', () => {
  test('bigger is better: tok/s per token test and kernel rates, unique names', () => {
    const entries = githubBigger(priced());
    expect(entries.map((e) => [e.name, e.unit, e.value])).toEqual([
      ['tiny q4_0 pp16', 'tok/s', 1000],
      ['tiny q4_0 tg8', 'tok/s', 100],
      ['tiny q4_0 tg8 b4', 'tok/s', 320],
      ['read bandwidth (4 MiB)', 'GB/s', 100],
      ['f32 FMA peak', 'GFLOP/s', 1000],
      ['matmul f32 64x64x64', 'GFLOP/s', 400],
    ]);
    expect(JSON.parse(formats['github-bigger'](priced()))).toEqual(JSON.parse(JSON.stringify(entries)));
  });

  test('smaller is better: TTFT, TPOT, $/1M tokens and J/token; names unique', () => {
    const entries = githubSmaller(priced());
    const names = entries.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(entries).toContainEqual(expect.objectContaining({ name: 'tiny q4_0 pp16 TTFT', unit: 'ms', value: 16 }));
    expect(entries).toContainEqual(expect.objectContaining({ name: 'tiny q4_0 tg8 TPOT', unit: 'ms', value: 10 }));
    expect(entries).toContainEqual(expect.objectContaining({ name: 'tiny q4_0 tg8 cost', unit: '$/1M tokens', value: expect.closeTo(10, 9) }));
    expect(entries).toContainEqual(expect.objectContaining({ name: 'tiny q4_0 tg8 b4 energy', unit: 'J/token', value: expect.closeTo(1.5625, 9) }));
    expect(entries).toContainEqual(expect.objectContaining({ name: 'tiny-q4_0 blended 3:1 best batch cost', value: expect.closeTo(1.53125, 9) }));
  });

  test('without cost inputs only latencies are reported', () => {
    expect(githubSmaller(tokenResult()).map((e) => e.unit)).toEqual(['ms', 'ms', 'ms']);
  });
});

describe('text (CLI)', () => {
  test('appends the cost summary, or the request for a price', () => {
    expect(formats.text(priced())).toMatch(/cost: \$3\.60\/h .*\n.*blended best \$\/1M[\s\S]*tiny\s+q4_0\s+\$1\.00 \(pp16\)/);
    expect(formats.text(tokenResult())).toMatch(/cost: enter a price/);
  });
});

describe('figures and efficiency views', () => {
  test('every token figure is tested on one sample per repetition, never on pooled decode steps', () => {
    const f = tokenFigures(tokenResult());
    expect(f.map((x) => [x.key, x.samples['gpu-timestamp']?.length, x.samples['wall-clock']?.length])).toEqual([
      ['tiny-q4_0/pp16', 3, 3],
      ['tiny-q4_0/tg8', 6, 6],
      ['tiny-q4_0/tg8 b4', 6, 6],
    ]);
  });

  test('roofline: ceilings from the probes, matmul and every token test as points', () => {
    const roof = rooflineOf(tokenResult());
    expect(roof).toMatchObject({ bandwidthGBs: 100, peakGflops: 1000, ridge: 10 });
    expect(roof.points.map((p) => p.kind)).toEqual(['kernel', 'prefill', 'decode', 'decode']);
    // matmul 64³: 2·64³ FLOP over 4·3·64² bytes = 64/6 FLOP/B, at 400 GFLOP/s.
    expect(roof.points[0]).toMatchObject({ intensity: expect.closeTo(64 / 6, 9), gflops: 400 });
    // Decode at batch 4 reads the weights once for four tokens: higher intensity than batch 1.
    expect(roof.points[3]!.intensity).toBeGreaterThan(roof.points[2]!.intensity * 2);
    expect(roof.matrixPeakGflops).toBeNull();
    expect(roof.points.every((p) => p.units === 'vector')).toBe(true);
  });

  test('roofline: f16 subgroup-matrix GEMMs and f16-input token tests sit under the matrix-unit roof, not the f32 one', () => {
    const r = tokenResult();
    const m = r.phases.flatMap((p) => p.measurements).find((x) => x.state === 'ok' && x.kind === 'matmul');
    if (!m || m.state !== 'ok') throw new Error('fixture changed');
    const sg = structuredClone(m);
    Object.assign(sg, { id: 'matmul-f16-sgmat-64x64x64', label: 'matmul f16 subgroup-matrix 64x64x64' });
    sg.metric = { ...sg.metric, median: 5000 };
    r.phases[1]!.measurements.push(sg);
    const pp = r.phases.flatMap((p) => p.workloads ?? [])[0]!.tests[0]!;
    pp.arithmetic = 'f16-inputs';
    const roof = rooflineOf(r);
    expect(roof.matrixPeakGflops).toBe(5000);
    expect(roof.peakGflops).toBe(1000);
    expect(roof.points.filter((p) => p.units === 'matrix').map((p) => p.label)).toEqual(['matmul f16 subgroup-matrix 64x64x64', 'tiny q4_0 pp16']);
  });

  test('throughput vs interactivity from batched decode', () => {
    expect(throughputCurves(tokenResult())).toEqual([
      { label: 'tiny q4_0', points: [{ batch: 1, aggregate: 100, perSequence: 100 }, { batch: 4, aggregate: 320, perSequence: 80 }] },
    ]);
  });
});

describe('inter-token latency without per-token samples', () => {
  test('the token table says n/a instead of percentiles of chunk averages', () => {
    const r = tokenResult();
    const t = r.phases.flatMap((p) => p.workloads ?? [])[0]!.tests[1]!;
    delete t.itlNs;
    t.itlNote = 'n/a: per-token latency needs per-token samples; GPU timestamps are quantised to 100000 ns';
    expect(formats.text(r)).toMatch(/TPOT \S+ ms · ITL n\/a \(no per-token samples\)/);
  });
});
