/**
 * `npm run board:bench -- [--database URL] [--results N] [--concurrency C] [--requests R] [--json]`: how
 * fast the results board answers its lists, idle and under load. A board is started in this process on
 * 127.0.0.1 (the embedded database in a temporary folder, or an empty PostgreSQL database), filled with N
 * distinct synthetic results (bench/board/sample-results.ts) C at a time, then every query of QUERIES is
 * sent R times, one after the other, twice: with the board idle, and while C lanes submit ("under load"):
 * a second batch of N new results, then those same results again (answered "already there": the board
 * validates and hashes each, but holds no more than 2N) until every query has been timed. Latency is the client's: performance.now() from the request to the last byte of
 * the answer. At the end every submitted result must be stored, under the SHA-256 of its bytes. Exit codes:
 * 0 done · 1 the board failed (a request, a submission or the count check) · 2 usage error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { observeClock } from '../../src/measure/resolution';
import { quantileSorted } from '../../src/measure/stats';
import { HELP_OPTION } from '../args';
import { type CliOption, commandHelp, helpOrError, readCommandLine } from '../command-line';
import { submitText } from '../../src/result/submit';
import { type Engine, openDatabase } from './database';
import { engineLabel } from './main';
import { contentHash } from './records';
import { spreadResult } from './sample-results';
import { startBoard } from './server';
import { countResults } from './store';

export interface BenchArgs {
  /** A PostgreSQL database (empty); null: the embedded engine in a temporary folder. */
  database: string | null;
  /** Results the board holds before the queries are timed. */
  results: number;
  /** Submissions in flight at once, when filling and under load. */
  concurrency: number;
  /** Timed requests per query and condition. */
  requests: number;
  json: boolean;
}

export const DEFAULT_BENCH_ARGS: BenchArgs = { database: null, results: 1000, concurrency: 32, requests: 100, json: false };

/** Unmeasured requests of each query before its timed ones (connection set up, plans cached). */
export const WARMUP_REQUESTS = 5;

type Reading = BenchArgs & { help: boolean };

const count = (name: keyof BenchArgs, min: number, max: number): CliOption<Reading>['set'] => (s, v, flag) => {
  const n = Number(v);
  if (!/^\d+$/.test(v as string) || n < min || n > max) return `${flag}: expected a whole number from ${min} to ${max}, got "${v}"`;
  (s as unknown as Record<string, number>)[name] = n;
  return null;
};

const SECTION = 'Options';

const BENCH_OPTIONS: ReadonlyArray<CliOption<Reading>> = [
  {
    name: 'database', type: 'string', value: 'URL', section: SECTION,
    help: 'an empty PostgreSQL database: postgres://user@host:5432/db (default: the embedded engine in a temporary folder)',
    set: (s, v) => (/^postgres(ql)?:\/\//.test(v as string) ? ((s.database = v as string), null) : `--database: expected a postgres://... URL, got "${v}"`),
  },
  { name: 'results', type: 'string', value: 'N', section: SECTION, help: `results on the board before timing (default ${DEFAULT_BENCH_ARGS.results})`, set: count('results', 1, 1_000_000) },
  { name: 'concurrency', type: 'string', value: 'C', section: SECTION, help: `submissions in flight at once (default ${DEFAULT_BENCH_ARGS.concurrency})`, set: count('concurrency', 1, 1024) },
  { name: 'requests', type: 'string', value: 'R', section: SECTION, help: `timed requests per query, idle and under load (default ${DEFAULT_BENCH_ARGS.requests})`, set: count('requests', 1, 1_000_000) },
  { name: 'json', type: 'boolean', section: SECTION, help: 'print the report as JSON instead of a table', set: (s) => ((s.json = true), null) },
  HELP_OPTION as CliOption<Reading>,
];

export const BENCH_USAGE = commandHelp(
  {
    usage: 'Usage: npm run board:bench -- [--database URL] [--results N] [--concurrency C] [--requests R] [--json]',
    about:
      "Times the results board's lists on loopback: fills a board started in this process with N synthetic\n" +
      'results, then sends each query R times with the board idle and R times while submissions go on.',
    sections: [{ title: SECTION }],
    footer: 'Exit codes: 0 done · 1 the board failed a request, a submission or the count check · 2 usage error.',
  },
  BENCH_OPTIONS,
);

export type ParsedBenchArgs = { kind: 'bench'; options: BenchArgs } | { kind: 'help' } | { kind: 'error'; message: string };

/** Parses the benchmark's arguments. Pure. */
export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  const r: Reading = { ...DEFAULT_BENCH_ARGS, help: false };
  const error = readCommandLine(argv, BENCH_OPTIONS, r);
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  const { help: _help, ...options } = r;
  return { kind: 'bench', options };
}

