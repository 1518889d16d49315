/**
 * Results boards started in-process for the board tests: a fresh database on either engine, the API on a
 * free loopback port. PostgreSQL is the run's throwaway server (board-postgres.ts, the globalSetup).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { type BoardDb, type Engine, openDatabase } from '../../bench/board/database';
import { type Board, type BoardOptions, startBoard } from '../../bench/board/server';
export { type Variant, boardResult } from '../../bench/board/sample-results';

export interface TestBoard {
  board: Board;
  db: BoardDb;
  url: string;
  close(): Promise<void>;
}

/** Opening the embedded database runs initdb in WebAssembly: seconds on a small machine. */
export const OPEN_TIMEOUT_MS = 120_000;

/** The engines every board case runs on: `describe.each(ENGINES)`. */
export const ENGINES = ['pglite', 'postgres'] as const;
export type TestEngine = (typeof ENGINES)[number];

/** A new, empty database on the run's PostgreSQL server; failing with the reason when there is none. */
async function postgresDatabase(): Promise<{ engine: Engine; drop(): Promise<void> }> {
  const server = inject('postgres');
  if ('error' in server) throw new Error(`cannot run the board's PostgreSQL cases: ${server.error}`);
  const name = `board_${process.pid}_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return { engine: { kind: 'postgres', url: url.href }, drop: () => admin(`DROP DATABASE ${name} WITH (FORCE)`) };
}

/** A board over a new database (embedded: in a temporary folder); no rate limit unless asked. */
export async function testBoard(engine: TestEngine, options: Partial<BoardOptions> = {}): Promise<TestBoard> {
  let db: BoardDb;
  let dispose: () => Promise<void>;
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'tokenbench-board-'));
    db = await openDatabase({ kind: 'embedded', dir });
    dispose = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const fresh = await postgresDatabase();
    db = await openDatabase(fresh.engine);
    dispose = fresh.drop;
  }
  const board = await startBoard(db, '127.0.0.1', 0, { rateLimit: { rate: 0, burst: 1 }, log: () => undefined, ...options });
  return {
    board,
    db,
    url: board.url,
    close: async () => {
      await board.close();
      await db.destroy();
      await dispose();
    },
  };
}

/** POSTs a body to the board's results endpoint. */
export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/results`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}
