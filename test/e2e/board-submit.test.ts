/**
 * Issue 15's end-to-end check: one smoke run on the bench page and one with the CLI, both submitted to two
 * boards this file starts (the embedded database, open; PostgreSQL, with a submit token): the page through
 * its "Submit to board" window, the CLI with --submit and with `submit FILE --to`. Each board page then
 * lists both, filters, sorts and opens them in the compare view. A page submission without the board's
 * token is refused, says so on both pages, stores nothing and leaves the result on the bench page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contentHash } from '../../bench/board/records';
import type { StaticServer } from '../../bench/serve';
import type { BenchResult } from '../../src/schema/result';
import { OPEN_TIMEOUT_MS, type TestBoard, testBoard } from '../unit/board-helpers';
import { type CliRun, launch, pageResult, runCli, servePage, tempDir } from './helpers';

/** The PostgreSQL board's submit token. */
const TOKEN = 'e2e-submit-token';
/** One small smoke run: one format, batch 1, three generated tokens, no tuning (page and CLI alike). */
const SMALL = { formats: 'q4_0', gen: '3', batches: '1' };

let open: TestBoard;
let guarded: TestBoard;
let server: StaticServer;
let browser: Browser;
let bench: Page;
let result: BenchResult;
let cliFile: string;
/** The CLI's run, started beside the page's in beforeAll and awaited by its test. */
let cliRun: Promise<CliRun>;
const ids = { page: '', cli: '' };

beforeAll(async () => {
  [open, guarded, server] = await Promise.all([testBoard('pglite'), testBoard('postgres', { submitToken: TOKEN }), servePage()]);
  cliFile = join(tempDir(), 'cli.json');
  cliRun = runCli(['--suite', 'smoke', '--out', cliFile, '--profile', 'swiftshader', '--quiet', '--no-tune', ...Object.entries(SMALL).flatMap(([k, v]) => [`--${k}`, v]), '--submit', open.url]);
  browser = await launch(['swiftshader']);
  bench = await browser.newPage();
  await bench.goto(`${server.url}?${new URLSearchParams({ suite: 'smoke', autorun: '1', tune: '0', ...SMALL })}`);
  result = await pageResult(bench);
}, OPEN_TIMEOUT_MS + 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await Promise.all([open?.close(), guarded?.close()]);
});

/** Presses Submit to board for `board` and returns the board's window once its page has the result. */
async function openSubmitWindow(board: string): Promise<Page> {
  await bench.locator('#board-url').fill(board);
  const [popup] = await Promise.all([bench.waitForEvent('popup'), bench.locator('#submit-board').click()]);
  await popup.locator('#submit-send:enabled').waitFor();
  return popup;
}

const benchStatus = () => bench.locator('#board-submit-status').textContent();

/** The ids a board has stored. */
async function storedIds(board: TestBoard): Promise<string[]> {
  const res = await fetch(`${board.url}/api/results`);
  return ((await res.json()) as { results: Array<{ id: string }> }).results.map((r) => r.id);
}