/** Runs `work` over every item with at most `size` in flight; the results in item order. */
export async function pool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: size }, lane));
  return out;
}

/** The queries timed: the board page's lists (filters of the spread in sample-results.ts) and leaderboards. */
export const QUERIES: ReadonlyArray<{ name: string; path: string }> = [
  { name: 'list, newest 50', path: '/api/results?limit=50' },
  { name: 'list model+format', path: '/api/results?model=tiny&format=q4_0&limit=50' },
  { name: 'list vendor, hardware only', path: '/api/results?vendor=nvidia&software=0&limit=50' },
  { name: 'list model+format+vendor+software=0', path: '/api/results?model=tiny&format=q8_0&vendor=amd&software=0&limit=100' },
  { name: 'leaderboard', path: '/api/leaderboard?model=tiny&format=q4_0' },
  { name: 'leaderboard, hardware only', path: '/api/leaderboard?model=tiny&format=f16&software=0' },
];

export interface QueryLatency {
  query: string;
  path: string;
  condition: 'idle' | 'under load';
  /** Timed requests. */
  n: number;
  /** Rows in the answer (results of a list, rows of a leaderboard). */
  rows: number;
  /** Milliseconds, R type 7 quantiles (src/measure/stats.ts). */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface BenchReport {
  engine: string;
  machine: { cpus: number; cpu: string; node: string; platform: string };
  date: string;
  timer: { source: 'performance.now()'; quantumNs: number; minStepNs: number };
  results: number;
  concurrency: number;
  requests: number;
  warmup: number;
  fill: { submitted: number; seconds: number };
  /** Submissions sent a second time after a connection error (not a refusal: those fail the run). */
  resent: number;
  /** Under load: new results (at most N), and results of that batch sent again. */
  load: { submitted: number; again: number; seconds: number };
  /** Every submitted result is stored, once, under the SHA-256 of its bytes. */
  check: { submitted: number; stored: number; hashesMatch: boolean; ok: boolean };
  latency: QueryLatency[];
}

/** POSTs results `from` … up to `to` (exclusive) of spread `salt`, `size` at a time; throws on the first refusal. */
async function submitSpread(url: string, from: number, to: number, size: number, salt: number, ids: string[]): Promise<void> {
  const indices = Array.from({ length: to - from }, (_, k) => from + k);
  await pool(indices, size, async (i) => void ids.push(await submitOne(url, spreadResult(i, salt))));
}

/** Submissions sent again after a connection error (a result is stored once, by its hash: safe to resend). */
let resent = 0;

/** Submits one result; its id, checked to be the SHA-256 of the bytes sent. */
async function submitOne(url: string, result: unknown): Promise<string> {
  const text = JSON.stringify(result);
  let outcome = await submitText(text, { url, token: null });
  // A keep-alive connection the server closed as the client reused it (ECONNRESET): once more, counted.
  if (!outcome.ok && outcome.status === null) {
    resent++;
    outcome = await submitText(text, { url, token: null });
  }
  if (!outcome.ok) throw new Error(`a submission failed: ${outcome.error}`);
  if (outcome.id !== contentHash(text)) throw new Error(`the board named a submission ${outcome.id}, not the SHA-256 of its bytes`);
  return outcome.id;
}

/** One request, timed to the last byte of the answer; the answer's row count. */
async function timedGet(url: string): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { results?: unknown[]; rows?: unknown[] };
  return { ms, rows: (body.results ?? body.rows ?? []).length };
}

async function timeQuery(base: string, q: (typeof QUERIES)[number], requests: number, condition: QueryLatency['condition']): Promise<QueryLatency> {
  for (let i = 0; i < WARMUP_REQUESTS; i++) await timedGet(base + q.path);
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < requests; i++) {
    const t = await timedGet(base + q.path);
    ms.push(t.ms);
    rows = t.rows;
  }
  const sorted = ms.sort((a, b) => a - b);
  const at = (p: number) => quantileSorted(sorted, p);
  return { query: q.name, path: q.path, condition, n: requests, rows, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) as number };
}

