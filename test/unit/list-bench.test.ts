/** The board's list benchmark (npm run board:bench): its arguments, and a tiny run that completes and reports. Not timed. */
import { describe, expect, test } from 'vitest';
import { DEFAULT_BENCH_ARGS, QUERIES, parseBenchArgs, reportText, runBench } from '../../bench/board/bench-list';

describe('parseBenchArgs', () => {
  test('defaults: the embedded engine, 1,000 results, 32 at a time', () => {
    expect(parseBenchArgs([])).toEqual({ kind: 'bench', options: DEFAULT_BENCH_ARGS });
    expect(DEFAULT_BENCH_ARGS).toMatchObject({ database: null, results: 1000, concurrency: 32 });
  });

  test('every option', () => {
    expect(parseBenchArgs(['--database', 'postgres://u@127.0.0.1:5432/b', '--results', '20', '--concurrency', '4', '--requests', '5', '--json'])).toEqual({
      kind: 'bench',
      options: { database: 'postgres://u@127.0.0.1:5432/b', results: 20, concurrency: 4, requests: 5, json: true },
    });
  });

  test.each([
    [['--results', '0'], /--results: expected a whole number from 1 to/],
    [['--results', '1e3'], /--results: expected a whole number/],
    [['--concurrency', '-2'], /--concurrency: expected a whole number from 1 to 1024/],
    [['--requests', 'many'], /--requests: expected a whole number/],
    [['--database', 'mysql://x'], /--database: expected a postgres:\/\/\.\.\. URL/],
    [['--json=1'], /--json takes no value/],
    [['--results'], /--results needs a value/],
    [['--bogus'], /unknown option "--bogus"/],
    [['extra'], /unexpected argument "extra"/],
  ])('%j is refused', (argv, message) => {
    const p = parseBenchArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });

  test('--help', () => expect(parseBenchArgs(['--help'])).toEqual({ kind: 'help' }));
});

test('a tiny run on the embedded engine completes: every query timed idle and under load, every result kept', async () => {
  const r = await runBench({ ...DEFAULT_BENCH_ARGS, results: 20, concurrency: 4, requests: 5 });
  expect(r.check).toMatchObject({ ok: true, hashesMatch: true });
  expect(r.check.stored).toBe(r.check.submitted);
  expect(r.fill.submitted).toBe(20);
  expect(r.check.submitted).toBe(20 + r.load.submitted);
  expect(r.latency.map((l) => `${l.query}/${l.condition}`)).toEqual([
    ...QUERIES.map((q) => `${q.name}/idle`),
    ...QUERIES.map((q) => `${q.name}/under load`),
  ]);
  for (const l of r.latency) {
    expect(l.n).toBe(5);
    expect(l.p50).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
  }
  // Every filter keeps some of the spread, and not all of it.
  for (const l of r.latency.filter((x) => x.condition === 'idle')) expect(l.rows).toBeGreaterThan(0);
  expect(r.timer.source).toBe('performance.now()');
  const text = reportText(r);
  expect(text).toMatch(/count check: \d+ stored of \d+ submitted; .* → ok/);
  expect(text).toMatch(/timer: performance\.now\(\), observed step/);
  expect(text).toMatch(/leaderboard, hardware only\s+under load\s+5/);
}, 120_000);
