/**
 * Runs the suite through a W3C WebDriver endpoint (chromedriver, a Selenium Grid 4 hub, a cloud device
 * farm) with the official `selenium-webdriver` client. The WebGPU flags travel as goog:chromeOptions
 * args; the remote browser loads the page from this machine's page server (bench/serve.ts).
 */
import { Browser, Builder, type WebDriver } from 'selenium-webdriver';
import chrome from 'selenium-webdriver/chrome.js';
import type { BenchResult } from '../src/schema/result';
import type { Progress } from '../src/run/runner';

export interface DriveContext {
  /** Page URL including the query (suite, autorun, token-workload overrides). */
  pageUrl: string;
  /** Give up after this long. */
  timeoutMs: number;
  progress: (p: Progress) => void;
  log: (line: string) => void;
  /** The driver registers how to cancel its run (Ctrl-C). */
  onCancel: (cancel: () => Promise<void>) => void;
}

export interface DriveOutcome {
  /** What the page resolved window.tokenbenchResult with (validated by the caller). */
  raw: BenchResult;
  /** Browser flags the run used, when known. */
  flags: string[] | null;
}

export interface WebDriverOptions {
  /** Chromium flags, passed as goog:chromeOptions args. */
  flags: string[];
  headless: boolean;
  /** Browser binary on the WebDriver machine; null: the endpoint's default. */
  binary: string | null;
}

/** How often the run's state is polled. */
export const POLL_MS = 1000;

/**
 * Installed after the page loads: progress goes to a window variable and the result is kept as JSON,
 * both polled with executeScript (WebDriver has no callbacks into Node).
 */
const INSTALL_HOOKS = `
  if (!window.tokenbenchResult) return 'not-a-tokenbench-page';
  if (!window.__tbHooked) {
    window.__tbHooked = true;
    window.__tbProgress = null;
    window.__tbResult = null;
    window.__tokenbenchProgress = (p) => { window.__tbProgress = p; };
    window.tokenbenchResult.then((r) => { window.__tbResult = JSON.stringify(r); });
  }
  return 'ok';`;

const POLL = 'return [window.__tbProgress || null, window.__tbResult || null];';

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** Runs the suite on one WebDriver endpoint. Throws with a readable message when it cannot. */
export async function runWebDriverEndpoint(url: string, o: WebDriverOptions, ctx: DriveContext): Promise<DriveOutcome> {
  const options = new chrome.Options();
  options.addArguments(...o.flags, ...(o.headless ? ['--headless=new'] : []));
  if (o.binary) options.setChromeBinaryPath(o.binary);
  const deadline = Date.now() + ctx.timeoutMs;
  let driver: WebDriver | undefined;
  try {
    // The endpoint named on the command line, never $SELENIUM_REMOTE_URL or a locally started driver.
    driver = await new Builder().disableEnvironmentOverrides().usingServer(url).forBrowser(Browser.CHROME).setChromeOptions(options).build();
    const caps = await driver.getCapabilities();
    ctx.log(`WebDriver session: ${String(caps.get('browserName'))} ${String(caps.get('browserVersion') ?? '')}`);
    await driver.manage().setTimeouts({ script: 60_000, pageLoad: 120_000 });
    await driver.get(ctx.pageUrl);
    const installed = await driver.executeScript<string>(INSTALL_HOOKS);
    if (installed !== 'ok') throw new Error(`${ctx.pageUrl} is not the tokenbench page as the remote browser sees it`);
    const d = driver;
    ctx.onCancel(async () => {
      await d.executeScript('window.tokenbenchCancel && window.tokenbenchCancel();');
    });
    let lastStep = '';
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no result within ${Math.round(ctx.timeoutMs / 1000)} s (--timeout)`);
      const [progress, result] = await driver.executeScript<[Progress | null, string | null]>(POLL);
      if (progress && progress.step !== lastStep) {
        lastStep = progress.step;
        ctx.progress(progress);
      }
      if (result) return { raw: JSON.parse(result) as BenchResult, flags: o.flags };
      await sleep(POLL_MS);
    }
  } finally {
    await driver?.quit().catch(() => undefined);
  }
}
