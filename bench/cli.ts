/**
 * Headless CLI: serves the built page on 127.0.0.1, drives the system Chrome/Chromium through
 * playwright-core with WebGPU flags, forwards the page console, writes the result JSON and prints a
 * summary. Exit codes: 0 ok, 1 run or verification failed, 2 usage error / no browser.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { formats, resultFileName } from '../src/result/formats';
import { type BenchResult, parseResult } from '../src/schema/result';
import { resultOk } from '../src/result/verdict';
import type { Progress } from '../src/run/runner';
import { chromeFlags, pageQuery, parseRunArgs } from './args';
import { BrowserNotFoundError, findBrowser } from './browser';
import { runCompare } from './compare';
import { runFleet } from './fleet';
import { gateMain } from './gate';
import { runNodeRuntime } from './node-launch';
import { prepareReport, resultExtras } from './report';
import { serveBrowserMain } from './serve-browser';
import { serveStatic } from './serve';
import { handleInterrupt, progressReporter } from './terminal';
import { defaultTuneCachePath, keepTuning, loadTuneCacheFile } from './tune-cache';
import { TUNE_CACHE_KEY } from '../src/run/tune/tuner';
import { appendStepSummary, resultMarkdown } from './summary';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Writes via a temporary file and rename, so a crash never leaves a half-written result. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'compare') return runCompare(argv.slice(1));
  if (argv[0] === 'serve-browser') return serveBrowserMain(argv.slice(1));
  if (argv[0] === 'gate') return gateMain(argv.slice(1));
  const opts = parseRunArgs(argv);
  if (typeof opts === 'number') return opts;
  // Node/Dawn runtime: the bundled runner does the whole run (bench/node-runner.ts).
  if (opts.runtime === 'node') return runNodeRuntime(argv);
  // --baseline and --format are checked before anything runs.
  const prepared = prepareReport(opts);
  if (!prepared.ok) {
    process.stderr.write(`tokenbench: ${prepared.error}\n`);
    return 2;
  }
  if (opts.endpoints.length) return runFleet(opts, prepared.baseline);
  let executablePath: string;
  try {
    executablePath = findBrowser(opts.browser);
  } catch (e) {
    if (e instanceof BrowserNotFoundError) {
      process.stderr.write(`tokenbench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let server;
  try {
    server = await serveStatic(DIST);
  } catch (e) {
    process.stderr.write(`tokenbench: ${(e as Error).message}\n`);
    return 2;
  }
  const flags = chromeFlags(opts, process.getuid?.() === 0);
  const progress = progressReporter(opts.quiet);
  let browser: Browser | undefined;
  let pageRef: import('playwright-core').Page | undefined;
  const stopHandling = handleInterrupt(() => void pageRef?.evaluate(() => window.tokenbenchCancel()).catch(() => undefined));
  try {
    process.stderr.write(`tokenbench: ${executablePath} ${opts.headed ? '(headed)' : '(headless)'} · flags: ${flags.join(' ')}\n`);
    // Ctrl-C is ours: cancel the run and write what finished (Playwright would close the browser first).
    browser = await chromium.launch({ executablePath, headless: !opts.headed, args: flags, timeout: 120_000, handleSIGINT: false });
    const page = await browser.newPage();
    pageRef = page;
    page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    await page.exposeFunction('__tokenbenchProgress', (p: Progress) => progress.update(p));
    const crashed = new Promise<never>((_, fail) => page.on('crash', () => fail(new Error('the page crashed'))));
    // The browser profile is fresh: the page finds the file's tuning choices in its localStorage.
    const tuneCachePath = opts.tuneCache ?? defaultTuneCachePath();
    if (opts.tune) {
      const cache = loadTuneCacheFile(tuneCachePath);
      await page.addInitScript(
        ({ key, value }) => {
          try {
            localStorage.setItem(key, value);
          } catch {
            // No storage: the page tunes from scratch.
          }
        },
        { key: TUNE_CACHE_KEY, value: JSON.stringify(cache) },
      );
    }
    const url = `${server.url}?${pageQuery(opts).toString()}`;
    await page.goto(url);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no result within ${opts.timeoutS} s (--timeout)`)), opts.timeoutS * 1000);
    });
    let raw: BenchResult | undefined;
    try {
      raw = await Promise.race([page.evaluate(() => window.tokenbenchResult), crashed, timedOut]);
    } finally {
      clearTimeout(timer);
      progress.done(raw);
    }
    const checked = parseResult({ ...raw, runtime: { ...raw.runtime, flags } });
    if (!checked.ok) {
      process.stderr.write(`tokenbench: the page produced a result that fails the schema: ${checked.error}\n`);
      return 1;
    }
    const result = checked.result;
    if (opts.tune) keepTuning(tuneCachePath, result);
    const out = resolve(opts.out ?? resultFileName(result));
    writeAtomic(out, formats.json(result));
    process.stdout.write(formats.text(result));
    process.stdout.write(`\nresult written to ${out}\n`);
    const ok = resultOk(result);
    if (!ok) process.stderr.write('tokenbench: the run did not complete with every figure verified (exit 1)\n');
    // --format files, the --baseline gate and the GitHub step summary (bench/report.ts).
    const extras = resultExtras(result, out, opts, prepared.baseline);
    appendStepSummary(resultMarkdown(result) + (extras.gateMarkdown ? `\n${extras.gateMarkdown}` : ''));
    return ok && (extras.gate?.ok ?? true) ? 0 : 1;
  } catch (e) {
    process.stderr.write(`tokenbench: run failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    stopHandling();
    await browser?.close().catch(() => undefined);
    await server.close();
  }
}

const isEntry = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`tokenbench: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
