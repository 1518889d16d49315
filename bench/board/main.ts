/**
 * `npm run board -- [--port N] [--host H] [--data DIR] [--database URL] [--submit-token T] [--read-token T] [--owner-token T]`:
 * the results board's server (bench/board/server.ts) over the embedded database in --data or a PostgreSQL
 * server. Binds 127.0.0.1 unless --host says otherwise. Exit codes: 0 stopped (Ctrl-C / SIGTERM) · 1 the
 * database or the port could not be opened · 2 usage error.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HELP_OPTION } from '../args';
import { type CliOption, commandHelp, readCommandLine } from '../command-line';
import { PAGE_DIR } from '../serve';
import { SUBMIT_TOKEN_ENV } from '../../src/result/submit';
import { type Engine, defaultDataDir, openDatabase } from './database';
import { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit';
import { OWNER_TOKEN_ENV, startBoard } from './server';

export interface BoardArgs {
  host: string;
  port: number;
  engine: Engine;
  submitToken: string | null;
  readToken: string | null;
  ownerToken: string | null;
  rateLimit: RateLimit;
}

/** The read token's environment variable (the submit token's is SUBMIT_TOKEN_ENV): a command line is visible to every local user. */
export const READ_TOKEN_ENV = 'TOKENBENCH_BOARD_READ_TOKEN';

/** The default port of `npm run board`. */
export const DEFAULT_BOARD_PORT = 8787;

type Reading = {
  host: string;
  port: number;
  data: string | null;
  database: string | null;
  submitToken: string | null;
  readToken: string | null;
  ownerToken: string | null;
  rateLimit: RateLimit;
  help: boolean;
};

const SERVER = 'Server';
const STORAGE = 'Database';
const ACCESS = 'Access';

const positive = (name: string, v: string, min: number, max: number): number | string => {
  const n = Number(v);
  return /^\d+(\.\d+)?$/.test(v) && n >= min && n <= max ? n : `--${name}: expected a number from ${min} to ${max}, got "${v}"`;
};