describe('the bench page submits through the board\'s window', () => {
  test('the page\'s smoke run goes to the embedded board; the board address is remembered', async () => {
    expect(result.status).toBe('completed');
    expect(await bench.locator('#submit-board').isEnabled()).toBe(true);
    const popup = await openSubmitWindow(open.url);
    expect(popup.url()).toBe(`${open.url}/submit.html`);
    // What arrived is shown, with the page it came from.
    expect(await popup.locator('#submit-from').textContent()).toContain(new URL(server.url).origin);
    expect(await popup.locator('#submit-summary').textContent()).toMatch(/swiftshader.*smoke \(completed\).*tiny q4_0: decode/s);
    await popup.locator('#submit-send').click();
    await popup.locator('#submit-ok').waitFor();
    await bench.locator('#board-submit-status').getByText(/^Stored on the board as [0-9a-f]{64}\.$/).waitFor();
    ids.page = (await bench.locator('#board-submit-status a').textContent()) ?? '';
    expect(await bench.locator('#board-submit-status a').getAttribute('href')).toBe(`${open.url}/api/results/${ids.page}`);
    // The board holds the bytes Export JSON saves.
    const stored = await (await fetch(`${open.url}/api/results/${ids.page}`)).text();
    expect(contentHash(stored)).toBe(ids.page);
    expect((JSON.parse(stored) as BenchResult).startedAt).toBe(result.startedAt);
    expect(await bench.evaluate(() => localStorage.getItem('tokenbench.board.url'))).toBe(open.url);
    // On a 390 px phone the outcome (a 64-digit id) and the submit page fit the width.
    await Promise.all([bench, popup].map((p) => p.setViewportSize({ width: 390, height: 844 })));
    expect(await bench.locator('#board-submit').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    expect(await popup.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await bench.setViewportSize({ width: 1280, height: 720 });
    await popup.close();
  });

  test('a board address that is not http(s) is refused on the page, and no window opens', async () => {
    let opened = false;
    bench.once('popup', () => (opened = true));
    await bench.locator('#board-url').fill('ftp://board.example');
    await bench.locator('#submit-board').click();
    expect(await benchStatus()).toMatch(/^Board address: expected an http or https URL, got "ftp:\/\/board\.example"\.$/);
    expect(opened).toBe(false);
  });

  test('without the token the PostgreSQL board refuses it and stores nothing; with the token it is stored', async () => {
    const popup = await openSubmitWindow(guarded.url);
    await popup.locator('#submit-send').click();
    expect(await popup.locator('#submit-error').textContent()).toMatch(/^Not submitted: the board refused it \(401\): submitting needs a token.* This board needs a submit token/);
    await bench.locator('#board-submit-status').getByText(/did not take the result: the board refused it \(401\)/).waitFor();
    expect(await benchStatus()).toMatch(/The result stays on this page: Export JSON still saves it\.$/);
    expect(await storedIds(guarded)).toEqual([]);
    // The local result is untouched.
    expect(await bench.locator('#export-json').isEnabled()).toBe(true);
    expect(await bench.evaluate(() => window.tokenbench.result().then((r) => r.startedAt))).toBe(result.startedAt);

    await popup.locator('#submit-token').fill(TOKEN);
    await popup.locator('#submit-send').click();
    await popup.locator('#submit-ok').waitFor();
    await bench.locator('#board-submit-status').getByText(`Stored on the board as ${ids.page}.`).waitFor();
    expect(await storedIds(guarded)).toEqual([ids.page]);
    // The token that worked is remembered by the board's origin, not by the bench page's.
    expect(await popup.evaluate(() => localStorage.getItem('tokenbench.board.submitToken'))).toBe(TOKEN);
    expect(await bench.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('submitToken')))).toEqual([]);
    await popup.close();
  });

  test('closing the board\'s window before submitting is reported', async () => {
    const popup = await openSubmitWindow(open.url);
    await popup.close();
    await bench.locator('#board-submit-status').getByText(/The board's window was closed before the result was stored\. The result stays on this page/).waitFor();
  });
});

describe('the CLI submits', () => {
  test('the CLI\'s smoke run goes to the embedded board with --submit, and its file to PostgreSQL with submit --to', async () => {
    const run = await cliRun;
    expect(run.code, run.stderr).toBe(0);
    ids.cli = contentHash(readFileSync(cliFile));
    expect(run.stderr).toContain(`stored on the board as ${ids.cli}`);
    const again = await runCli(['submit', cliFile, '--to', guarded.url, '--token', TOKEN]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${cliFile}: stored on the board as ${ids.cli}\n`);
  });
});

describe.each([
  ['embedded', () => open],
  ['PostgreSQL', () => guarded],
])('the %s board page', (_engine, board) => {
  /** The shown rows' result ids, in order. */
  const shownIds = (p: Page) => p.locator('#board-body tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  let page: Page;
  beforeAll(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${board().url}/`);
    await page.locator('#board-status').getByText(/result\(s\)/).waitFor();
    // Both are software-adapter runs (SwiftShader): hidden until asked for.
    await page.locator('#board-software').check();
  });
  afterAll(async () => page?.close());

  test('lists both runs', async () => {
    expect(ids.page && ids.cli).toBeTruthy();
    expect(new Set(await shownIds(page))).toEqual(new Set([ids.page, ids.cli]));
    expect(await page.locator('#board-body tr.software').count()).toBe(2);
    // The CLI drives the same page in headless Chromium: both are browser runs, named from the user agent.
    expect(await page.locator('#board-body td[data-col="runtime"]').allTextContents()).toEqual([expect.stringMatching(/^Chrome \d+ \(Linux\)$/), expect.stringMatching(/^Chrome \d+ \(Linux\)$/)]);
  });

  test('the text filter narrows to one', async () => {
    await page.locator('#board-filter').fill(ids.cli.slice(0, 12));
    expect(await shownIds(page)).toEqual([ids.cli]);
    await page.locator('#board-filter').fill('');
    expect(await shownIds(page)).toHaveLength(2);
  });

  test('sorting by the run\'s date orders them, and again reverses', async () => {
    // The CLI's run started after the page's (the browser launch came first) or not: the order follows startedAt either way.
    const cliFirst = (JSON.parse(readFileSync(cliFile, 'utf8')) as BenchResult).startedAt < result.startedAt;
    const oldestFirst = cliFirst ? [ids.cli, ids.page] : [ids.page, ids.cli];
    await page.locator('button[data-sort="date"]').click();
    expect(await shownIds(page)).toEqual(oldestFirst);
    await page.locator('button[data-sort="date"]').click();
    expect(await shownIds(page)).toEqual([...oldestFirst].reverse());
  });

  test('"Compare selected" opens both in the compare view', async () => {
    const boxes = page.locator('#board-body input.board-select');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.locator('#board-compare').click();
    await page.waitForURL(/\/compare\.html\?result=/);
    await page.waitForFunction(() => (window.tokenbenchCompare?.labels().length ?? 0) === 2);
    const labels = await page.evaluate(() => window.tokenbenchCompare?.labels() ?? []);
    expect(labels.some((l) => l.includes(ids.page.slice(0, 8)))).toBe(true);
    expect(labels.some((l) => l.includes(ids.cli.slice(0, 8)))).toBe(true);
    expect(await page.locator('#compare-summary-body tr').count()).toBe(2);
  });
});
