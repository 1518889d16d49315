/**
 * The board's HTTP API (node:http): submitting results, listing them, fetching one, the leaderboard. Every
 * answer is JSON (a stored result is sent as stored) with the page's Content-Security-Policy and nosniff;
 * results are untrusted data, stored and returned as text, never interpreted as markup.
 *
 *   POST /api/results           a result JSON → 201 { id } (new) · 200 { id } (already there)
 *                               400: not JSON, schema-invalid, or inconsistent (src/result/integrity.ts) · 413: too large
 *   GET  /api/results           ?model&format&vendor&architecture&runtime&software=0|1&since&until&limit&offset&cursor
 *   GET  /api/results/:id       the stored result, byte for byte
 *   GET  /api/leaderboard       ?model&format (required), and the list's device filters
 *   GET  /api/workloads         the model × format pairs present, with how many results have each
 *   GET  /api/prices            the board's price table: one row per device
 *   PUT  /api/prices/:device    { hourlyPrice, boardPowerW, electricityPrice? } → 201 / 200 { price } (the owner only)
 *   DELETE /api/prices/:device  → 200 { deleted } (the owner only)
 *   GET  /                      the board page (dist/board.html); /compare.html the compare view; /submit.html the
 *                               page the bench page opens to hand it a result (src/ui/board-submit.ts); /assets/…
 *
 * The pages come from the same origin as the API, so their Content-Security-Policy (connect-src 'self')
 * lets them read it; they are served by bench/serve.ts's staticResponse, from an allow-list of paths.
 */
import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { CSP_HEADER } from '../../src/csp';
import { checkIntegrity, integrityMessage } from '../../src/result/integrity';
import { MAX_IMPORT_BYTES, parseResult } from '../../src/schema/result';
import type { BoardDb } from './database';
import { PAGE_DIR, listenOn, staticResponse } from '../serve';
import { isResultId } from '../../src/result/submit';
import { contentHash } from './records';
import { DEFAULT_RATE_LIMIT, type RateLimit, tokenBuckets } from './rate-limit';
import { MAX_DEVICE_LENGTH, deletePrice, deviceKey, listPrices, parsePriceInput, putPrice } from './prices';
import { type ResultFilter, decodeCursor, leaderboard, listResults, resultBody, storeResult, workloadCounts } from './store';

export interface BoardOptions {
  /** Bearer token POST /api/results needs; null: anyone may submit. */
  submitToken: string | null;
  /** Bearer token every GET needs; null: reading is public. */
  readToken: string | null;
  /** Bearer token editing the price table needs; null: nobody may edit it. */
  ownerToken: string | null;
  rateLimit: RateLimit;
  /** Largest body accepted, bytes (the schema's import limit). */
  maxBytes: number;
  /** Where server errors are reported. */
  log: (line: string) => void;
  /** The built pages (`vite build`'s dist/); null: the board serves its API only. */
  pageDir: string | null;
}

export const DEFAULT_BOARD_OPTIONS: BoardOptions = {
  submitToken: null,
  readToken: null,
  ownerToken: null,
  rateLimit: DEFAULT_RATE_LIMIT,
  maxBytes: MAX_IMPORT_BYTES,
  log: (line) => process.stderr.write(`${line}\n`),
  pageDir: PAGE_DIR,
};

/** Files of the built pages the board serves: its own page, its submit page, the compare view and their assets. */
const PAGE_PATHS: Record<string, string> = {
  '/': '/board.html',
  '/board.html': '/board.html',
  '/submit.html': '/submit.html',
  '/compare.html': '/compare.html',
  '/favicon.svg': '/favicon.svg',
};

/** The page file for a request path, or null when the board does not serve that path as a page. */
function pagePath(path: string): string | null {
  return PAGE_PATHS[path] ?? (/^\/assets\/[\w.-]+$/.test(path) ? path : null);
}

/** The owner token's environment variable (a command line is visible to every local user). */
export const OWNER_TOKEN_ENV = 'TOKENBENCH_BOARD_OWNER_TOKEN';

/** Largest price body, bytes: three numbers. */
const MAX_PRICE_BYTES = 4096;

/** Largest page of a list. */
export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'content-security-policy': CSP_HEADER,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** An answer other than success: status and message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { ...HEADERS, ...headers, 'content-length': String(Buffer.byteLength(text)) }).end(text);
}

/** Constant-time comparison of a presented token with the expected one (hashed: equal lengths). */
function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(contentHash(presented), 'hex'), Buffer.from(contentHash(expected), 'hex'));
}

