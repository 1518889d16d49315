/**
 * The tokenbench command line. `run` (the default) reads its arguments into one RunRequest (bench/args.ts)
 * and hands it to a driver: the system Chrome/Chromium here (bench/drivers/playwright.ts), remote
 * browsers (bench/fleet.ts) or Node through Dawn (bench/node-runner.ts); every run ends through
 * bench/ending.ts. Also `compare`, `gate`, `submit` and `serve-browser`. Exit codes: 0 ok, 1 run or
 * verification failed, 2 usage error / no browser, 3 the result was written but `--submit` failed.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliOptions, parseRunArgs } from './args';
import { BrowserNotFoundError, findBrowser } from './browser';
import { runCompare } from './compare';
import { driveOne } from './drivers/drive';
import { runLocal } from './drivers/playwright';
import { type Ending, prepareEnding } from './ending';
import { runFleet } from './fleet';
import { gateMain } from './gate';
import { modelFilesProblem } from './model-files';
import { withPeerFiles } from './peers/peers';
import { ROOT, runNodeRuntime } from './node-launch';
import { chromeFlags } from './profiles';
import { serveBrowserMain } from './serve-browser';
import { submitMain } from './submit';
import { PAGE_DIR, serveStatic } from './serve';

/**
 * This machine's Chrome/Chromium. When none is found and none was named (--browser, CHROME_PATH), Debian's
 * chromium is installed where that is possible (Debian or Ubuntu, as root or through password-less sudo:
 * scripts/system-deps.mjs --browser, which says what it installs), so the quick start works on a fresh
 * machine; anywhere else the error says what to install.
 */
function locateBrowser(o: CliOptions): string | null {
  try {
    return findBrowser(o.browser);
  } catch (e) {
    if (!(e instanceof BrowserNotFoundError)) throw e;
    if (o.browser || process.env['CHROME_PATH'] || process.platform !== 'linux') {
      process.stderr.write(`tokenbench: ${e.message}\n`);
      return null;
    }
    process.stderr.write(`tokenbench: ${e.message}\ntokenbench: trying to install Debian's chromium (scripts/system-deps.mjs --browser)\n`);
    const install = spawnSync(process.execPath, [resolve(ROOT, 'scripts', 'system-deps.mjs'), '--browser'], { stdio: 'inherit' });
    if (install.status !== 0) return null;
    try {
      return findBrowser(null);
    } catch (again) {
      process.stderr.write(`tokenbench: ${(again as Error).message}\n`);
      return null;
    }
  }
}

/** The local run: this machine's browser, the page served on 127.0.0.1. */
async function runLocalBrowser(o: CliOptions, ending: Ending): Promise<number> {
  const executablePath = locateBrowser(o);
  if (!executablePath) return 2;
  let server;
  try {
    server = await serveStatic(PAGE_DIR);
  } catch (e) {
    process.stderr.write(`tokenbench: ${(e as Error).message}\n`);
    return 2;
  }
  const flags = chromeFlags(o, process.getuid?.() === 0);
  process.stderr.write(`tokenbench: ${executablePath} ${o.headed ? '(headed)' : '(headless)'} · flags: ${flags.join(' ')}\n`);
  try {
    return await driveOne(o, ending, (ctx) => runLocal({ executablePath, flags, headed: o.headed, pageUrl: server.url }, ctx));
  } finally {
    await server.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'compare') return runCompare(argv.slice(1));
  if (argv[0] === 'serve-browser') return serveBrowserMain(argv.slice(1));
  if (argv[0] === 'gate') return gateMain(argv.slice(1));
  if (argv[0] === 'submit') return submitMain(argv.slice(1));
  // The Node runner reads the same arguments again, and warns itself.
  const o = parseRunArgs(argv, (parsed) => parsed.runtime !== 'node');
  if (typeof o === 'number') return o;
  // A model file that is not there is a usage error, found before a browser starts or a bundle is built.
  const fileProblem = modelFilesProblem(o.modelFiles);
  if (fileProblem) {
    process.stderr.write(`tokenbench: ${fileProblem}\n`);
    return 2;
  }
  // Node/Dawn runtime: the bundled runner does the whole run (bench/node-runner.ts).
  if (o.runtime === 'node') return runNodeRuntime(argv);
  // --baseline and --format are checked before anything runs.
  const prepared = prepareEnding(o);
  if (!prepared.ok) {
    process.stderr.write(`tokenbench: ${prepared.error}\n`);
    return 2;
  }
  // --peer: synthetic workloads become GGUF files that tokenbench and llama.cpp both run.
  const peered = await withPeerFiles(o);
  try {
    return await (o.endpoints.length ? runFleet(peered.o, prepared.ending) : runLocalBrowser(peered.o, prepared.ending));
  } finally {
    peered.cleanup();
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
