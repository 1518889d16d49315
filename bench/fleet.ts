/**
 * Fleet runs: the suite on every remote browser named by --connect (Playwright browser servers, see
 * bench/serve-browser.ts) and --webdriver (W3C WebDriver, see bench/webdriver.ts), in parallel. Each
 * result is tagged with its endpoint; a failing or disconnecting endpoint is reported with its error
 * while the others finish; a merged comparison follows.
 *
 * Playwright endpoints get the page over the Playwright connection itself (request interception on a
 * fixed loopback-like origin), so the remote machine needs no route to this one and the page is a
 * secure context there. WebDriver endpoints load it from this machine's page server (--host,
 * --serve-host, --serve-port).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { compareResults } from '../src/result/compare';
import { adapterLabel, fmtDuration, formats } from '../src/result/formats';
import { type BenchResult, parseResult } from '../src/schema/result';
import { resultOk } from '../src/result/verdict';
import type { Progress } from '../src/run/runner';
import { type CliOptions, type Endpoint, chromeFlags, pageQuery } from './args';
import { type LoadedBaseline, finishResult, outStem, resultExtras, writeFileAtomic } from './report';
import { staticResponse, serveStatic, type StaticServer } from './serve';
import { type FleetEntry, appendStepSummary, fleetMarkdown, fleetRows, fleetText } from './summary';
import { type DriveContext, type DriveOutcome, runWebDriverEndpoint } from './webdriver';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/**
 * Origin the page has in a remote Playwright browser. Every request to it is answered from dist/ over
 * the connection; `*.localhost` is a secure context, which WebGPU requires, and never leaves the machine.
 */
export const REMOTE_PAGE_ORIGIN = 'http://tokenbench.localhost';

export const FLEET_SCHEMA_ID = 'tokenbench/fleet';
export const FLEET_SCHEMA_VERSION = 1;

/** Longest wait for a browser server or WebDriver endpoint to accept the connection. */
export const CONNECT_TIMEOUT_MS = 60_000;

/**
 * The endpoint as recorded in results and reports: no credentials, query or fragment; for Playwright
 * browser servers no path either (the random path is what keeps strangers out of the browser).
 */
export function redactEndpoint(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(invalid URL)';
  }
  const origin = `${u.protocol}//${u.host}`;
  if (u.protocol === 'ws:' || u.protocol === 'wss:') return u.pathname && u.pathname !== '/' ? `${origin}/…` : origin;
  return `${origin}${u.pathname === '/' ? '' : u.pathname}`;
}