/** The whole benchmark; `log` hears what it is doing. Throws when the board fails. */
export async function runBench(o: BenchArgs, log: (line: string) => void = () => undefined): Promise<BenchReport> {
  const dir = o.database ? null : mkdtempSync(join(tmpdir(), 'tokenbench-board-bench-'));
  const engine: Engine = o.database ? { kind: 'postgres', url: o.database } : { kind: 'embedded', dir };
  const db = await openDatabase(engine);
  try {
    if ((await countResults(db)) !== 0) throw new Error(`the ${engineLabel(engine)} already holds results: give the benchmark an empty database`);
    const board = await startBoard(db, '127.0.0.1', 0, { rateLimit: { rate: 0, burst: 1 }, log, pageDir: null });
    try {
      const clock = observeClock();
      resent = 0;
      const ids: string[] = [];
      log(`filling the board (${engineLabel(engine)}) with ${o.results} results, ${o.concurrency} at a time`);
      let t0 = performance.now();
      await submitSpread(board.url, 0, o.results, o.concurrency, 0, ids);
      const fill = { submitted: ids.length, seconds: (performance.now() - t0) / 1000 };
      const latency: QueryLatency[] = [];
      log(`idle: ${QUERIES.length} queries × ${o.requests} requests`);
      for (const q of QUERIES) latency.push(await timeQuery(board.url, q, o.requests, 'idle'));
      // Under load: lanes submit a second batch (spread 1), then send it again, until every query has been timed.
      log(`under load: the same, while ${o.concurrency} lanes submit ${o.results} new results, then send them again`);
      let loading = true;
      let next = 0;
      let again = 0;
      const before = ids.length;
      const lane = async () => {
        while (loading) {
          const i = next++;
          const id = await submitOne(board.url, spreadResult(i % o.results, 1));
          if (i < o.results) ids.push(id);
          else again++;
        }
      };
      t0 = performance.now();
      const lanes = Promise.all(Array.from({ length: o.concurrency }, lane));
      try {
        for (const q of QUERIES) latency.push(await timeQuery(board.url, q, o.requests, 'under load'));
      } finally {
        loading = false;
        await lanes;
      }
      const load = { submitted: ids.length - before, again, seconds: (performance.now() - t0) / 1000 };
      const stored = await db.selectFrom('results').select(['id', 'body']).execute();
      const storedIds = new Set(stored.map((r) => r.id));
      const hashesMatch = stored.every((r) => contentHash(r.body) === r.id) && ids.every((id) => storedIds.has(id));
      const check = { submitted: ids.length, stored: stored.length, hashesMatch, ok: hashesMatch && stored.length === new Set(ids).size && new Set(ids).size === ids.length };
      const cpu = cpus();
      return {
        engine: engineLabel(engine),
        machine: { cpus: cpu.length, cpu: cpu[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` },
        date: new Date().toISOString(),
        timer: { source: 'performance.now()', quantumNs: clock.quantumNs, minStepNs: clock.minStepNs },
        results: o.results,
        concurrency: o.concurrency,
        requests: o.requests,
        warmup: WARMUP_REQUESTS,
        fill,
        resent,
        load,
        check,
        latency,
      };
    } finally {
      await board.close();
    }
  } finally {
    await db.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (v: number) => v.toFixed(2);

/** The report as a table. */
export function reportText(r: BenchReport): string {
  const head = ['query', 'condition', 'n', 'rows', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  const body = r.latency.map((l) => [l.query, l.condition, String(l.n), String(l.rows), ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [
    `board list latency · ${r.engine} · ${r.date}`,
    `machine: ${r.machine.cpus} × ${r.machine.cpu} · Node ${r.machine.node} · ${r.machine.platform}`,
    `timer: ${r.timer.source}, observed step ${(r.timer.minStepNs / 1000).toFixed(3)} µs (quantum ${r.timer.quantumNs} ns); ` +
      `latency = request sent to last byte received, on 127.0.0.1, one request at a time, after ${r.warmup} unmeasured`,
    `filled: ${r.fill.submitted} results, ${r.concurrency} at a time, in ${r.fill.seconds.toFixed(1)} s · ` +
      `under load: ${r.load.submitted} new and ${r.load.again} sent again in ${r.load.seconds.toFixed(1)} s ` +
      `(${((r.load.submitted + r.load.again) / r.load.seconds).toFixed(0)} submissions/s; the board held ${r.fill.submitted} → ${r.fill.submitted + r.load.submitted} results)`,
    ...(r.resent ? [`resent after a connection error: ${r.resent} submission(s)`] : []),
    `count check: ${r.check.stored} stored of ${r.check.submitted} submitted; ids are the SHA-256 of the stored bodies: ${r.check.hashesMatch ? 'yes' : 'NO'} → ${r.check.ok ? 'ok' : 'FAILED'}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ].join('\n');
}

export async function benchMain(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  const code = helpOrError('tokenbench board:bench', parsed, BENCH_USAGE);
  if (code !== null || parsed.kind !== 'bench') return code ?? 2;
  const o = parsed.options;
  let report: BenchReport;
  try {
    report = await runBench(o, (line) => process.stderr.write(`board:bench: ${line}\n`));
  } catch (e) {
    process.stderr.write(`board:bench: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${o.json ? JSON.stringify(report, null, 2) : reportText(report)}\n`);
  return report.check.ok ? 0 : 1;
}

const isEntry = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  benchMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`board:bench: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
