/** The board's price table on both engines: the owner edits it, readers read it, the leaderboard prices runs with it. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBoard } from '../../bench/board/server';
import { withCost } from '../../src/cost/model';
import { deviceName } from '../../src/result/figures';
import type { BoardPrice, LeaderRow } from '../../src/result/leaderboard';
import { ENGINES, OPEN_TIMEOUT_MS, type TestBoard, boardResult, post, testBoard } from './board-helpers';

const OWNER = { authorization: 'Bearer owner-sekrit' };
const READER = { authorization: 'Bearer reader' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** Two devices: one whose run had cost inputs ($2.50/h, 700 W), one whose run had none. */
const NVIDIA = withCost(boardResult({ vendor: 'nvidia', architecture: 'hopper', description: 'H100 SXM', decode: 300 }), { hourlyPrice: 2.5, boardPowerW: 700, mix: { input: 3, output: 1 } });
const AMD = boardResult({ vendor: 'amd', architecture: 'cdna-3', description: 'MI300X / OAM', decode: 200 });
const priceUrl = (url: string, device: string) => `${url}/api/prices/${encodeURIComponent(device)}`;

describe.each(ENGINES)('on %s', (engine) => {
  let t: TestBoard;
  beforeAll(async () => {
    t = await testBoard(engine, { ownerToken: 'owner-sekrit', readToken: 'reader' });
    for (const r of [NVIDIA, AMD]) expect((await post(t.url, JSON.stringify(r))).status).toBe(201);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => t?.close());

  const put = (device: string, body: unknown, headers: Record<string, string> = OWNER) =>
    fetch(priceUrl(t.url, device), { method: 'PUT', headers: { ...JSON_TYPE, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const remove = (device: string, headers: Record<string, string> = OWNER) => fetch(priceUrl(t.url, device), { method: 'DELETE', headers });
  const prices = async () => ((await (await fetch(`${t.url}/api/prices`, { headers: READER })).json()) as { prices: BoardPrice[] }).prices;
  const rows = async () => {
    const res = await fetch(`${t.url}/api/leaderboard?model=tiny&format=q4_0`, { headers: READER });
    const lb = (await res.json()) as { rows: LeaderRow[] };
    return new Map(lb.rows.map((r) => [r.vendor, r]));
  };

  test('PUT creates a price (201), PUT again replaces it (200), GET lists it, DELETE removes it', async () => {
    const device = deviceName(AMD);
    expect(await prices()).toEqual([]);
    const created = await put(device, { hourlyPrice: 1.5, boardPowerW: 750 });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ price: { device, hourlyPrice: 1.5, boardPowerW: 750, electricityPrice: null } });
    const replaced = await put(device, { hourlyPrice: 2, boardPowerW: 500, electricityPrice: 0.5 });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(replaced.headers.get('x-content-type-options')).toBe('nosniff');
    const listed = await prices();
    expect(listed).toEqual([{ device, hourlyPrice: 2, boardPowerW: 500, electricityPrice: 0.5, updatedAt: expect.any(String) }]);
    expect(Date.parse((listed[0] as BoardPrice).updatedAt)).not.toBeNaN();
    const deleted = await remove(device);
    expect([deleted.status, await deleted.json()]).toEqual([200, { deleted: device }]);
    expect(await prices()).toEqual([]);
    expect((await remove(device)).status).toBe(404);
  });

  test('the leaderboard: $/1M and J/token at the board\'s price for the device, else the run\'s, else none', async () => {
    let lb = await rows();
    // The best-batch decode: 960 tok/s (nvidia), 640 (amd). Nvidia's run: $2.50/h, 700 W.
    expect(lb.get('nvidia')).toMatchObject({ costSource: 'run', runUsdPer1M: (2.5 / (960 * 3600)) * 1e6, runJoulesPerToken: 700 / 960 });
    expect(lb.get('nvidia')?.usdPer1M).toBeCloseTo((2.5 / (960 * 3600)) * 1e6, 12);
    expect(lb.get('nvidia')?.tokPerSecPerW).toBeCloseTo(960 / 700, 12);
    expect(lb.get('amd')).toMatchObject({ costSource: null, usdPer1M: null, joulesPerToken: null, tokPerSecPerW: null });

    expect((await put(deviceName(AMD), { hourlyPrice: 2, boardPowerW: 500, electricityPrice: 0.5 })).status).toBe(201);
    expect((await put(deviceName(NVIDIA), { hourlyPrice: 3.6, boardPowerW: 600 })).status).toBe(201);
    lb = await rows();
    // $2 + 0.5 kW × $0.5/kWh = $2.25/h at 640 tok/s.
    expect(lb.get('amd')).toMatchObject({ costSource: 'board', runUsdPer1M: null, runJoulesPerToken: null });
    expect(lb.get('amd')?.usdPer1M).toBeCloseTo((2.25 / (640 * 3600)) * 1e6, 12);
    expect(lb.get('amd')?.joulesPerToken).toBeCloseTo(500 / 640, 12);
    expect(lb.get('amd')?.tokPerSecPerW).toBeCloseTo(640 / 500, 12);
    expect(lb.get('nvidia')).toMatchObject({ costSource: 'board', runJoulesPerToken: 700 / 960 });
    expect(lb.get('nvidia')?.usdPer1M).toBeCloseTo((3.6 / (960 * 3600)) * 1e6, 12);

    expect((await remove(deviceName(NVIDIA))).status).toBe(200);
    expect((await remove(deviceName(AMD))).status).toBe(200);
    expect((await rows()).get('nvidia')).toMatchObject({ costSource: 'run', joulesPerToken: 700 / 960 });
  });

  test.each([
    ['a negative price', { hourlyPrice: -1, boardPowerW: 700 }, /at \$\.hourlyPrice: /],
    ['0 W', { hourlyPrice: 1, boardPowerW: 0 }, /at \$\.boardPowerW: /],
    ['a price in cents', { hourlyPrice: 250_000, boardPowerW: 700 }, /at \$\.hourlyPrice: /],
    ['text for a number', { hourlyPrice: '2.5', boardPowerW: 700 }, /at \$\.hourlyPrice: /],
    ['no board power', { hourlyPrice: 2.5 }, /at \$\.boardPowerW: /],
    ['an unknown field', { hourlyPrice: 2.5, boardPowerW: 700, purchasePrice: 30_000 }, /invalid price at \$/],
    ['a negative electricity price', { hourlyPrice: 2.5, boardPowerW: 700, electricityPrice: -0.1 }, /at \$\.electricityPrice: /],
    ['an infinite number', '{"hourlyPrice": 1e999, "boardPowerW": 700}', /at \$\.hourlyPrice: /],
    ['not JSON', '{"hourlyPrice": ', /^not JSON: /],
  ])('%s: 400 naming the field, nothing stored', async (_name, body, message) => {
    const res = await put(deviceName(AMD), body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
    expect(await prices()).toEqual([]);
  });

  test.each([
    ['too long a device', 'x'.repeat(501)],
    ['a blank device', ' '],
  ])('%s: 400', async (_name, device) => {
    const res = await put(device, { hourlyPrice: 1, boardPowerW: 1 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^device: /);
  });

  test('a broken percent-encoding: 400', async () => {
    const res = await fetch(`${t.url}/api/prices/%E0%A4%A`, { method: 'PUT', headers: { ...JSON_TYPE, ...OWNER }, body: '{}' });
    expect(res.status).toBe(400);
  });

  test('a body that is not declared JSON: 415', async () => {
    const res = await put(deviceName(AMD), 'hourlyPrice=1', { ...OWNER, 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
  });

  test.each([
    ['no token', {}, 401, /editing prices needs a token/],
    ['a wrong token', { authorization: 'Bearer nope' }, 403, /wrong token for editing prices/],
    ['the read token', READER, 403, /wrong token for editing prices/],
  ])('PUT and DELETE with %s: %i, nothing changed', async (_name, headers, status, message) => {
    for (const res of [await put(deviceName(AMD), { hourlyPrice: 1, boardPowerW: 1 }, headers), await remove(deviceName(AMD), headers)]) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    expect(await prices()).toEqual([]);
  });

  test('reading the prices needs the read token when the board has one', async () => {
    expect((await fetch(`${t.url}/api/prices`)).status).toBe(401);
    expect((await fetch(`${t.url}/api/prices?device=x`, { headers: READER })).status).toBe(400);
  });

  test.each([
    ['GET', '/api/prices/x'],
    ['POST', '/api/prices'],
  ])('%s %s: 405', async (method, path) => {
    expect((await fetch(`${t.url}${path}`, { method, headers: OWNER })).status).toBe(405);
  });

  test('a board without an owner token refuses every edit: 403 saying how to allow it', async () => {
    const open = await startBoard(t.db, '127.0.0.1', 0, { rateLimit: { rate: 0, burst: 1 }, log: () => undefined });
    try {
      const res = await fetch(priceUrl(open.url, deviceName(AMD)), { method: 'PUT', headers: { ...JSON_TYPE, ...OWNER }, body: JSON.stringify({ hourlyPrice: 1, boardPowerW: 1 }) });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/--owner-token T \(or \$TOKENBENCH_BOARD_OWNER_TOKEN\)/);
      expect(await (await fetch(`${open.url}/api/prices`)).json()).toEqual({ prices: [] });
    } finally {
      await open.close();
    }
  });
});
