/**
 * The WebDriver driver: runs the request through a W3C WebDriver endpoint (chromedriver, a Selenium Grid 4
 * hub, a cloud device farm) with the official `selenium-webdriver` client. The WebGPU flags travel as
 * goog:chromeOptions args; the remote browser loads the page from this machine's page server
 * (bench/serve.ts). WebDriver has no callbacks into Node: the run is started through the page's automation
 * API (`window.tokenbench.run`) and its progress and result are polled.
 */
import { hostname } from 'node:os';
import { Browser, Builder, By, type WebDriver } from 'selenium-webdriver';
import chrome from 'selenium-webdriver/chrome.js';
import type { DescribeOutcome } from '../../src/runtime/describe';
import type { Progress } from '../../src/run/runner';
import type { CliOptions } from '../args';
import { isLoopbackHost, isLoopbackUrl, urlHost } from '../loopback';
import { type ProfileName, chromeFlags } from '../profiles';
import { type DriveContext, type DriveOutcome, describeRequest } from './drive';

export interface WebDriverOptions {
  /** Chromium flags, passed as goog:chromeOptions args. */
  flags: string[];
  headless: boolean;
  /** Browser binary on the WebDriver machine; null: the endpoint's default. */
  binary: string | null;
  /** Where the remote browser finds the page (webDriverPageBase). */
  pageUrl: string;
}

/** How often the run's state is polled. */
export const POLL_MS = 1000;

/** URL the remote WebDriver browser loads the page from. */
export function webDriverPageBase(o: Pick<CliOptions, 'serveBind' | 'serveHost'>, port: number): string {
  const wildcard = o.serveBind === '0.0.0.0' || o.serveBind === '::';
  const host = o.serveHost ?? (wildcard ? hostname() : o.serveBind);
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`;
}

/**
 * Flags for a WebDriver endpoint: the run's flags, --no-sandbox only for a loopback endpoint when we are
 * root (we cannot know the remote user), and the page origin marked secure when it is not loopback
 * (WebGPU needs a secure context; plain http to another host is not one).
 */
export function webDriverFlags(o: { profiles: readonly ProfileName[]; flags: readonly string[] }, endpointUrl: string, pageBase: string, isRoot: boolean): string[] {
  const flags = chromeFlags(o, isRoot && isLoopbackUrl(endpointUrl));
  const pageHost = urlHost(pageBase);
  if (!isLoopbackHost(pageHost) && !pageHost.endsWith('.localhost')) {
    flags.push(`--unsafely-treat-insecure-origin-as-secure=${new URL(pageBase).origin}`);
  }
  return flags;
}

/** Starts the run in the page; progress and result land in window variables for POLL. */
const START = `
  const request = arguments[0];
  if (!window.tokenbench) return 'not-a-tokenbench-page';
  window.__tb = { progress: null, result: null, error: null };
  window.tokenbench.onProgress = (p) => { window.__tb.progress = p; };
  window.tokenbench.run(request).then(
    (r) => { window.__tb.result = JSON.stringify(r); },
    (e) => { window.__tb.error = String((e && e.message) || e); },
  );
  return window.tokenbench.version;`;

/** The page's adapter (window.tokenbench.describe), or null on a page that is not tokenbench's. */
const DESCRIBE = `
  const done = arguments[arguments.length - 1];
  if (!window.tokenbench) return done(null);
  window.tokenbench.describe().then(done, () => done(null));`;

const POLL = "return window.__tb ? [window.__tb.progress, window.__tb.result, window.__tb.error] : [null, null, 'the page was reloaded'];";

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** Polls the started run until it returns. */
async function poll(driver: WebDriver, ctx: DriveContext): Promise<unknown> {
  const deadline = Date.now() + ctx.timeoutMs;
  let lastStep = '';
  for (;;) {
    if (Date.now() > deadline) throw new Error(`no result within ${Math.round(ctx.timeoutMs / 1000)} s (--timeout)`);
    const [progress, result, error] = await driver.executeScript<[Progress | null, string | null, string | null]>(POLL);
    if (progress && progress.step !== lastStep) {
      lastStep = progress.step;
      ctx.progress(progress);
    }
    if (error) throw new Error(`the page refused the run: ${error}`);
    if (result) return JSON.parse(result) as unknown;
    await sleep(POLL_MS);
  }
}

/**
 * Types the model files' paths into the page's file input, as WebDriver uploads files: the browser opens
 * them by path, so it must run on this machine (bench/args.ts refuses model files for other endpoints).
 */
async function handFiles(driver: WebDriver, ctx: DriveContext): Promise<void> {
  await driver.findElement(By.id('gguf-files')).sendKeys(ctx.modelFiles.map((f) => f.path).join('\n'));
  const held = await driver.executeScript<Array<{ name: string; size: number }> | null>('return window.tokenbench ? window.tokenbench.files() : null;');
  const missing = ctx.modelFiles.filter((f) => !held?.some((h) => h.name === f.name));
  if (missing.length) throw new Error(`the page did not take the model file(s) ${missing.map((f) => f.name).join(', ')}`);
  ctx.log(`model files handed to the page: ${(held ?? []).map((h) => `${h.name} (${h.size} bytes)`).join(', ')}`);
}

/** Runs the request on one WebDriver endpoint. Throws with a readable message when it cannot. */
export async function runWebDriver(url: string, o: WebDriverOptions, ctx: DriveContext): Promise<DriveOutcome> {
  const options = new chrome.Options();
  options.addArguments(...o.flags, ...(o.headless ? ['--headless=new'] : []));
  if (o.binary) options.setChromeBinaryPath(o.binary);
  let driver: WebDriver | undefined;
  try {
    // The endpoint named on the command line, never $SELENIUM_REMOTE_URL or a locally started driver.
    driver = await new Builder().disableEnvironmentOverrides().usingServer(url).forBrowser(Browser.CHROME).setChromeOptions(options).build();
    const caps = await driver.getCapabilities();
    ctx.log(`WebDriver session: ${String(caps.get('browserName'))} ${String(caps.get('browserVersion') ?? '')}`);
    await driver.manage().setTimeouts({ script: 60_000, pageLoad: 120_000 });
    await driver.get(o.pageUrl);
    if (ctx.admit) {
      const described = await driver.executeAsyncScript<DescribeOutcome | null>(DESCRIBE);
      if (described?.ok) await ctx.admit(described.environment);
    }
    if (ctx.modelFiles.length) await handFiles(driver, ctx);
    const version = await driver.executeScript<string>(START, ctx.request);
    if (version === 'not-a-tokenbench-page') throw new Error(`${o.pageUrl} is not the tokenbench page as the remote browser sees it`);
    ctx.log(`page ${o.pageUrl} (tokenbench ${version}): window.tokenbench.run(${describeRequest(ctx.request)})`);
    const d = driver;
    ctx.onCancel(async () => {
      await d.executeScript('window.tokenbench && window.tokenbench.cancel();');
    });
    return { raw: await poll(driver, ctx), flags: o.flags };
  } finally {
    await driver?.quit().catch(() => undefined);
  }
}