/** Column name of an endpoint: `#2 ws://gpu-b:3000/…`. */
export function endpointLabel(index: number, url: string): string {
  return `#${index + 1} ${redactEndpoint(url)}`;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Host name of an http(s)/ws(s) URL, lower-case. */
function urlHost(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

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
export function webDriverFlags(o: Pick<CliOptions, 'presets' | 'flags'>, endpointUrl: string, pageBase: string, isRoot: boolean): string[] {
  const flags = chromeFlags(o, isRoot && LOOPBACK.has(urlHost(endpointUrl)));
  const pageHost = urlHost(pageBase);
  if (!LOOPBACK.has(pageHost) && !pageHost.endsWith('.localhost')) {
    flags.push(`--unsafely-treat-insecure-origin-as-secure=${new URL(pageBase).origin}`);
  }
  return flags;
}

/** Switches of the remote browser's command line worth recording (not profile paths or the debugging pipe). */
export function recordedSwitches(argv: readonly string[]): string[] {
  return argv.filter(
    (a) => a.startsWith('--') && !/^--(user-data-dir|remote-debugging-(pipe|port)|enable-automation)(=|$)/.test(a),
  );
}

/** Runs the suite on one Playwright browser server. Throws with a readable message when it cannot. */
export async function runPlaywrightEndpoint(url: string, ctx: DriveContext): Promise<DriveOutcome> {
  const browser = await chromium.connect(url, { timeout: CONNECT_TIMEOUT_MS });
  const guards: Array<Promise<never>> = [];
  const guard = (p: Promise<never>) => {
    p.catch(() => undefined); // raced below; never an unhandled rejection after the race settles
    guards.push(p);
  };
  guard(new Promise<never>((_, fail) => browser.on('disconnected', () => fail(new Error('the browser server disconnected')))));
  let timer: NodeJS.Timeout | undefined;
  guard(new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no result within ${Math.round(ctx.timeoutMs / 1000)} s (--timeout)`)), ctx.timeoutMs);
  }));
  try {
    let flags: string[] | null = null;
    try {
      const cdp = await browser.newBrowserCDPSession();
      const r = (await cdp.send('Browser.getBrowserCommandLine')) as { arguments: string[] };
      flags = recordedSwitches(r.arguments);
      await cdp.detach();
    } catch {
      // Only when the server was started with --enable-automation (serve-browser does): else unknown.
    }
    const context = await browser.newContext();
    const root = DIST;
    await context.route(`${REMOTE_PAGE_ORIGIN}/**`, async (route) => {
      const r = staticResponse(root, new URL(route.request().url()).pathname);
      if (r.status !== 200) await route.fulfill({ status: r.status, contentType: 'text/plain', body: r.body });
      else await route.fulfill({ status: 200, headers: r.headers, body: readFileSync(r.file) });
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') ctx.log(`[page ${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => ctx.log(`[page error] ${e.message}`));
    guard(new Promise<never>((_, fail) => page.on('crash', () => fail(new Error('the page crashed')))));
    await page.exposeFunction('__tokenbenchProgress', (p: Progress) => ctx.progress(p));
    await Promise.race([page.goto(ctx.pageUrl), ...guards]);
    ctx.onCancel(async () => {
      await page.evaluate(() => window.tokenbenchCancel());
    });
    const raw = await Promise.race([page.evaluate(() => window.tokenbenchResult), ...guards]);
    return { raw, flags };
  } finally {
    clearTimeout(timer);
    await browser.close().catch(() => undefined);
  }
}

/** A progress printer per endpoint: one line per step, prefixed with the endpoint's label. */
function progressLine(label: string, quiet: boolean): (p: Progress) => void {
  let last = '';
  return (p) => {
    if (quiet || p.step === last) return;
    last = p.step;
    const eta = p.etaMs === null ? '' : ` · ~${fmtDuration(p.etaMs)} left`;
    process.stderr.write(`[${label} ${String(Math.round(p.fraction * 100)).padStart(3)}%] ${p.phaseTitle} · ${p.step}${eta}\n`);
  };
}

/** One line saying what went wrong: no terminal colours, no Playwright call log. */
export function errorText(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, '');
  const head = m.split(/\n\s*Call log:/)[0] ?? m;
  return head.split('\n').filter(Boolean).slice(0, 3).join(' ').replace(/\s+/g, ' ').trim();
}

/** The merged report written for several endpoints (`--out`). */
export interface FleetReport {
  schema: typeof FLEET_SCHEMA_ID;
  schemaVersion: typeof FLEET_SCHEMA_VERSION;
  startedAt: string;
  finishedAt: string;
  suite: CliOptions['suite'];
  endpoints: Array<{
    label: string;
    endpoint: string;
    driver: Endpoint['driver'];
    ok: boolean;
    status: BenchResult['status'] | null;
    adapter: string | null;
    error: string | null;
    file: string | null;
    baseline: { ok: boolean; regressions: string[] } | null;
  }>;
  /** Every headline metric of every endpoint (null: not measured there). */
  metrics: ReturnType<typeof fleetRows>;
  /** Token tests of every result and each result's diff against the first (src/result/compare.ts). */
  comparison: ReturnType<typeof compareResults>;
}

/**
 * `run --connect ... --webdriver ...`: runs every endpoint in parallel and reports. Exit code 0 when every
 * endpoint produced a verified result (and passed the baseline gate), 1 otherwise, 2 when the page
 * server cannot start.
 */
export async function runFleet(opts: CliOptions, baseline: LoadedBaseline | null): Promise<number> {
  const startedAt = new Date().toISOString();
  const eps = opts.endpoints;
  const isRoot = process.getuid?.() === 0;
  if (eps.every((e) => e.driver === 'playwright') && (opts.flags.length || opts.presets.some((p) => p !== 'default') || opts.headed)) {
    process.stderr.write('tokenbench: --preset, --flags and --headed do not apply to --connect endpoints (their flags are set by serve-browser)\n');
  }
  let server: StaticServer | null = null;
  if (eps.some((e) => e.driver === 'webdriver')) {
    try {
      server = await serveStatic(DIST, opts.servePort, opts.serveBind);
    } catch (e) {
      process.stderr.write(`tokenbench: page server: ${(e as Error).message}\n`);
      return 2;
    }
  }
  // Remote browsers keep their own tuning cache (their localStorage); --no-tune reaches them as tune=0.
  const query = pageQuery(opts);
  const pageBase = server ? webDriverPageBase(opts, Number(new URL(server.url).port)) : `${REMOTE_PAGE_ORIGIN}/`;
  const cancels: Array<() => Promise<void>> = [];
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) {
      process.stderr.write('\ntokenbench: interrupted twice, exiting without results\n');
      process.exit(130);
    }
    process.stderr.write('\ntokenbench: cancelling every endpoint; completed phases will be written (Ctrl-C again to abort)\n');
    for (const c of cancels) void c().catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  process.stderr.write(`tokenbench: fleet of ${eps.length} endpoint(s)${server ? ` · page server ${server.url} (remote browsers use ${pageBase})` : ''}\n`);
  try {
    const entries = await Promise.all(
      eps.map(async (ep, i): Promise<FleetEntry> => {
        const label = endpointLabel(i, ep.url);
        const endpoint = redactEndpoint(ep.url);
        const ctx: DriveContext = {
          pageUrl: `${ep.driver === 'playwright' ? `${REMOTE_PAGE_ORIGIN}/` : pageBase}?${query.toString()}`,
          timeoutMs: opts.timeoutS * 1000,
          progress: progressLine(label, opts.quiet),
          log: (line) => process.stderr.write(`[${label}] ${line}\n`),
          onCancel: (c) => {
            cancels.push(c);
            if (interrupted) void c().catch(() => undefined);
          },
        };
        const base = { label, endpoint, driver: ep.driver, file: null };
        try {
          const t0 = Date.now();
          const out =
            ep.driver === 'playwright'
              ? await runPlaywrightEndpoint(ep.url, ctx)
              : await runWebDriverEndpoint(ep.url, { flags: webDriverFlags(opts, ep.url, pageBase, isRoot), headless: !opts.headed, binary: opts.browser }, ctx);
          const checked = parseResult({ ...out.raw, runtime: { ...out.raw.runtime, ...(out.flags ? { flags: out.flags } : {}), endpoint } });
          if (!checked.ok) return { ...base, result: null, error: `the page produced a result that fails the schema: ${checked.error}` };
          if (!opts.quiet) process.stderr.write(`[${label}] ${checked.result.status} in ${fmtDuration(Date.now() - t0)}\n`);
          return { ...base, result: checked.result, error: null };
        } catch (e) {
          const error = errorText(e);
          process.stderr.write(`[${label}] FAILED: ${error}\n`);
          return { ...base, result: null, error };
        }
      }),
    );
    return report(entries, opts, baseline, startedAt);
  } finally {
    process.off('SIGINT', onSigint);
    await server?.close();
  }
}

function report(entries: FleetEntry[], opts: CliOptions, baseline: LoadedBaseline | null, startedAt: string): number {
  if (entries.length === 1) {
    const only = entries[0] as FleetEntry;
    if (only.result) return finishResult(only.result, opts, baseline);
    process.stderr.write(`tokenbench: ${only.label}: no result: ${only.error}\n`);
    appendStepSummary(fleetMarkdown(entries));
    return 1;
  }
  const stamp = startedAt.replace(/[:]/g, '').replace(/\..*$/, '');
  const out = resolve(opts.out ?? `tokenbench-fleet-${stamp}.json`);
  const stem = outStem(out);
  let code = 0;
  const gates: FleetReport['endpoints'][number]['baseline'][] = [];
  let gateMd = '';
  entries.forEach((e, i) => {
    if (!e.result) {
      code = 1;
      gates.push(null);
      return;
    }
    const file = `${stem}.${i + 1}.json`;
    writeFileAtomic(file, formats.json(e.result));
    e.file = file;
    process.stdout.write(`\n== ${e.label} ==\n${formats.text(e.result)}\nresult written to ${file}\n`);
    if (!resultOk(e.result)) {
      code = 1;
      process.stderr.write(`tokenbench: ${e.label}: the run did not complete with every figure verified\n`);
    }
    const extras = resultExtras(e.result, file, opts, baseline, e.label);
    if (extras.gate && !extras.gate.ok) code = 1;
    gates.push(extras.gate ? { ok: extras.gate.ok, regressions: extras.gate.regressions.map((r) => r.id) } : null);
    if (extras.gateMarkdown) gateMd += `\n#### ${e.label}\n\n${extras.gateMarkdown}`;
  });
  const withResults = entries.filter((e): e is FleetEntry & { result: BenchResult } => e.result !== null);
  const fleet: FleetReport = {
    schema: FLEET_SCHEMA_ID,
    schemaVersion: FLEET_SCHEMA_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    suite: opts.suite,
    endpoints: entries.map((e, i) => ({
      label: e.label,
      endpoint: e.endpoint,
      driver: e.driver,
      ok: e.result !== null && resultOk(e.result) && (gates[i]?.ok ?? true),
      status: e.result?.status ?? null,
      adapter: e.result ? adapterLabel(e.result) : null,
      error: e.error,
      file: e.file,
      baseline: gates[i] ?? null,
    })),
    metrics: fleetRows(entries),
    comparison: compareResults(withResults.map((e) => ({ label: e.label, result: e.result }))),
  };
  writeFileAtomic(out, JSON.stringify(fleet, null, 2) + '\n');
  process.stdout.write(`\n${fleetText(entries)}\nfleet report written to ${out}\n`);
  appendStepSummary(fleetMarkdown(entries) + gateMd);
  if (code) process.stderr.write('tokenbench: not every endpoint produced a verified result that passed its checks (exit 1)\n');
  return code;
}
