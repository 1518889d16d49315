/**
 * Fleet runs: the request on every remote browser named by --connect (Playwright browser servers, see
 * bench/serve-browser.ts) and --webdriver (W3C WebDriver), through their drivers (bench/drivers), in
 * parallel. Each result is tagged with its endpoint; a failing or disconnecting endpoint is reported with
 * its error while the others finish; the merged report follows (bench/ending.ts).
 */
import { type PeerPlace, addCommandLinePeers } from './peers/peers';
import { fmtDuration } from '../src/result/formats';
import type { CliOptions, Endpoint } from './args';
import { type DriveContext, cancellations, checkOutcome } from './drivers/drive';
import { REMOTE_PAGE_ORIGIN, runRemote } from './drivers/playwright';
import { runWebDriver, webDriverFlags, webDriverPageBase } from './drivers/webdriver';
import { type Ending, finishFleet } from './ending';
import type { FleetEntry } from './fleet-report';
import { PAGE_DIR, type StaticServer, serveStatic } from './serve';
import { softwareAdmission } from './software-run';
import { handleInterrupt, labelledProgress } from './terminal';
import { withTuneCache } from './tune-cache';

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

/** One line saying what went wrong: no terminal colours, no Playwright call log. */
export function errorText(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, '');
  const head = m.split(/\n\s*Call log:/)[0] ?? m;
  return head.split('\n').filter(Boolean).slice(0, 3).join(' ').replace(/\s+/g, ' ').trim();
}

/** Whether an endpoint's browser runs on this machine (127.0.0.1, ::1, localhost). */
function isLoopback(url: string): boolean {
  try {
    return ['127.0.0.1', '[::1]', 'localhost'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Runs one endpoint with its driver; never throws: a failure is the entry's error. */
async function runEndpoint(ep: Endpoint, label: string, ctx: DriveContext, o: CliOptions, pageBase: string): Promise<FleetEntry> {
  const endpoint = redactEndpoint(ep.url);
  const base = { label, endpoint, driver: ep.driver, file: null };
  try {
    const t0 = Date.now();
    const outcome =
      ep.driver === 'playwright'
        ? await runRemote(ep.url, ctx)
        : await runWebDriver(ep.url, { flags: webDriverFlags(o, ep.url, pageBase, process.getuid?.() === 0), headless: !o.headed, binary: o.browser, pageUrl: pageBase }, ctx);
    const first = checkOutcome(outcome, endpoint);
    if (!first.ok) return { ...base, result: null, error: first.error };
    // Native llama.cpp measures this machine: beside a browser on it (a loopback endpoint) only.
    const place: PeerPlace = isLoopback(ep.url) ? { kind: 'browser' } : { kind: 'remote', endpoint };
    const peered = await addCommandLinePeers(first.result, ctx.modelFiles, place, ctx.log);
    const checked = checkOutcome({ raw: peered, flags: null }, endpoint);
    if (!checked.ok) return { ...base, result: null, error: checked.error };
    if (!o.quiet) process.stderr.write(`[${label}] ${checked.result.status} in ${fmtDuration(Date.now() - t0)}\n`);
    return { ...base, result: checked.result, error: null };
  } catch (e) {
    const error = errorText(e);
    process.stderr.write(`[${label}] FAILED: ${error}\n`);
    return { ...base, result: null, error };
  }
}

/**
 * `run --connect ... --webdriver ...`: the same request on every endpoint in parallel, then the merged
 * report. Exit code 0 when every endpoint produced a verified result (and passed the baseline gate), 1
 * otherwise, 2 when the page server cannot start.
 */
export async function runFleet(o: CliOptions, ending: Ending): Promise<number> {
  const startedAt = new Date().toISOString();
  if (o.endpoints.every((e) => e.driver === 'playwright') && (o.flags.length || o.profiles.some((p) => p !== 'default') || o.headed)) {
    process.stderr.write('tokenbench: --profile, --flags and --headed do not apply to --connect endpoints (their flags are set by serve-browser)\n');
  }
  let server: StaticServer | null = null;
  if (o.endpoints.some((e) => e.driver === 'webdriver')) {
    try {
      server = await serveStatic(PAGE_DIR, o.servePort, o.serveBind);
    } catch (e) {
      process.stderr.write(`tokenbench: page server: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const pageBase = server ? webDriverPageBase(o, Number(new URL(server.url).port)) : `${REMOTE_PAGE_ORIGIN}/`;
  const request = withTuneCache(o.request, ending.tuneCache);
  const cancels = cancellations();
  const stopHandling = handleInterrupt(cancels.cancelAll, 'cancelling every endpoint');
  process.stderr.write(`tokenbench: fleet of ${o.endpoints.length} endpoint(s)${server ? ` · page server ${server.url} (remote browsers use ${pageBase})` : ''}\n`);
  try {
    const entries = await Promise.all(
      o.endpoints.map((ep, i) => {
        const label = endpointLabel(i, ep.url);
        const log = (line: string) => process.stderr.write(`[${label}] ${line}\n`);
        // Endpoints run in parallel: no question on the terminal; one on a software adapter needs --yes.
        const admit = softwareAdmission({ suite: request.suite, yes: o.yes, interactive: false, fleet: true, log });
        const ctx: DriveContext = {
          request,
          modelFiles: o.modelFiles,
          timeoutMs: o.timeoutS * 1000,
          progress: labelledProgress(label, o.quiet),
          log,
          onCancel: cancels.register,
          ...(admit ? { admit } : {}),
        };
        return runEndpoint(ep, label, ctx, o, pageBase);
      }),
    );
    return finishFleet(entries, ending, request.suite, startedAt);
  } finally {
    stopHandling();
    await server?.close();
  }
}
