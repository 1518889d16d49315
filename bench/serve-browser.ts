/**
 * `npm run bench -- serve-browser`: starts the system Chrome/Chromium as a Playwright browser server
 * with the WebGPU flags, prints its ws:// endpoint on stdout and serves until Ctrl-C / SIGTERM. Another
 * machine then runs `npm run bench -- run --connect ws://this-machine:PORT/PATH`.
 *
 * Whoever can reach the port and knows the path controls this browser: the path is random unless
 * --ws-path is given, and the server binds to 127.0.0.1 unless --host says otherwise.
 */
import { hostname } from 'node:os';
import { chromium } from 'playwright-core';
import { PRESETS, type PresetName, chromeFlags } from './args';
import { BrowserNotFoundError, findBrowser } from './browser';

export const SERVE_BROWSER_USAGE = `Usage: npm run bench -- serve-browser [options]

Starts the system Chrome/Chromium as a Playwright browser server with WebGPU flags and prints its
endpoint (ws://HOST:PORT/PATH) on stdout. Run the suite on it from another machine with
  npm run bench -- run --connect ws://HOST:PORT/PATH

Options:
  --port N             port to listen on (default: a free one)
  --host ADDR          address to listen on (default: 127.0.0.1; 0.0.0.0 to accept other machines)
  --ws-path PATH       endpoint path (default: random, which keeps strangers out; treat it as a secret)
  --preset LIST        Chromium flag presets: ${Object.keys(PRESETS).join(', ')}
  --flags "..."        extra Chromium flags
  --browser PATH       Chrome/Chromium executable (default: $CHROME_PATH, then the usual install paths)
  --headed             show the browser window
  -h, --help           this help

Stop with Ctrl-C. Exit codes: 0 stopped · 1 the browser exited · 2 usage error or no browser.`;

export interface ServeBrowserOptions {
  port: number;
  host: string;
  wsPath: string | null;
  presets: PresetName[];
  flags: string[];
  browser: string | null;
  headed: boolean;
}

export type ParsedServeBrowserArgs =
  | { kind: 'serve'; options: ServeBrowserOptions }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

/** Parses serve-browser's arguments (after `serve-browser`). Pure. */
export function parseServeBrowserArgs(argv: readonly string[]): ParsedServeBrowserArgs {
  const o: ServeBrowserOptions = { port: 0, host: '127.0.0.1', wsPath: null, presets: ['default'], flags: [], browser: null, headed: false };
  const takesValue = new Set(['--port', '--host', '--ws-path', '--preset', '--flags', '--browser']);
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const name = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    let value: string | undefined = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    if (takesValue.has(name) && value === undefined) {
      value = argv[++i];
      if (value === undefined) return { kind: 'error', message: `${name} needs a value` };
    }
    const v = value ?? '';
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--port': {
        const p = Number(v);
        if (!Number.isInteger(p) || p < 0 || p > 65535) return { kind: 'error', message: `--port: expected a port number, got "${v}"` };
        o.port = p;
        break;
      }
      case '--host':
        if (!v) return { kind: 'error', message: '--host needs an address' };
        o.host = v;
        break;
      case '--ws-path':
        if (!/^\/?[\w.~-]+(?:\/[\w.~-]+)*$/.test(v)) return { kind: 'error', message: `--ws-path: expected a URL path such as /tokenbench, got "${v}"` };
        o.wsPath = v.startsWith('/') ? v : `/${v}`;
        break;
      case '--preset': {
        const names = v.split(',').map((s) => s.trim()).filter(Boolean);
        if (!names.length) return { kind: 'error', message: '--preset needs at least one name' };
        const bad = names.find((n) => !Object.prototype.hasOwnProperty.call(PRESETS, n));
        if (bad !== undefined) return { kind: 'error', message: `unknown preset "${bad}" (known: ${Object.keys(PRESETS).join(', ')})` };
        o.presets = names as PresetName[];
        break;
      }
      case '--flags':
        o.flags.push(...v.split(/\s+/).filter(Boolean));
        break;
      case '--browser':
        if (!v) return { kind: 'error', message: '--browser needs an executable path' };
        o.browser = v;
        break;
      case '--headed':
        o.headed = true;
        break;
      default:
        return { kind: 'error', message: raw.startsWith('-') ? `unknown option "${raw}"` : `unexpected argument "${raw}"` };
    }
  }
  return { kind: 'serve', options: o };
}

/**
 * The browser server's flags: the run flags plus --enable-automation, which lets a connecting client
 * read the browser's command line (CDP Browser.getBrowserCommandLine) into its result.
 */
export function serveBrowserFlags(o: Pick<ServeBrowserOptions, 'presets' | 'flags'>, isRoot: boolean): string[] {
  const flags = chromeFlags(o, isRoot);
  return flags.includes('--enable-automation') ? flags : [...flags, '--enable-automation'];
}

export async function serveBrowserMain(argv: readonly string[]): Promise<number> {
  const parsed = parseServeBrowserArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${SERVE_BROWSER_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`tokenbench serve-browser: ${parsed.message}\n\n${SERVE_BROWSER_USAGE}\n`);
    return 2;
  }
  const o = parsed.options;
  let executablePath: string;
  try {
    executablePath = findBrowser(o.browser);
  } catch (e) {
    if (e instanceof BrowserNotFoundError) {
      process.stderr.write(`tokenbench serve-browser: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const flags = serveBrowserFlags(o, process.getuid?.() === 0);
  process.stderr.write(`tokenbench serve-browser: ${executablePath} ${o.headed ? '(headed)' : '(headless)'} · flags: ${flags.join(' ')}\n`);
  const server = await chromium.launchServer({
    executablePath,
    headless: !o.headed,
    args: flags,
    port: o.port,
    host: o.host,
    ...(o.wsPath ? { wsPath: o.wsPath } : {}),
    handleSIGINT: false,
    handleSIGTERM: false,
    timeout: 120_000,
  });
  const endpoint = server.wsEndpoint();
  process.stdout.write(`${endpoint}\n`);
  const wildcard = o.host === '0.0.0.0' || o.host === '::';
  const reachable = wildcard ? endpoint.replace(/\/\/[^/]+:/, `//${hostname()}:`) : endpoint;
  process.stderr.write(
    `tokenbench serve-browser: ready. From another machine: npm run bench -- run --connect ${reachable}\n` +
      (o.host === '127.0.0.1' || o.host === 'localhost' ? 'tokenbench serve-browser: listening on loopback only (use --host 0.0.0.0 for other machines)\n' : '') +
      'tokenbench serve-browser: Ctrl-C stops the server\n',
  );
  return await new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\ntokenbench serve-browser: ${signal}, closing the browser\n`);
      void server.close().finally(() => done(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    server.on('close', () => {
      if (stopping) return;
      process.stderr.write('tokenbench serve-browser: the browser exited\n');
      done(1);
    });
  });
}
