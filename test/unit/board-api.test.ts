/** The results board's API on both engines (embedded, PostgreSQL server): submitting, refusing, listing, fetching, the leaderboard. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countResults } from '../../bench/board/store';
import { checkIntegrity } from '../../src/result/integrity';
import { MAX_IMPORT_BYTES } from '../../src/schema/result';
import { ENGINES, OPEN_TIMEOUT_MS, type TestBoard, boardResult, post, testBoard } from './board-helpers';

const TOKEN = 'submit-sekrit';
const auth = { authorization: `Bearer ${TOKEN}` };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(ENGINES)('on %s', (engine) => {
  let t: TestBoard;
  beforeAll(async () => {
    t = await testBoard(engine, { submitToken: TOKEN });
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => t?.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });

  describe('submitting', () => {
    test('a valid result is stored under the SHA-256 of its bytes: 201 { id }', async () => {
      const text = JSON.stringify(boardResult({ commit: 'a'.repeat(40) }), null, 1);
      const res = await post(t.url, text, auth);
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ id: sha(text) });
    });

    test('the same bytes again: 200 with the existing id, nothing new stored', async () => {
      const text = JSON.stringify(boardResult({ commit: 'b'.repeat(40) }));
      const first = await post(t.url, text, auth);
      const before = await countResults(t.db);
      const again = await post(t.url, text, auth);
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(await again.json()).toEqual({ id: sha(text) });
      expect(await countResults(t.db)).toBe(before);
    });

    test.each([
      ['schema-invalid', JSON.stringify({ ...boardResult(), status: 'finished' }), /^invalid result at \$\.status: /],
      ['not JSON', '{"schema": "tokenbench/result",', /^not JSON: /],
      ['another JSON document', '[1, 2, 3]', /^invalid result at \$: /],
    ])('%s: 400 with the first problem, nothing stored', async (_name, body, message) => {
      const before = await countResults(t.db);
      const res = await post(t.url, body, auth);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
      expect(await countResults(t.db)).toBe(before);
    });

    test('a genuine result passes the integrity check and is stored', async () => {
      const r = boardResult({ commit: 'e'.repeat(40) });
      expect(checkIntegrity(r)).toEqual({ ok: true });
      expect((await post(t.url, JSON.stringify(r), auth)).status).toBe(201);
    });

    test('a decode median edited ×10 after the run: 400 naming the figure, nothing stored', async () => {
      const r = boardResult({ commit: 'f'.repeat(40) });
      const tg8 = r.phases.flatMap((p) => p.workloads ?? []).flatMap((w) => w.tests).find((x) => x.name === 'tg8');
      if (!tg8?.gpu) throw new Error('fixture changed');
      tg8.gpu.median *= 10;
      const before = await countResults(t.db);
      const res = await post(t.url, JSON.stringify(r), auth);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(
        /^inconsistent result \(edited after the run\?\): workload tiny-q4_0, test tg8: gpu\.median is 1000 tok\/s but its samples give 100 tok\/s; \d+ problem\(s\)$/,
      );
      expect(await countResults(t.db)).toBe(before);
    });

    test('larger than the import limit: 413, nothing stored', async () => {
      const before = await countResults(t.db);
      const res = await post(t.url, ' '.repeat(MAX_IMPORT_BYTES + 1), auth);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toMatch(/too large/);
      expect(await countResults(t.db)).toBe(before);
    });

    test.each([
      ['no token', {}, 401, /needs a token/],
      ['a wrong token', { authorization: 'Bearer nope' }, 403, /wrong token/],
    ])('%s: %i, nothing stored', async (_name, headers, status, message) => {
      const before = await countResults(t.db);
      const res = await post(t.url, JSON.stringify(boardResult({ commit: 'c'.repeat(40) })), headers);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
      expect(await countResults(t.db)).toBe(before);
    });

    test('a body that is not declared JSON: 415', async () => {
      const res = await fetch(`${t.url}/api/results`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: JSON.stringify(boardResult()) });
      expect(res.status).toBe(415);
    });
  });

  describe('reading', () => {
    const submitted = new Map<string, string>();
    beforeAll(async () => {
      const variants = [
        { vendor: 'nvidia', architecture: 'hopper', decode: 300, startedAt: '2026-03-01T10:00:00.000Z' },
        { vendor: 'amd', architecture: 'rdna-3', decode: 200, runtime: 'browser' as const, startedAt: '2026-03-02T10:00:00.000Z' },
        { vendor: 'google', architecture: 'swiftshader', decode: 5, software: true, startedAt: '2026-03-03T10:00:00.000Z' },
        { vendor: 'apple', architecture: 'metal-3', decode: 150, runtime: 'browser' as const, startedAt: '2026-03-04T10:00:00.000Z' },
      ];
      for (const v of variants) {
        // Odd spacing: the board keeps the bytes, not a re-serialisation.
        const text = `${JSON.stringify(boardResult(v), null, '\t')}\n\n`;
        const res = await post(t.url, text, auth);
        submitted.set(v.vendor, ((await res.json()) as { id: string }).id);
      }
    });

    type Listed = { results: Array<{ id: string; vendor: string; software: boolean; workloads: unknown[] }>; next: string | null };
    const list = async (query: string): Promise<Listed> => {
      const res = await get(`/api/results?${query}`);
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as Listed;
    };

    test('GET /api/results/:id answers the stored bytes exactly', async () => {
      const text = `{"x":0,${JSON.stringify(boardResult({ commit: 'd'.repeat(40) })).slice(1)}   `;
      const { id } = (await (await post(t.url, text, auth)).json()) as { id: string };
      const res = await get(`/api/results/${id}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(text))).toBe(true);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    });

    test.each([
      ['vendor=AMD', ['amd']],
      ['architecture=hopper&since=2026-03-01', ['nvidia']],
      ['runtime=browser', ['apple', 'amd']],
      ['software=1', ['google']],
      ['software=0&runtime=node&since=2026-03-01&until=2026-03-01T23:59:59Z', ['nvidia']],
      ['since=2026-03-02T00:00:00Z&until=2026-03-03T23:00:00Z', ['google', 'amd']],
    ])('filters: %s', async (query, vendors) => {
      const { results } = await list(query);
      expect(results.map((r) => r.vendor)).toEqual(vendors);
    });

    test('filters by model and format through the figures', async () => {
      expect((await list('model=tiny&format=q4_0&since=2026-03-01&until=2026-03-05')).results).toHaveLength(4);
      expect((await list('model=tiny&format=f16')).results).toHaveLength(0);
      const [first] = (await list('vendor=nvidia')).results;
      expect(first?.workloads).toEqual([{ model: 'tiny', format: 'q4_0' }]);
    });

    test('pages by cursor and by offset, newest first', async () => {
      const all = (await list('since=2026-03-01&until=2026-03-05&limit=10')).results.map((r) => r.vendor);
      expect(all).toEqual(['apple', 'google', 'amd', 'nvidia']);
      const first = await list('since=2026-03-01&until=2026-03-05&limit=3');
      expect(first.next).not.toBeNull();
      const second = await list(`since=2026-03-01&until=2026-03-05&limit=3&cursor=${first.next}`);
      expect([...first.results, ...second.results].map((r) => r.vendor)).toEqual(all);
      expect(second.next).toBeNull();
      expect((await list('since=2026-03-01&until=2026-03-05&limit=2&offset=2')).results.map((r) => r.vendor)).toEqual(['amd', 'nvidia']);
    });

    test('the leaderboard of a model × format: fastest decode at batch 1 first, with its best batch and bound', async () => {
      const res = await get('/api/leaderboard?model=tiny&format=q4_0&since=2026-03-01&until=2026-03-05');
      expect(res.status).toBe(200);
      const { rows } = (await res.json()) as { rows: Array<Record<string, unknown>> };
      expect(rows.map((r) => r['vendor'])).toEqual(['nvidia', 'amd', 'apple', 'google']);
      expect(rows[0]).toMatchObject({ id: submitted.get('nvidia'), decodeB1: 300, decodeBest: 960, bestBatch: 4, prefill: 3000, efficiency: 0.2, software: false });
      expect(rows[3]).toMatchObject({ software: true });
      const hardware = (await (await get('/api/leaderboard?model=tiny&format=q4_0&software=0&since=2026-03-01&until=2026-03-05')).json()) as { rows: unknown[] };
      expect(hardware.rows).toHaveLength(3);
    });

    test('GET /api/workloads: the model × format pairs present, with how many results have each', async () => {
      const res = await get('/api/workloads');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ workloads: [{ model: 'tiny', format: 'q4_0', results: await countResults(t.db) }] });
    });

    test.each([
      ['/api/workloads?model=tiny', 400, /unknown parameter "model"/],
      ['/api/results?software=yes', 400, /software: expected 0 or 1/],
      ['/api/results?since=yesterday', 400, /since: expected an ISO date/],
      ['/api/results?limit=0', 400, /limit: expected an integer/],
      ['/api/results?cursor=xyz', 400, /cursor/],
      ['/api/results?colour=red', 400, /unknown parameter "colour"/],
      ['/api/leaderboard?model=tiny', 400, /needs model and format/],
      [`/api/results/${'0'.repeat(64)}`, 404, /no result/],
      ['/api/results/<script>', 404, /no result/],
      ['/nowhere', 404, /no such endpoint/],
    ])('GET %s: %i', async (path, status, message) => {
      const res = await get(path);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    });

    test('every answer is JSON with the CSP and nosniff', async () => {
      for (const res of [await get('/api/results'), await get('/nowhere'), await post(t.url, '{}')]) {
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      }
    });
  });

  describe('a read token', () => {
    let r: TestBoard;
    beforeAll(async () => {
      r = await testBoard(engine, { readToken: 'reader' });
    }, OPEN_TIMEOUT_MS);
    afterAll(async () => r?.close());

    test('reading needs it (401 / 403); submitting does not when no submit token is set', async () => {
      expect((await fetch(`${r.url}/api/results`)).status).toBe(401);
      expect((await fetch(`${r.url}/api/results`, { headers: { authorization: 'Bearer no' } })).status).toBe(403);
      expect((await fetch(`${r.url}/api/results`, { headers: { authorization: 'Bearer reader' } })).status).toBe(200);
      expect((await post(r.url, JSON.stringify(boardResult()))).status).toBe(201);
    });
  });
});

// The pages are files, not rows: one engine is enough.
describe('the pages the board serves', () => {
  let r: TestBoard;
  const pages = mkdtempSync(join(tmpdir(), 'tokenbench-board-pages-'));
  beforeAll(async () => {
    mkdirSync(join(pages, 'assets'));
    writeFileSync(join(pages, 'board.html'), '<!doctype html><title>board</title>');
    writeFileSync(join(pages, 'compare.html'), '<!doctype html><title>compare</title>');
    writeFileSync(join(pages, 'submit.html'), '<!doctype html><title>submit</title>');
    writeFileSync(join(pages, 'index.html'), '<!doctype html><title>bench</title>');
    writeFileSync(join(pages, 'assets', 'board-x1.js'), 'export {};');
    writeFileSync(join(pages, 'secret.json'), '{}');
    r = await testBoard('pglite', { readToken: 'reader', pageDir: pages });
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => r?.close());

  test.each([
    ['/', 'text/html; charset=utf-8', 'board'],
    ['/board.html', 'text/html; charset=utf-8', 'board'],
    ['/compare.html', 'text/html; charset=utf-8', 'compare'],
    ['/submit.html', 'text/html; charset=utf-8', 'submit'],
    ['/assets/board-x1.js', 'text/javascript; charset=utf-8', 'export'],
  ])('GET %s: the built file, with the CSP and nosniff, without the read token', async (path, type, text) => {
    const res = await fetch(`${r.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(await res.text()).toContain(text);
  });

  test.each(['/index.html', '/secret.json', '/assets/../secret.json', '/assets/%2e%2e/secret.json', '/assets/nope.js'])('GET %s: 404, nothing outside the pages and their assets', async (path) => {
    const res = await fetch(`${r.url}${path}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  test('POST to a page: 405', async () => {
    expect((await fetch(`${r.url}/`, { method: 'POST' })).status).toBe(405);
  });
});