const BOARD_OPTIONS: ReadonlyArray<CliOption<Reading>> = [
  {
    name: 'port', type: 'string', value: 'N', section: SERVER, help: `port to listen on (default ${DEFAULT_BOARD_PORT}; 0: a free one)`,
    set: (s, v) => {
      const p = Number(v);
      if (!/^\d+$/.test(v as string) || p > 65535) return `--port: expected a port number, got "${v}"`;
      s.port = p;
      return null;
    },
  },
  {
    name: 'host', type: 'string', value: 'ADDR', section: SERVER, help: 'address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for every interface)',
    set: (s, v) => (v && !/[/\s]/.test(v as string) ? ((s.host = v as string), null) : `--host: expected an address, got "${v}"`),
  },
  {
    name: 'rate', type: 'string', value: 'N', section: SERVER,
    help: `requests per second each client address may make, sustained (default ${DEFAULT_RATE_LIMIT.rate}; 0: no limit)`,
    set: (s, v) => {
      const n = positive('rate', v as string, 0, 1e6);
      return typeof n === 'string' ? n : ((s.rateLimit = { ...s.rateLimit, rate: n }), null);
    },
  },
  {
    name: 'burst', type: 'string', value: 'N', section: SERVER, help: `requests a client may make at once before the rate applies (default ${DEFAULT_RATE_LIMIT.burst})`,
    set: (s, v) => {
      const n = positive('burst', v as string, 1, 1e6);
      return typeof n === 'string' ? n : ((s.rateLimit = { ...s.rateLimit, burst: n }), null);
    },
  },
  {
    name: 'data', type: 'string', value: 'DIR', section: STORAGE,
    help: "the embedded database's folder (default $XDG_DATA_HOME/tokenbench/board, else ~/.local/share/tokenbench/board)",
    set: (s, v) => (v ? ((s.data = v as string), null) : '--data needs a folder'),
  },
  {
    name: 'database', type: 'string', value: 'URL', section: STORAGE,
    help: 'a PostgreSQL server instead: postgres://user@host:5432/db (the password from PGPASSWORD or ~/.pgpass, not the command line)',
    set: (s, v) => (/^postgres(ql)?:\/\//.test(v as string) ? ((s.database = v as string), null) : `--database: expected a postgres://... URL, got "${v}"`),
  },
  {
    name: 'submit-token', type: 'string', value: 'T', section: ACCESS,
    help: `token submissions must carry (Authorization: Bearer T); also $${SUBMIT_TOKEN_ENV}. Default: anyone who reaches the board may submit`,
    set: (s, v) => (v ? ((s.submitToken = v as string), null) : '--submit-token needs a value'),
  },
  {
    name: 'read-token', type: 'string', value: 'T', section: ACCESS, help: `token every read must carry; also $${READ_TOKEN_ENV}. Default: reading is public`,
    set: (s, v) => (v ? ((s.readToken = v as string), null) : '--read-token needs a value'),
  },
  {
    name: 'owner-token', type: 'string', value: 'T', section: ACCESS,
    help: `token of the board's owner, who edits its price table (PUT/DELETE /api/prices/DEVICE, or the page's Prices panel); also $${OWNER_TOKEN_ENV}. Default: the prices cannot be edited`,
    set: (s, v) => (v ? ((s.ownerToken = v as string), null) : '--owner-token needs a value'),
  },
  { ...HELP_OPTION, section: SERVER } as CliOption<Reading>,
];

export const BOARD_USAGE = commandHelp(
  {
    usage: 'Usage: npm run board -- [--port N] [--host H] [--data DIR | --database URL] [--submit-token T] [--read-token T] [--owner-token T]',
    about:
      "tokenbench's results board: a server that collects results from runs on different machines (POST\n" +
      '/api/results, or `npm run bench -- submit` / `run --submit`), stores each once under the SHA-256 of its\n' +
      'bytes, and answers lists, single results and leaderboards as JSON. Embedded database (PGlite) by default;\n' +
      'PostgreSQL with --database.',
    sections: [{ title: SERVER }, { title: STORAGE }, { title: ACCESS }],
    footer: 'Exit codes: 0 stopped · 1 the database or the port could not be opened · 2 usage error.',
  },
  BOARD_OPTIONS,
);

export type ParsedBoardArgs = { kind: 'board'; options: BoardArgs } | { kind: 'help' } | { kind: 'error'; message: string };

/** Parses the board's arguments; tokens given nowhere on the command line come from `env`. Pure. */
export function parseBoardArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedBoardArgs {
  const r: Reading = { host: '127.0.0.1', port: DEFAULT_BOARD_PORT, data: null, database: null, submitToken: null, readToken: null, ownerToken: null, rateLimit: DEFAULT_RATE_LIMIT, help: false };
  const error = readCommandLine(argv, BOARD_OPTIONS, r);
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  if (r.data !== null && r.database !== null) return { kind: 'error', message: '--data is the embedded database, --database a PostgreSQL server: give one' };
  const engine: Engine = r.database ? { kind: 'postgres', url: r.database } : { kind: 'embedded', dir: resolve(r.data ?? defaultDataDir(env)) };
  return {
    kind: 'board',
    options: {
      host: r.host,
      port: r.port,
      engine,
      submitToken: r.submitToken ?? (env[SUBMIT_TOKEN_ENV] || null),
      readToken: r.readToken ?? (env[READ_TOKEN_ENV] || null),
      ownerToken: r.ownerToken ?? (env[OWNER_TOKEN_ENV] || null),
      rateLimit: r.rateLimit,
    },
  };
}

/** Where the database is, for the start-up line: never a password. */
export function engineLabel(e: Engine): string {
  if (e.kind === 'embedded') return `embedded database in ${e.dir ?? 'memory'}`;
  try {
    const u = new URL(e.url);
    return `PostgreSQL ${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

export async function boardMain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseBoardArgs(argv, env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${BOARD_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`tokenbench board: ${parsed.message} (see npm run board -- --help)\n`);
    return 2;
  }
  const o = parsed.options;
  let db;
  try {
    db = await openDatabase(o.engine);
  } catch (e) {
    process.stderr.write(`tokenbench board: cannot open the ${engineLabel(o.engine)}: ${(e as Error).message}\n`);
    return 1;
  }
  let board;
  try {
    board = await startBoard(db, o.host, o.port, { submitToken: o.submitToken, readToken: o.readToken, ownerToken: o.ownerToken, rateLimit: o.rateLimit });
  } catch (e) {
    process.stderr.write(`tokenbench board: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}\n`);
    await db.destroy();
    return 1;
  }
  const access = [o.submitToken ? 'submitting needs a token' : 'anyone who reaches it may submit', o.readToken ? 'reading needs a token' : 'reading is public', o.ownerToken ? 'the owner token edits prices' : 'prices cannot be edited'];
  process.stderr.write(`tokenbench board: ${board.url}/ (page) · ${board.url}/api/results · ${engineLabel(o.engine)} · ${access.join(' · ')}\n`);
  if (!existsSync(join(PAGE_DIR, 'board.html'))) process.stderr.write('tokenbench board: the page is not built (npm run build): the API works, / answers 404\n');
  if (o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1' && !o.submitToken) {
    process.stderr.write('tokenbench board: warning: listening beyond this machine without --submit-token\n');
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  process.stderr.write('tokenbench board: stopping\n');
  await board.close();
  await db.destroy();
  return 0;
}

const isEntry = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  boardMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`tokenbench board: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
