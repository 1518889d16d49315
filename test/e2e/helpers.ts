import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { findBrowser } from '../../bench/browser';
import { chromeFlags } from '../../bench/profiles';
import { type StaticServer, serveStatic } from '../../bench/serve';
import type { Progress } from '../../src/run/runner';
import type {} from '../../src/runtime/automation';
import type { BenchResult } from '../../src/schema/result';

export const ROOT = resolve(import.meta.dirname, '../..');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tokenbench-e2e-'));
}

/** The built page on a free loopback port (the test command builds dist/ first). */
export function servePage(): Promise<StaticServer> {
  return serveStatic(join(ROOT, 'dist'));
}

/**
 * Launches the system Chromium like the CLI does. Fails (never skips) when none is installed: the
 * e2e layer is part of the suite, and .ci/run installs Debian's chromium.
 */
export function launch(profiles: Array<'default' | 'swiftshader'> = ['swiftshader'], extra: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: findBrowser(null),
    headless: true,
    args: chromeFlags({ profiles, flags: extra }, process.getuid?.() === 0),
  });
}

/** Launches without --enable-unsafe-webgpu: on Linux the page then sees navigator.gpu but no adapter. */
export function launchWithoutWebGpu(): Promise<Browser> {
  const args = chromeFlags({ profiles: ['default'], flags: [] }, process.getuid?.() === 0).filter((f) => f !== '--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: findBrowser(null), headless: true, args });
}

/**
 * Sends the page's progress events to `listen` (through window.tokenbench.onProgress). Call once the page
 * is loaded; the binding survives reloads, the listener has to be set again on a new page load.
 */
export async function onProgress(page: Page, listen: (p: Progress) => unknown, bind = true): Promise<void> {
  if (bind) await page.exposeFunction('__testProgress', listen);
  await page.waitForFunction(() => window.tokenbench !== undefined);
  await page.evaluate(() => {
    const send = (window as unknown as { __testProgress: (p: Progress) => Promise<void> }).__testProgress;
    window.tokenbench.onProgress = (p) => void send(p);
  });
}

/** The result of the page's current (or next) run. */
export function pageResult(page: Page): Promise<BenchResult> {
  return page.evaluate(() => window.tokenbench.result());
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's cache home in tests (its tuning cache lives there): one temporary directory per test file,
 * so no test reads or writes the user's ~/.cache.
 */
const CACHE_HOME = mkdtempSync(join(tmpdir(), 'tokenbench-e2e-cache-'));

/** Runs the CLI (bench/cli.ts through tsx) as a child process; `onStderr` sees stderr as it grows. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  onStderr?: (soFar: string, child: import('node:child_process').ChildProcess) => void,
): Promise<CliRun> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...env, XDG_CACHE_HOME: CACHE_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

export interface PageWidth {
  scrollWidth: number;
  clientWidth: number;
  /** The outermost elements that reach past the viewport's right edge (not those inside a scrolling box): `selector width`. */
  overflowing: string[];
}

/**
 * Whether the page scrolls sideways, and what makes it: each outermost element whose right edge passes
 * the viewport, named by a short selector, so a failing layout test says what to fix.
 */
export function pageWidth(page: Page): Promise<PageWidth> {
  // Inline code only: a named helper inside would be compiled to a call that does not exist in the page.
  return page.evaluate(() => {
    const root = document.documentElement;
    const edge = root.clientWidth + 0.5;
    const overflowing: string[] = [];
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.right <= edge) continue;
      const parent = e.parentElement;
      if (parent && parent !== document.body && parent.getBoundingClientRect().right > edge) continue;
      let scrolled = false;
      for (let a = parent; a && a !== document.body; a = a.parentElement) scrolled ||= getComputedStyle(a).overflowX !== 'visible';
      if (scrolled) continue;
      const path: string[] = [];
      for (let a: Element | null = e; a && a !== document.body; a = a.parentElement) {
        path.unshift(a.tagName.toLowerCase() + (a.id ? `#${a.id}` : [...a.classList].map((c) => `.${c}`).join('')));
        if (a.id) break;
      }
      overflowing.push(`${path.join(' > ')} ${Math.round(r.width)}px`);
    }
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, overflowing };
  });
}