/** 401 without a bearer token, 403 with a wrong one. */
function requireToken(req: IncomingMessage, expected: string | null, what: string): void {
  if (expected === null) return;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) throw new HttpError(401, `${what} needs a token: Authorization: Bearer <token>`, { 'www-authenticate': 'Bearer' });
  if (!tokenMatches(m[1] as string, expected)) throw new HttpError(403, `wrong token for ${what}`);
}

/** Editing the price table: the owner token, which a board without one refuses to everybody. */
function requireOwner(req: IncomingMessage, o: BoardOptions): void {
  if (o.ownerToken === null) throw new HttpError(403, `this board's prices cannot be edited: start it with --owner-token T (or $${OWNER_TOKEN_ENV}) to allow its owner to`);
  requireToken(req, o.ownerToken, 'editing prices');
}

/**
 * The request body, at most `max` bytes. Too large: 413, after reading (and dropping) what the client sends
 * up to twice the limit, so that it sees the answer; past that the connection is cut.
 */
function readBody(req: IncomingMessage, max: number, what: string): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const declared = Number(req.headers['content-length']);
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > max;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > 2 * max) req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (tooLarge ? fail(new HttpError(413, `${what} too large: more than ${max} bytes`)) : ok(Buffer.concat(chunks))));
    req.on('error', fail);
    req.on('close', () => fail(new HttpError(413, `${what} too large: more than ${max} bytes`)));
  });
}

