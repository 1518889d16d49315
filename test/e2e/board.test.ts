/**
 * The results board's page in Chromium, served by a board started in-process (embedded database in a temp
 * folder, the built dist/): rows listed, sorted, filtered, software hidden by default, result strings as
 * text, "Compare selected" opening the compare view, the charts of cost and of tok/s per W, the price table and
 * the owner's edit of it, and no horizontal page scroll at 1,280 and 390 px.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withCost } from '../../src/cost/model';
import { deviceName } from '../../src/result/figures';
import { fmtNumber } from '../../src/result/formats';
import { OPEN_TIMEOUT_MS, type TestBoard, boardResult, post, testBoard } from '../unit/board-helpers';
import { launch, pageWidth } from './helpers';

/** Markup in a device string: must reach the page as text. */
const HOSTILE = '<img src=x id=pwned>';

let t: TestBoard;
let browser: Browser;
let page: Page;
const ids = new Map<string, string>();
const devices = new Map<string, string>();
const OWNER = 'owner-sekrit';

beforeAll(async () => {
  t = await testBoard('pglite', { ownerToken: OWNER });
  const results = {
    nvidia: withCost(boardResult({ vendor: 'nvidia', architecture: 'hopper', description: 'H100 SXM', decode: 300 }), { hourlyPrice: 2.5, boardPowerW: 700, mix: { input: 3, output: 1 } }),
    amd: withCost(boardResult({ vendor: 'amd', architecture: 'cdna-3', description: `MI300X ${HOSTILE}`, decode: 200, runtime: 'browser' }), { hourlyPrice: 1.8, boardPowerW: 750, mix: { input: 3, output: 1 } }),
    google: boardResult({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader', decode: 5, software: true }),
  };
  for (const [name, r] of Object.entries(results)) {
    const res = await post(t.url, JSON.stringify(r));
    expect(res.status).toBe(201);
    ids.set(name, ((await res.json()) as { id: string }).id);
    devices.set(name, deviceName(r));
  }
  // The board's own price for the AMD card: $1.20/h and 750 W instead of its run's $1.80/h.
  const priced = await fetch(`${t.url}/api/prices/${encodeURIComponent(devices.get('amd') as string)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${OWNER}` },
    body: JSON.stringify({ hourlyPrice: 1.2, boardPowerW: 750 }),
  });
  expect(priced.status).toBe(201);
  browser = await launch(['default']);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, OPEN_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Vendor cell of each shown row, in order. */
const vendors = (p: Page) => p.locator('#board-body tr td:nth-child(3)').allTextContents();

async function openBoard(p: Page): Promise<void> {
  await p.goto(`${t.url}/`);
  await p.waitForSelector('#board-body tr');
}

describe('the board page', () => {
  test('lists the hardware results of the model × format picked from the stored data, fastest decode first', async () => {
    await openBoard(page);
    expect(await page.locator('#board-model').inputValue()).toBe('tiny');
    expect(await page.locator('#board-format').inputValue()).toBe('q4_0');
    expect(await vendors(page)).toEqual(['nvidia · hopper', 'amd · cdna-3']);
    expect(await page.locator('#board-status').textContent()).toMatch(/2 of 3 result\(s\) shown; 1 on a software adapter hidden/);
    const first = page.locator('#board-body tr').first();
    expect(await first.locator('td:nth-child(5)').textContent()).toBe('300');
    expect(await first.locator('td:nth-child(6)').textContent()).toBe('960 (b4)');
    expect(await first.locator('a.result-link').getAttribute('href')).toBe(`/api/results/${ids.get('nvidia')}`);
    // The cheapest decode: the batch-4 test, 960 tok/s at $2.50/h and 700 W.
    expect(await first.locator('td[data-col="usd"]').textContent()).toBe(`$${fmtNumber((2.5 / 3600 / 960) * 1e6)}`);
    expect(await first.locator('td[data-col="joules"]').textContent()).toBe(fmtNumber(700 / 960));
  });

  test('the speed-against-cost chart and the tok/s-per-W chart: one point / bar per shown result with a price', async () => {
    expect(await page.locator('#board-cost-chart').getAttribute('data-series')).toBe('2');
    expect(await page.locator('#board-chart-note').textContent()).toMatch(/^2 result\(s\) with a price \(1 at the board's prices, 1 at their run's own inputs\)/);
    expect(await page.locator('#board-watt-chart').getAttribute('data-categories')).toBe('2');
  });

  test("the prices panel lists the board's price; the leaderboard uses it for that device", async () => {
    await page.waitForSelector('#board-prices-body tr td[data-col="device"]');
    const row = page.locator('#board-prices-body tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').allTextContents()).toEqual([devices.get('amd'), `$${fmtNumber(1.2)}`, '750', 'included', expect.stringMatching(/^\d{4}-\d\d-\d\d$/)]);
    const amd = page.locator('#board-body tr', { hasText: 'cdna-3' });
    expect(await amd.locator('td[data-col="usd"]').textContent()).toBe(`$${fmtNumber((1.2 / (640 * 3600)) * 1e6)}`);
    expect(await amd.locator('td[data-col="priced"]').textContent()).toBe("board's price");
    expect(await page.locator('#pwned').count()).toBe(0);
  });

  test("the owner's token opens the price form; a saved price reprices the leaderboard", async () => {
    expect(await page.locator('#board-price-form').isHidden()).toBe(true);
    await page.locator('#board-owner-input').fill(OWNER);
    await page.locator('#board-owner button').click();
    await page.locator('#board-price-device').fill(devices.get('nvidia') as string);
    await page.locator('#board-price-hourly').fill('3.6');
    await page.locator('#board-price-watts').fill('600');
    await page.locator('#board-price-form button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#board-prices-body tr').length === 2);
    const nvidia = page.locator('#board-body tr', { hasText: 'hopper' });
    await expect.poll(() => nvidia.locator('td[data-col="priced"]').textContent()).toBe("board's price");
    expect(await nvidia.locator('td[data-col="usd"]').textContent()).toBe(`$${fmtNumber((3.6 / (960 * 3600)) * 1e6)}`);
    expect(await page.locator('#board-prices-status').textContent()).toMatch(/^Saved the price of /);
  });

  test('result strings are text, never markup', async () => {
    expect(await page.locator('#board-body').textContent()).toContain(HOSTILE);
    expect(await page.locator('#pwned').count()).toBe(0);
  });

  test('clicking a header sorts by it, and again reverses', async () => {
    await page.locator('button[data-sort="decodeB1"]').click();
    expect(await vendors(page)).toEqual(['amd · cdna-3', 'nvidia · hopper']);
    expect(await page.locator('th[aria-sort="ascending"] button[data-sort="decodeB1"]').count()).toBe(1);
    await page.locator('button[data-sort="decodeB1"]').click();
    expect(await vendors(page)).toEqual(['nvidia · hopper', 'amd · cdna-3']);
    await page.locator('button[data-sort="device"]').click();
    expect(await vendors(page)).toEqual(['amd · cdna-3', 'nvidia · hopper']);
  });

  test('software adapters are hidden by default; the toggle shows and hides them', async () => {
    await page.locator('#board-software').check();
    expect(await page.locator('#board-body tr').count()).toBe(3);
    expect(await page.locator('#board-body tr.software').count()).toBe(1);
    await page.locator('#board-software').uncheck();
    expect(await page.locator('#board-body tr').count()).toBe(2);
  });

  test.each([
    ['the text filter', async (p: Page): Promise<void> => p.locator('#board-filter').fill('mi300'), ['amd · cdna-3']],
    ['the vendor picker', async (p: Page): Promise<void> => void (await p.locator('#board-vendor').selectOption('nvidia')), ['nvidia · hopper']],
    ['the runtime picker', async (p: Page): Promise<void> => void (await p.locator('#board-runtime').selectOption({ index: 1 })), null],
  ] as const)('%s narrows the rows', async (_name, narrow, expected) => {
    await openBoard(page);
    await narrow(page);
    const shown = await vendors(page);
    if (expected) expect(shown).toEqual(expected);
    else expect(shown).toHaveLength(1);
  });

  test('"Compare selected" opens the selected results in the compare view', async () => {
    await openBoard(page);
    expect(await page.locator('#board-compare').isDisabled()).toBe(true);
    const boxes = page.locator('#board-body input.board-select');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    expect(await page.locator('#board-compare').textContent()).toBe('Compare selected (2)');
    await page.locator('#board-compare').click();
    await page.waitForURL(/\/compare\.html\?result=/);
    await page.waitForFunction(() => (window.tokenbenchCompare?.labels().length ?? 0) === 2);
    const labels = await page.evaluate(() => window.tokenbenchCompare?.labels() ?? []);
    expect(labels.map((l) => l.split(' / ')[0]).sort()).toEqual(['amd', 'nvidia']);
    expect(labels.find((l) => l.startsWith('nvidia'))).toContain(ids.get('nvidia')?.slice(0, 8));
    expect(await page.locator('#compare-summary-body tr').count()).toBe(2);
    expect(await page.locator('#pwned').count()).toBe(0);
  });

  test('compare opens result URLs of its own origin only, each validated', async () => {
    const q = new URLSearchParams();
    q.append('result', 'http://example.com/r.json');
    q.append('result', `/api/results/${'0'.repeat(64)}`);
    q.append('result', '/favicon.svg');
    await page.goto(`${t.url}/compare.html?${q}`);
    await page.waitForFunction(() => document.querySelectorAll('.import-error').length === 3);
    const errors = await page.locator('.import-error').allTextContents();
    expect(errors[0]).toMatch(/only results from this page's own origin/);
    expect(errors[1]).toMatch(/404: no result/);
    expect(errors[2]).toMatch(/^\/favicon\.svg: /);
    expect(await page.evaluate(() => window.tokenbenchCompare?.labels().length)).toBe(0);
  });

  test.each([
    [1280, 900],
    [390, 844],
  ])('no horizontal page scroll at %i px (wide tables scroll in their own box)', async (width, height) => {
    const p = await browser.newPage({ viewport: { width, height } });
    try {
      await openBoard(p);
      await p.locator('#board-software').check();
      const { scrollWidth, clientWidth, overflowing } = await pageWidth(p);
      expect(scrollWidth, `sticking out: ${overflowing.join('; ')}`).toBeLessThanOrEqual(clientWidth);
    } finally {
      await p.close();
    }
  });
});

describe('a board with a read token', () => {
  let r: TestBoard;
  beforeAll(async () => {
    r = await testBoard('pglite', { readToken: 'reader' });
    expect((await post(r.url, JSON.stringify(boardResult({ vendor: 'nvidia' })))).status).toBe(201);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => r?.close());

  test('the page asks for the token, then reads the board with it', async () => {
    const p = await browser.newPage();
    try {
      await p.goto(`${r.url}/`);
      await p.waitForSelector('#board-token');
      await p.locator('#board-token-input').fill('reader');
      await p.locator('#board-token button').click();
      await p.waitForSelector('#board-body tr');
      expect(await vendors(p)).toEqual(['nvidia · hopper']);
      // The row's JSON link sends no token by itself: with one, the page fetches the result and opens its bytes.
      const [tab] = await Promise.all([p.context().waitForEvent('page'), p.locator('a.result-link').first().click()]);
      await tab.waitForLoadState();
      expect(tab.url()).toMatch(/^blob:/);
      expect(JSON.parse((await tab.locator('body').textContent()) ?? '')).toMatchObject({ schema: expect.any(String), status: 'completed' });
      await tab.close();
    } finally {
      await p.close();
    }
  });
});
