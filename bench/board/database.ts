/**
 * The board's database: one Kysely query layer and one set of migrations over two engines, PGlite
 * (PostgreSQL compiled to WebAssembly, embedded, files in --data) by default and a PostgreSQL server with
 * --database postgres://... Both are PostgreSQL, so every query and migration is the same SQL on both.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type ColumnType, Kysely, type Migration, Migrator, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { FigureRow, ResultRow } from './records';

/** A timestamp column: written as ISO text, read back as a Date by both drivers. */
type Timestamp = ColumnType<Date, string, never>;

export interface ResultsTable extends Omit<ResultRow, 'started_at' | 'finished_at'> {
  started_at: Timestamp;
  finished_at: Timestamp;
  received_at: ColumnType<Date, never, never>;
}

/** The board's price per accelerator (bench/board/prices.ts); `device` is a result's device name. */
export interface PricesTable {
  device: string;
  hourly_price: number;
  board_power_w: number;
  electricity_price: number | null;
  updated_at: ColumnType<Date, string, string>;
}

export interface Tables {
  results: ResultsTable;
  figures: FigureRow;
  prices: PricesTable;
}

export type BoardDb = Kysely<Tables>;

/** Where the embedded database lives by default: $XDG_DATA_HOME/tokenbench/board, else ~/.local/share/... */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(base, 'tokenbench', 'board');
}

/** Which engine: the embedded one in a folder (null: in memory, tests only), or a PostgreSQL server. */
export type Engine = { kind: 'embedded'; dir: string | null } | { kind: 'postgres'; url: string };

/** Opens the database and brings its schema up to date. */
export async function openDatabase(engine: Engine): Promise<BoardDb> {
  let db: BoardDb;
  if (engine.kind === 'embedded') {
    if (engine.dir) mkdirSync(resolve(engine.dir), { recursive: true });
    const lite = engine.dir ? await PGlite.create(resolve(engine.dir)) : await PGlite.create();
    db = new Kysely<Tables>({ dialect: new PGliteDialect(lite) });
  } else {
    const pool = new pg.Pool({ connectionString: engine.url, max: 10 });
    // An idle connection the server drops (a restart, an administrator, the end of a test cluster) is an
    // 'error' on the pool: said on stderr, and the pool opens a new connection for the next query. Without a
    // listener it would be an uncaught error that ends the board.
    pool.on('error', (e) => process.stderr.write(`board: PostgreSQL dropped an idle connection: ${e.message}\n`));
    db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    await migrate(db);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return db;
}

/**
 * The migrations, in order, never edited once released: a change of schema is a new entry. Results are
 * immutable; figures are derived from them, so a migration that changes how figures are extracted may
 * rebuild the figures table from the stored bodies.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-results-and-figures': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('results')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('tool_version', 'text', (c) => c.notNull())
        .addColumn('tool_commit', 'text', (c) => c.notNull())
        .addColumn('suite', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
        .addColumn('device', 'text', (c) => c.notNull())
        .addColumn('device_vendor', 'text')
        .addColumn('device_architecture', 'text')
        .addColumn('device_description', 'text')
        .addColumn('software', 'boolean', (c) => c.notNull())
        .addColumn('runtime_kind', 'text', (c) => c.notNull())
        .addColumn('runtime', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text')
        .addColumn('verification', 'text', (c) => c.notNull())
        .execute();
      // Lists are newest first, paged by (started_at, id).
      await db.schema.createIndex('results_started').on('results').columns(['started_at', 'id']).execute();
      await db.schema.createIndex('results_vendor').on('results').expression(sql`lower(device_vendor)`).execute();
      await db.schema.createIndex('results_architecture').on('results').expression(sql`lower(device_architecture)`).execute();
      await db.schema.createIndex('results_runtime').on('results').columns(['runtime_kind', 'software']).execute();
      await db.schema
        .createTable('figures')
        .addColumn('result_id', 'text', (c) => c.notNull().references('results.id'))
        .addColumn('workload', 'text', (c) => c.notNull())
        .addColumn('test', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('batch', 'integer', (c) => c.notNull())
        .addColumn('depth', 'integer', (c) => c.notNull())
        .addColumn('prompt_len', 'integer', (c) => c.notNull())
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .addColumn('tok_per_sec', 'double precision', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('efficiency', 'double precision')
        .addColumn('ttft_ms', 'double precision')
        .addColumn('tpot_ms', 'double precision')
        .addColumn('of_webgpu', 'double precision')
        .addColumn('of_native', 'double precision')
        .addColumn('usd_per_1m', 'double precision')
        .addColumn('joules_per_token', 'double precision')
        .addColumn('verification', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('figures_pk', ['result_id', 'workload', 'test'])
        .execute();
      await db.schema.createIndex('figures_model_format').on('figures').columns(['model', 'format', 'result_id']).execute();
    },
  },
  '0002-prices': {
    async up(db: Kysely<unknown>) {
      // Keyed by the results' device name, not a foreign key: a price may come before the device's first result.
      await db.schema
        .createTable('prices')
        .addColumn('device', 'text', (c) => c.primaryKey())
        .addColumn('hourly_price', 'double precision', (c) => c.notNull())
        .addColumn('board_power_w', 'double precision', (c) => c.notNull())
        .addColumn('electricity_price', 'double precision')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addCheckConstraint('prices_positive', sql`hourly_price > 0 and board_power_w > 0 and (electricity_price is null or electricity_price >= 0)`)
        .execute();
    },
  },
};

/** Applies the migrations not applied yet (Kysely's migrator: a lock table makes concurrent starts safe). */
export async function migrate(db: BoardDb): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
}
