/** Helpers of the fleet, WebDriver, baseline and Node-runner e2e tests: loopback servers started by the test. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { BenchResult } from '../../src/schema/result';
import { parseResultText } from '../../src/schema/result';
import { ROOT } from './helpers';

/** Keeps e2e runs modest on a small CI machine: the smoke suite, one format, three decode steps, batch 1. */
export const SMALL = ['--suite', 'smoke', '--formats', 'q4_0', '--gen', '3', '--batches', '1'];

/** A free TCP port on loopback (closed again, so a connection to it is refused). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

export interface Served {
  child: ChildProcess;
  endpoint: string;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `npm run bench -- serve-browser ARGS` (through tsx) and waits for the endpoint on stdout. */
export function startServeBrowser(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/cli.ts'), 'serve-browser', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve-browser printed no endpoint in 120 s: ${stderr}`)), 120_000);
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^(ws:\/\/\S+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        ok({
          child,
          endpoint: m[1] as string,
          stderr: () => stderr,
          exited,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`serve-browser exited (${code}) before printing an endpoint: ${stderr}`));
    });
  });
}

/** Starts Debian's chromedriver on a free loopback port and waits until it answers /status. */
export async function startChromedriver(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('chromedriver', [`--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const failed = new Promise<never>((_, fail) => {
    child.on('error', (e) => fail(new Error(`chromedriver could not start (apt-get install chromium-driver): ${e.message}`)));
    child.on('exit', (code) => fail(new Error(`chromedriver exited (${code}): ${log}`)));
  });
  failed.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await Promise.race([fetch(`${url}/status`), failed]);
      if (r.ok) break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`chromedriver did not come up: ${(e as Error).message} ${log}`);
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((ok) => child.on('exit', () => ok()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** Reads and validates a result file; fails the test with the schema error. */
export function readResult(path: string): BenchResult {
  const parsed = parseResultText(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error}`);
  return parsed.result;
}

/** A copy of `r` whose every sample is `factor` times as long (0.5: a baseline twice as fast). */
export function scaledResult(r: BenchResult, factor: number): BenchResult {
  const c = structuredClone(r);
  const s = (v: number[]) => v.map((x) => x * factor);
  for (const p of c.phases) {
    for (const m of p.measurements) if ('timing' in m) m.timing.samplesNs = s(m.timing.samplesNs);
    for (const w of p.workloads ?? []) {
      for (const t of w.tests) {
        if (t.gpu) t.gpu.samplesNs = s(t.gpu.samplesNs);
        t.wall.samplesNs = s(t.wall.samplesNs);
        if (t.stepNs) t.stepNs = s(t.stepNs);
      }
    }
  }
  return c;
}
