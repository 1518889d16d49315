/**
 * The board's queries, on either engine (bench/board/database.ts): storing a result once under its
 * content hash, fetching it back byte for byte, listing summaries with filters and paging, and the
 * leaderboard of one model × format.
 */
import { type ExpressionBuilder, sql } from 'kysely';
import type { LeaderRow, WorkloadCount } from '../../src/result/leaderboard';
import type { BenchResult } from '../../src/schema/result';
import type { BoardDb, Tables } from './database';
import { rowCost } from './prices';
import { resultRecord } from './records';

export type { LeaderRow, WorkloadCount };

/** Stores a validated result (its text as received); `created` is false when it was there already. */
export async function storeResult(db: BoardDb, body: string, r: BenchResult): Promise<{ id: string; created: boolean }> {
  const { result, figures } = resultRecord(body, r);
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('results')
      .values(result)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { id: result.id, created: false };
    if (figures.length) await tx.insertInto('figures').values(figures).execute();
    return { id: result.id, created: true };
  });
}

/** The stored text of a result, exactly as it was received; null when there is none. */
export async function resultBody(db: BoardDb, id: string): Promise<string | null> {
  const row = await db.selectFrom('results').select('body').where('id', '=', id).executeTakeFirst();
  return row?.body ?? null;
}

export async function countResults(db: BoardDb): Promise<number> {
  const row = await db.selectFrom('results').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return row.n;
}

/** What a list can be narrowed to; every field optional. */
export interface ResultFilter {
  model?: string;
  format?: string;
  /** Device vendor / architecture, case-insensitive. */
  vendor?: string;
  architecture?: string;
  /** browser | node */
  runtime?: string;
  software?: boolean;
  /** started_at bounds, ISO dates (inclusive). */
  since?: string;
  until?: string;
}

/** One line of a list: what a row of the board shows, no figures. */
export interface ResultSummary {
  id: string;
  startedAt: string;
  receivedAt: string;
  suite: string;
  status: string;
  toolVersion: string;
  device: string;
  vendor: string | null;
  architecture: string | null;
  software: boolean;
  runtimeKind: string;
  runtime: string;
  userAgent: string | null;
  verification: string;
  size: number;
  /** The model × format pairs it has figures for. */
  workloads: Array<{ model: string; format: string }>;
}

/** Where the next page starts: the last row's (started_at, id). */
export interface Cursor {
  startedAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor | null {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) {
      return { startedAt: v[0], id: v[1] };
    }
  } catch {
    // not a cursor of ours
  }
  return null;
}

type ResultsEb = ExpressionBuilder<Tables, 'results'>;

/** The filter as conditions on the results table. */
function filtered(f: ResultFilter) {
  return (eb: ResultsEb) => {
    const and = [];
    if (f.vendor !== undefined) and.push(eb(eb.fn('lower', ['results.device_vendor']), '=', f.vendor.toLowerCase()));
    if (f.architecture !== undefined) and.push(eb(eb.fn('lower', ['results.device_architecture']), '=', f.architecture.toLowerCase()));
    if (f.runtime !== undefined) and.push(eb('results.runtime_kind', '=', f.runtime));
    if (f.software !== undefined) and.push(eb('results.software', '=', f.software));
    if (f.since !== undefined) and.push(eb('results.started_at', '>=', f.since as never));
    if (f.until !== undefined) and.push(eb('results.started_at', '<=', f.until as never));
    if (f.model !== undefined || f.format !== undefined) {
      let figures = eb.selectFrom('figures').select('figures.result_id').whereRef('figures.result_id', '=', 'results.id');
      if (f.model !== undefined) figures = figures.where('figures.model', '=', f.model);
      if (f.format !== undefined) figures = figures.where('figures.format', '=', f.format);
      and.push(eb.exists(figures));
    }
    return eb.and(and);
  };
}

/** Newest first (started_at, then id); `after` continues from a cursor, `offset` skips rows. */
export async function listResults(
  db: BoardDb,
  f: ResultFilter,
  page: { limit: number; offset?: number; after?: Cursor },
): Promise<{ results: ResultSummary[]; next: string | null }> {
  let q = db
    .selectFrom('results')
    .select([
      'id', 'started_at', 'received_at', 'suite', 'status', 'tool_version', 'device', 'device_vendor', 'device_architecture',
      'software', 'runtime_kind', 'runtime', 'user_agent', 'verification', 'size',
    ])
    .where(filtered(f));
  const after = page.after;
  if (after) {
    q = q.where((eb) =>
      eb.or([eb('started_at', '<', after.startedAt as never), eb.and([eb('started_at', '=', after.startedAt as never), eb('id', '<', after.id)])]),
    );
  }
  const rows = await q
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .offset(page.offset ?? 0)
    .execute();
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit);
  const pairs = shown.length
    ? await db
        .selectFrom('figures')
        .select(['result_id', 'model', 'format'])
        .distinct()
        .where('result_id', 'in', shown.map((r) => r.id))
        .orderBy('model')
        .orderBy('format')
        .execute()
    : [];
  const results = shown.map((r): ResultSummary => ({
    id: r.id,
    startedAt: r.started_at.toISOString(),
    receivedAt: r.received_at.toISOString(),
    suite: r.suite,
    status: r.status,
    toolVersion: r.tool_version,
    device: r.device,
    vendor: r.device_vendor,
    architecture: r.device_architecture,
    software: r.software,
    runtimeKind: r.runtime_kind,
    runtime: r.runtime,
    userAgent: r.user_agent,
    verification: r.verification,
    size: r.size,
    workloads: pairs.filter((p) => p.result_id === r.id).map((p) => ({ model: p.model, format: p.format })),
  }));
  const last = shown[shown.length - 1];
  return { results, next: more && last ? encodeCursor({ startedAt: last.started_at.toISOString(), id: last.id }) : null };
}

