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
import { BROWSER_OPTIONS, type BrowserChoice, HELP_OPTION } from './args';
import { BrowserNotFoundError, findBrowser } from './browser';
import { type CliOption, commandHelp, helpOrError, readCommandLine } from './command-line';
import { type ProfileName, chromeFlags } from './profiles';

export interface ServeBrowserOptions {
  port: number;
  host: string;
  wsPath: string | null;
  profiles: ProfileName[];
  flags: string[];
  browser: string | null;
  headed: boolean;
}

export type ParsedServeBrowserArgs =
  | { kind: 'serve'; options: ServeBrowserOptions; warnings: string[] }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

type Reading = ServeBrowserOptions & BrowserChoice & { help: boolean };

const SECTION = 'Options';

/** serve-browser's options: where it listens, then the browser options it shares with `run`. */
export const SERVE_BROWSER_OPTIONS: ReadonlyArray<CliOption<Reading>> = [
  {
    name: 'port', type: 'string', value: 'N', section: SECTION, help: 'port to listen on (default: a free one)',
    set: (s, v) => {
      const p = Number(v);
      if (!Number.isInteger(p) || p < 0 || p > 65535) return `--port: expected a port number, got "${v}"`;
      s.port = p;
      return null;
    },
  },
  {
    name: 'host', type: 'string', value: 'ADDR', section: SECTION,
    help: 'address to listen on (default: 127.0.0.1; 0.0.0.0 to accept other machines)',
    set: (s, v) => (v ? ((s.host = v as string), null) : '--host needs an address'),
  },
  {
    name: 'ws-path', type: 'string', value: 'PATH', section: SECTION,
    help: 'endpoint path (default: random, which keeps strangers out; treat it as a secret)',
    set: (s, v) => {
      const path = v as string;
      if (!/^\/?[\w.~-]+(?:\/[\w.~-]+)*$/.test(path)) return `--ws-path: expected a URL path such as /tokenbench, got "${path}"`;
      s.wsPath = path.startsWith('/') ? path : `/${path}`;
      return null;
    },
  },
  ...BROWSER_OPTIONS,
  HELP_OPTION,
];

export const SERVE_BROWSER_USAGE = commandHelp(
  {
    usage: 'Usage: npm run bench -- serve-browser [options]',
    about:
      'Starts the system Chrome/Chromium as a Playwright browser server with WebGPU flags and prints its\n' +
      'endpoint (ws://HOST:PORT/PATH) on stdout. Run the suite on it from another machine with\n' +
      '  npm run bench -- run --connect ws://HOST:PORT/PATH',
    sections: [{ title: SECTION }],
    footer: 'Stop with Ctrl-C. Exit codes: 0 stopped · 1 the browser exited · 2 usage error or no browser.',
  },
  SERVE_BROWSER_OPTIONS,
);

/** Parses serve-browser's arguments (after `serve-browser`). Pure. */
export function parseServeBrowserArgs(argv: readonly string[]): ParsedServeBrowserArgs {
  const r: Reading = { port: 0, host: '127.0.0.1', wsPath: null, profiles: ['default'], flags: [], browser: null, headed: false, warnings: [], help: false };
  const error = readCommandLine(argv, SERVE_BROWSER_OPTIONS, r);
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  const { warnings, help: _help, ...options } = r;
  return { kind: 'serve', options, warnings };
}

/**
 * The browser server's flags: the run flags plus --enable-automation, which lets a connecting client
 * read the browser's command line (CDP Browser.getBrowserCommandLine) into its result.
 */
export function serveBrowserFlags(o: Pick<ServeBrowserOptions, 'profiles' | 'flags'>, isRoot: boolean): string[] {
  const flags = chromeFlags(o, isRoot);
  return flags.includes('--enable-automation') ? flags : [...flags, '--enable-automation'];
}

export async function serveBrowserMain(argv: readonly string[]): Promise<number> {
  const parsed = parseServeBrowserArgs(argv);
  const code = helpOrError('tokenbench serve-browser', parsed, SERVE_BROWSER_USAGE);
  if (code !== null || parsed.kind !== 'serve') return code ?? 2;
  for (const w of parsed.warnings) process.stderr.write(`tokenbench serve-browser: ${w}\n`);
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
