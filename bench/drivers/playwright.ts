/**
 * The Playwright driver: a Chrome/Chromium launched here (the local run), or a browser server on another
 * machine (`--connect`, bench/serve-browser.ts). Both share one page flow: open the page, route its
 * progress here, and run the request through the page's automation API, `window.tokenbench.run`.
 *
 * A remote browser gets the page over the Playwright connection itself (request interception on a fixed
 * loopback-like origin), so it needs no route to this machine and the page is a secure context there.
 */
import { readFileSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import type { Progress } from '../../src/run/runner';
import type {} from '../../src/runtime/automation';
import { PAGE_DIR, staticResponse } from '../serve';
import { type DriveContext, type DriveOutcome, deadline, describeRequest } from './drive';

/**
 * Origin the page has in a remote Playwright browser. Every request to it is answered from dist/ over
 * the connection; `*.localhost` is a secure context, which WebGPU requires, and never leaves the machine.
 */
export const REMOTE_PAGE_ORIGIN = 'http://tokenbench.localhost';

/** Longest wait for a browser server to accept the connection. */
export const CONNECT_TIMEOUT_MS = 60_000;

/** The window function through which the page's progress reaches this process. */
const PROGRESS_BINDING = '__tokenbenchProgress';

/**
 * Runs the request on `page`: forwards the page's console (`console: 'problems'` keeps errors and warnings
 * only), opens `url`, waits until the page is ready and calls window.tokenbench.run. Each of `guards`
 * rejects when the browser goes away or the time is up.
 */
async function runOnPage(page: Page, url: string, ctx: DriveContext, guards: Array<Promise<never>>, console: 'all' | 'problems'): Promise<unknown> {
  page.on('console', (m) => {
    if (console === 'all' || m.type() === 'error' || m.type() === 'warning') ctx.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => ctx.log(`[page error] ${e.message}`));
  const crashed = new Promise<never>((_, fail) => page.on('crash', () => fail(new Error('the page crashed'))));
  crashed.catch(() => undefined);
  const race = <T>(p: Promise<T>) => Promise.race([p, crashed, ...guards]);
  await page.exposeFunction(PROGRESS_BINDING, (p: Progress) => ctx.progress(p));
  await race(page.goto(url));
  const version = await race(page.evaluate(async () => (window.tokenbench ? (await window.tokenbench.ready, window.tokenbench.version) : null)));
  if (version === null) throw new Error(`${url} is not the tokenbench page (no window.tokenbench)`);
  if (ctx.admit) {
    const described = await race(page.evaluate(() => window.tokenbench.describe()));
    if (described.ok) await race(ctx.admit(described.environment));
  }
  if (ctx.modelFiles.length) await race(handFiles(page, ctx));
  ctx.log(`page ${url} (tokenbench ${version}): window.tokenbench.run(${describeRequest(ctx.request)})`);
  ctx.onCancel(async () => {
    await page.evaluate(() => window.tokenbench.cancel());
  });
  return race(
    page.evaluate(
      ({ request, binding }) => {
        const send = (window as unknown as Record<string, (p: Progress) => Promise<void>>)[binding];
        window.tokenbench.onProgress = (p) => void send?.(p).catch(() => undefined);
        return window.tokenbench.run(request);
      },
      { request: ctx.request, binding: PROGRESS_BINDING },
    ),
  );
}

/**
 * Hands the request's model files to the page through its file input, as a user picking them would. A
 * local browser is given the paths; Playwright sends a remote one the files over its connection.
 */
async function handFiles(page: Page, ctx: DriveContext): Promise<void> {
  // Sending gigabytes to a remote server takes a while: the run's --timeout bounds it, not Playwright's 30 s.
  await page.locator('#gguf-files').setInputFiles(ctx.modelFiles.map((f) => f.path), { timeout: 0 });
  const held = await page.evaluate(() => window.tokenbench.files());
  const missing = ctx.modelFiles.filter((f) => !held.some((h) => h.name === f.name));
  if (missing.length) throw new Error(`the page did not take the model file(s) ${missing.map((f) => f.name).join(', ')}`);
  ctx.log(`model files handed to the page: ${held.map((h) => `${h.name} (${h.size} bytes)`).join(', ')}`);
}

export interface LocalBrowser {
  executablePath: string;
  flags: string[];
  headed: boolean;
  /** Where this machine serves the page (bench/serve.ts). */
  pageUrl: string;
}

/** Launches the browser here and runs the request in it. Throws with a readable message when it cannot. */
export async function runLocal(b: LocalBrowser, ctx: DriveContext): Promise<DriveOutcome> {
  const timer = deadline(ctx.timeoutMs);
  // Ctrl-C is ours: cancel the run and keep what finished (Playwright would close the browser first).
  const browser = await chromium.launch({ executablePath: b.executablePath, headless: !b.headed, args: b.flags, timeout: 120_000, handleSIGINT: false });
  try {
    const page = await browser.newPage();
    return { raw: await runOnPage(page, b.pageUrl, ctx, [timer.expired], 'all'), flags: b.flags };
  } finally {
    timer.clear();
    await browser.close().catch(() => undefined);
  }
}

/** Switches of the remote browser's command line worth recording (not profile paths or the debugging pipe). */
export function recordedSwitches(argv: readonly string[]): string[] {
  return argv.filter((a) => a.startsWith('--') && !/^--(user-data-dir|remote-debugging-(pipe|port)|enable-automation)(=|$)/.test(a));
}

/** The remote browser's command line, when its server allows reading it (serve-browser does); else null. */
async function remoteFlags(browser: Browser): Promise<string[] | null> {
  try {
    const cdp = await browser.newBrowserCDPSession();
    const r = (await cdp.send('Browser.getBrowserCommandLine')) as { arguments: string[] };
    await cdp.detach();
    return recordedSwitches(r.arguments);
  } catch {
    return null;
  }
}

/** Runs the request on one Playwright browser server. Throws with a readable message when it cannot. */
export async function runRemote(url: string, ctx: DriveContext): Promise<DriveOutcome> {
  const browser = await chromium.connect(url, { timeout: CONNECT_TIMEOUT_MS });
  const timer = deadline(ctx.timeoutMs);
  const disconnected = new Promise<never>((_, fail) => browser.on('disconnected', () => fail(new Error('the browser server disconnected'))));
  disconnected.catch(() => undefined);
  try {
    const flags = await remoteFlags(browser);
    const context = await browser.newContext();
    await context.route(`${REMOTE_PAGE_ORIGIN}/**`, async (route) => {
      const r = staticResponse(PAGE_DIR, new URL(route.request().url()).pathname);
      if (r.status !== 200) await route.fulfill({ status: r.status, contentType: 'text/plain', body: r.body });
      else await route.fulfill({ status: 200, headers: r.headers, body: readFileSync(r.file) });
    });
    const page = await context.newPage();
    return { raw: await runOnPage(page, `${REMOTE_PAGE_ORIGIN}/`, ctx, [timer.expired, disconnected], 'problems'), flags };
  } finally {
    timer.clear();
    await browser.close().catch(() => undefined);
  }
}