/**
 * The leaderboard of one model × format: fastest decode at batch 1 first (results without one last). $/1M
 * tokens and J/token are at the board's price for the device when it has one (bench/board/prices.ts).
 */
export async function leaderboard(db: BoardDb, model: string, format: string, f: ResultFilter = {}, limit = 100): Promise<LeaderRow[]> {
  // The tests of the headline view (workloadHeadlines in src/result/figures.ts): decode at batch 1 and the
  // fastest batch, both at the shallowest depth (array_agg ordered by depth, then speed: the first one), and
  // the fastest prefill. Cost, bound and peer shares are those of the test they belong to.
  const decodeB1 = sql`kind = 'decode' and batch = 1`;
  const decode = sql`kind = 'decode'`;
  const ranked = db
    .selectFrom('figures')
    .where('model', '=', model)
    .where('format', '=', format)
    .groupBy('result_id')
    .select([
      'result_id',
      sql<number | null>`(array_agg(tok_per_sec order by depth, tok_per_sec desc) filter (where ${decodeB1}))[1]`.as('decode_b1'),
      sql<number | null>`(array_agg(tok_per_sec order by depth, tok_per_sec desc) filter (where ${decode}))[1]`.as('decode_best'),
      sql<number | null>`(array_agg(batch order by depth, tok_per_sec desc) filter (where ${decode}))[1]`.as('best_batch'),
      sql<number | null>`max(tok_per_sec) filter (where kind = 'prefill')`.as('prefill'),
      sql<number | null>`(array_agg(efficiency order by depth, tok_per_sec desc) filter (where ${decodeB1}))[1]`.as('efficiency'),
      sql<number | null>`(array_agg(of_webgpu order by depth, tok_per_sec desc) filter (where ${decodeB1}))[1]`.as('of_webgpu'),
      sql<number | null>`(array_agg(of_native order by depth, tok_per_sec desc) filter (where ${decodeB1}))[1]`.as('of_native'),
      sql<number | null>`(array_agg(usd_per_1m order by depth, tok_per_sec desc) filter (where ${decode}))[1]`.as('usd_per_1m'),
      sql<number | null>`(array_agg(joules_per_token order by depth, tok_per_sec desc) filter (where ${decode}))[1]`.as('joules_per_token'),
    ])
    .as('best');
  const rows = await db
    .selectFrom('results')
    .innerJoin(ranked, 'best.result_id', 'results.id')
    .leftJoin('prices', 'prices.device', 'results.device')
    .where(filtered({ ...f, model: undefined, format: undefined }))
    .select([
      'results.id', 'results.device', 'results.device_vendor', 'results.device_architecture', 'results.software', 'results.runtime',
      'results.started_at', 'best.decode_b1', 'best.decode_best', 'best.best_batch', 'best.prefill', 'best.efficiency',
      'best.of_webgpu', 'best.of_native', 'best.usd_per_1m', 'best.joules_per_token',
      'prices.hourly_price', 'prices.board_power_w', 'prices.electricity_price',
    ])
    .orderBy(sql`best.decode_b1 desc nulls last`)
    .orderBy(sql`best.decode_best desc nulls last`)
    .orderBy('results.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    device: r.device,
    vendor: r.device_vendor,
    architecture: r.device_architecture,
    software: r.software,
    runtime: r.runtime,
    startedAt: r.started_at.toISOString(),
    decodeB1: r.decode_b1,
    decodeBest: r.decode_best,
    bestBatch: r.best_batch,
    prefill: r.prefill,
    efficiency: r.efficiency,
    ofWebgpu: r.of_webgpu,
    ofNative: r.of_native,
    ...rowCost(
      r.decode_best,
      { usdPer1M: r.usd_per_1m, joulesPerToken: r.joules_per_token },
      r.hourly_price !== null && r.board_power_w !== null ? { hourlyPrice: r.hourly_price, boardPowerW: r.board_power_w, electricityPrice: r.electricity_price } : null,
    ),
    runUsdPer1M: r.usd_per_1m,
    runJoulesPerToken: r.joules_per_token,
  }));
}

/** The model × format pairs the board has figures for, with how many results have each: the page's pickers. */
export async function workloadCounts(db: BoardDb): Promise<WorkloadCount[]> {
  const rows = await db
    .selectFrom('figures')
    .select(['model', 'format', sql<number>`count(distinct result_id)::int`.as('results')])
    .groupBy(['model', 'format'])
    .orderBy('model')
    .orderBy('format')
    .execute();
  return rows.map((r) => ({ model: r.model, format: r.format, results: r.results }));
}