/** A query parameter: absent → undefined; present twice or empty → a 400. */
function param(q: URLSearchParams, name: string): string | undefined {
  const all = q.getAll(name);
  if (all.length === 0) return undefined;
  if (all.length > 1 || !all[0]) throw new HttpError(400, `${name}: give it once, with a value`);
  return all[0];
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = param(q, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new HttpError(400, `${name}: expected an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

function dateParam(q: URLSearchParams, name: string): string | undefined {
  const v = param(q, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) throw new HttpError(400, `${name}: expected an ISO date such as 2026-01-31 or 2026-01-31T12:00:00Z, got "${v}"`);
  return new Date(t).toISOString();
}

const FILTER_PARAMS = ['model', 'format', 'vendor', 'architecture', 'runtime', 'software', 'since', 'until'];

function filterOf(q: URLSearchParams): ResultFilter {
  const f: ResultFilter = {};
  for (const name of ['model', 'format', 'vendor', 'architecture'] as const) {
    const v = param(q, name);
    if (v !== undefined) f[name] = v;
  }
  const runtime = param(q, 'runtime');
  if (runtime !== undefined) {
    if (runtime !== 'browser' && runtime !== 'node') throw new HttpError(400, `runtime: expected browser or node, got "${runtime}"`);
    f.runtime = runtime;
  }
  const software = param(q, 'software');
  if (software !== undefined) {
    if (software !== '0' && software !== '1') throw new HttpError(400, `software: expected 0 or 1, got "${software}"`);
    f.software = software === '1';
  }
  const since = dateParam(q, 'since');
  const until = dateParam(q, 'until');
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  return f;
}

function checkParams(q: URLSearchParams, known: readonly string[]): void {
  for (const name of q.keys()) if (!known.includes(name)) throw new HttpError(400, `unknown parameter "${name}" (known: ${known.join(', ')})`);
}

/** A JSON request body (`what` names it in errors): its text and its parsed value. */
async function jsonBody(req: IncomingMessage, max: number, what: string): Promise<{ text: string; data: unknown }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  // A JSON content type also keeps other sites' pages from sending here without a CORS preflight.
  if (type !== 'application/json') throw new HttpError(415, `send the ${what} as Content-Type: application/json`);
  const bytes = await readBody(req, max, what);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'not UTF-8 text');
  }
  try {
    return { text, data: JSON.parse(text) as unknown };
  } catch (e) {
    throw new HttpError(400, `not JSON: ${(e as Error).message}`);
  }
}

async function postResult(db: BoardDb, req: IncomingMessage, o: BoardOptions): Promise<[number, unknown]> {
  requireToken(req, o.submitToken, 'submitting');
  const { text, data } = await jsonBody(req, o.maxBytes, 'result');
  const parsed = parseResult(data);
  if (!parsed.ok) throw new HttpError(400, parsed.error);
  // A headline figure that its own samples do not give was edited after the run (a consistency check, not a signature).
  const integrity = checkIntegrity(parsed.result);
  if (!integrity.ok) throw new HttpError(400, integrityMessage(integrity.problems));
  const stored = await storeResult(db, text, parsed.result);
  return [stored.created ? 201 : 200, { id: stored.id }];
}

async function route(db: BoardDb, req: IncomingMessage, res: ServerResponse, o: BoardOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://board');
  const path = url.pathname;
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const only = (...methods: string[]) => {
    if (!methods.includes(method)) throw new HttpError(405, `${method} not allowed here`, { allow: methods.join(', ') });
  };
  if (path === '/api/results') {
    only('GET', 'POST');
    if (method === 'POST') {
      const [status, body] = await postResult(db, req, o);
      return send(res, status, body);
    }
    requireToken(req, o.readToken, 'reading');
    checkParams(q, [...FILTER_PARAMS, 'limit', 'offset', 'cursor']);
    const cursorText = param(q, 'cursor');
    const after = cursorText === undefined ? undefined : decodeCursor(cursorText);
    if (after === null) throw new HttpError(400, 'cursor: not a cursor from this board');
    const page = { limit: intParam(q, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT), offset: intParam(q, 'offset', 0, 0, 1e9), ...(after ? { after } : {}) };
    return send(res, 200, await listResults(db, filterOf(q), page));
  }
  const one = /^\/api\/results\/([^/]+)$/.exec(path);
  if (one) {
    only('GET');
    requireToken(req, o.readToken, 'reading');
    const id = one[1] as string;
    const body = isResultId(id) ? await resultBody(db, id) : null;
    if (body === null) throw new HttpError(404, `no result ${JSON.stringify(id.slice(0, 80))} on this board`);
    // Immutable: the id is the hash of these bytes.
    return send(res, 200, body, o.readToken ? {} : { 'cache-control': 'public, max-age=31536000, immutable' });
  }
  if (path === '/api/workloads') {
    only('GET');
    requireToken(req, o.readToken, 'reading');
    checkParams(q, []);
    return send(res, 200, { workloads: await workloadCounts(db) });
  }
  const file = path.startsWith('/api/') ? null : pagePath(path);
  if (file !== null) {
    only('GET', 'HEAD');
    // The pages hold no results: they are public; what they read from the API needs the read token.
    if (o.pageDir === null) throw new HttpError(404, 'this board serves its API only');
    const r = staticResponse(o.pageDir, file);
    if (r.status !== 200) throw new HttpError(404, `${file} not found: build the pages first (npm run build)`);
    res.writeHead(200, { ...r.headers, 'referrer-policy': 'no-referrer' });
    if (method === 'HEAD') return void res.end();
    createReadStream(r.file).on('error', () => res.destroy()).pipe(res);
    return;
  }
  if (path === '/api/leaderboard') {
    only('GET');
    requireToken(req, o.readToken, 'reading');
    checkParams(q, [...FILTER_PARAMS, 'limit']);
    const f = filterOf(q);
    if (f.model === undefined || f.format === undefined) throw new HttpError(400, 'the leaderboard needs model and format');
    return send(res, 200, { model: f.model, format: f.format, rows: await leaderboard(db, f.model, f.format, f, intParam(q, 'limit', 100, 1, MAX_LIMIT)) });
  }
  if (path === '/api/prices') {
    only('GET');
    requireToken(req, o.readToken, 'reading');
    checkParams(q, []);
    return send(res, 200, { prices: await listPrices(db) });
  }
  const price = /^\/api\/prices\/([^/]+)$/.exec(path);
  if (price) {
    only('PUT', 'DELETE');
    requireOwner(req, o);
    const device = deviceKey(price[1] as string);
    if (device === null) throw new HttpError(400, `device: expected the URL-encoded device name (1 to ${MAX_DEVICE_LENGTH} characters)`);
    if (method === 'DELETE') {
      if (!(await deletePrice(db, device))) throw new HttpError(404, `no price for ${JSON.stringify(device.slice(0, 80))} on this board`);
      return send(res, 200, { deleted: device });
    }
    const parsed = parsePriceInput((await jsonBody(req, MAX_PRICE_BYTES, 'price')).data);
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    const put = await putPrice(db, device, parsed.value);
    return send(res, put.created ? 201 : 200, { price: put.price });
  }
  throw new HttpError(404, `no such endpoint: ${method} ${path.slice(0, 200)}`);
}

export interface Board {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts the API on `host:port` (port 0: a free one) over an open database; close() leaves the database open. */
export async function startBoard(db: BoardDb, host: string, port: number, options: Partial<BoardOptions> = {}): Promise<Board> {
  const o: BoardOptions = { ...DEFAULT_BOARD_OPTIONS, ...options };
  const limiter = tokenBuckets(o.rateLimit);
  const server = createServer((req, res) => {
    const wait = limiter.take(req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      req.resume();
      return send(res, 429, { error: 'too many requests: slow down' }, { 'retry-after': String(Math.ceil(wait)) });
    }
    route(db, req, res, o).catch((e: unknown) => {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message }, e.headers);
      o.log(`board: ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error (logged on the server)' });
      else res.destroy();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 300_000;
  return {
    url: await listenOn(server, port, host),
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
