import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseArgs } from '../../bench/args';
import { parseCompareArgs, runCompare } from '../../bench/compare';
import { withCost } from '../../src/cost/model';
import { parsePageQuery, requestToQuery } from '../../src/runtime/request-text';
import { tokenResult } from './token-fixture';

describe('run flags for cost inputs', () => {
  test('flags of the same names as the URL parameters reach the request, and read the same from the page address', () => {
    const r = parseArgs(['--suite', 'smoke', '--hourly-price', '2.5', '--accelerator', 'l4', '--electricity-price=0.2', '--api-input-price', '0.1', '--api-output-price', '0.4', '--token-mix', '2:1']);
    expect(r.kind).toBe('run');
    if (r.kind !== 'run') return;
    expect(r.options.request.cost).toEqual({ hourlyPrice: 2.5, boardPowerW: 72, accelerator: 'l4', electricityPrice: 0.2, apiInputPrice: 0.1, apiOutputPrice: 0.4, mix: { input: 2, output: 1 } });
    const q = requestToQuery(r.options.request);
    expect(q.toString()).toBe('suite=smoke&hourly-price=2.5&electricity-price=0.2&api-input-price=0.1&api-output-price=0.4&token-mix=2%3A1&accelerator=l4');
    const page = parsePageQuery(`?${q.toString()}`);
    expect(page.ok && page.value.request).toEqual(r.options.request);
  });

  test('no cost flag: no cost inputs', () => {
    const r = parseArgs(['--suite', 'smoke']);
    expect(r.kind === 'run' && r.options.request.cost).toBeNull();
  });

  test.each([
    [['--hourly-price', 'lots'], /^--hourly-price: "lots" is not a non-negative number/],
    [['--hourly-price', 'lots', '--gen', 'x'], /^--gen: "x" is not a non-negative integer; --hourly-price: "lots"/],
    [['--purchase-price', '1000'], /needs lifetime-years and utilisation/],
    [['--accelerator', 'tpu9'], /--accelerator: unknown id "tpu9"/],
    [['--board-power'], /--board-power needs a value/],
  ])('%j is a usage error', (args, message) => {
    const r = parseArgs(args);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.message).toMatch(message);
  });
});

describe('page URL parameters for cost inputs', () => {
  test('known and validated', () => {
    expect(parsePageQuery('?hourly-price=2&board-power=300&token-mix=1:1').ok).toBe(true);
    const bad = parsePageQuery('?hourly-price=2&purchase-price=9');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/either hourly-price/);
  });
});

describe('compare command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenbench-compare-'));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  const bad = join(dir, 'bad.json');
  writeFileSync(a, JSON.stringify(withCost(tokenResult(), { mix: { input: 3, output: 1 }, hourlyPrice: 3.6 })));
  writeFileSync(b, JSON.stringify(tokenResult({ prefill: 1100, decode: 110, batch4: 330 })));
  const broken = tokenResult() as unknown as { phases: Array<{ workloads?: Array<{ format: string }> }> };
  broken.phases[2]!.workloads![0]!.format = 'q3_k';
  writeFileSync(bad, JSON.stringify(broken));

  function run(args: string[]) {
    let out = '';
    let err = '';
    const code = runCompare(args, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
  }

  test.each([
    [['a.json', 'b.json'], { kind: 'compare', files: ['a.json', 'b.json'], format: 'md' }],
    [['a.json', '--format', 'csv'], { kind: 'compare', files: ['a.json'], format: 'csv' }],
    [['--format=github-smaller', 'a.json'], { kind: 'compare', files: ['a.json'], format: 'github-smaller' }],
    [['--help'], { kind: 'help' }],
  ])('args %j', (args, expected) => expect(parseCompareArgs(args)).toEqual(expected));

  test('markdown by default, json on request', () => {
    const md = run([a, b]);
    expect(md.code).toBe(0);
    expect(md.out).toMatch(/\| a\.json \| .* \| tg8 \| 100 \| 20\.0% \| — \| — \| \$10\.0 \|/);
    expect(md.out).toMatch(/\| b\.json \| .* \| tg8 \| 110 \| 20\.0% \| — \| — \| enter a price \|/);
    const json = JSON.parse(run([a, b, '--format', 'json']).out) as { rows: unknown[]; diffs: unknown[] };
    expect(json.rows).toHaveLength(6);
    expect(json.diffs).toHaveLength(1);
  });

  test.each([
    [[] as string[], /needs at least one result file/],
    [['--format', 'xml', 'a.json'], /--format must be one of md, csv, json, github-bigger, github-smaller/],
    [['--bogus'], /unknown option "--bogus"/],
  ])('usage error %j exits 2', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('a result edited after the run is compared all the same, with a warning naming the figure', () => {
    const edited = join(dir, 'edited.json');
    const r = tokenResult();
    const tg8 = r.phases[2]!.workloads![0]!.tests.find((t) => t.name === 'tg8')!;
    tg8.gpu!.median *= 10;
    writeFileSync(edited, JSON.stringify(r));
    const out = run([a, edited]);
    expect(out.code).toBe(0);
    expect(out.out).toMatch(/\| edited\.json \| .* \| tg8 \| 1,?000 \|/);
    expect(out.err).toMatch(/^tokenbench compare: warning: .*edited\.json: inconsistent result \(edited after the run\?\): workload tiny-q4_0, test tg8: gpu\.median is 1000 tok\/s but its samples give 100 tok\/s; \d+ problem\(s\)\n$/);
    expect(run([a, b]).err).toBe('');
  });

  test('a bad or missing file exits 2 and names the file and the JSON path', () => {
    const r = run([a, bad, join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/bad\.json: invalid result at \$\.phases\[2\]\.workloads\[0\]\.format/);
    expect(r.err).toMatch(/missing\.json: cannot read \(ENOENT\)/);
  });
});
