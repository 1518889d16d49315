/**
 * The `run` command's arguments (pure, unit-tested). The run options (suite, workloads, architecture,
 * cost, tuning) are the table of src/runtime/options.ts, the same the page reads from its address, and
 * become one RunRequest; the options below are the command line's own (where the result goes, which
 * browsers, the gate, the Node runtime), declared the same way, so that --help is generated from one table.
 * Usage errors exit 2.
 */
import { DEFAULT_ALPHA } from '../src/measure/stats';
import { formats } from '../src/result/formats';
import { DEFAULT_MAX_REGRESSION, UNJUDGED, type Unjudged } from '../src/result/gate';
import type { RunRequest } from '../src/run/request';
import { type OptionSpec, REQUEST_OPTIONS, SECTIONS } from '../src/runtime/options';
import { requestFromTexts } from '../src/runtime/request-text';
import { type CliOption, commandHelp, helpOrError, readCommandLine } from './command-line';
import { isLoopbackUrl } from './loopback';
import { SUBMIT_TOKEN_ENV, boardUrlProblem } from '../src/result/submit';
import { type ModelFile, namedModelFiles } from './model-files';
import { PROFILES, type ProfileName, parseProfileList } from './profiles';

export interface CliOptions {
  /**
   * What to run: the request the page and the Node runner take (its tuning cache is read from `tuneCache`).
   * Model files are named by their base names, as a page knows them; `modelFiles` says where they are.
   */
  request: RunRequest;
  /** The model files of the request (`--gguf`), by name, with their paths. */
  modelFiles: ModelFile[];
  out: string | null;
  browser: string | null;
  profiles: ProfileName[];
  flags: string[];
  headed: boolean;
  /** Whole-run timeout, seconds. */
  timeoutS: number;
  quiet: boolean;
  /** Run a suite other than smoke on a software adapter without asking (bench/software-run.ts). */
  yes: boolean;
  /** Tuning cache file; null: the default path (bench/tune-cache.ts). */
  tuneCache: string | null;
  /** Baseline gate (src/result/gate.ts): compare with this result file; null for none. */
  baseline: string | null;
  /** Largest tolerated significant worsening of a headline metric, as a fraction. */
  maxRegression: number;
  /** Significance level of the baseline gate. */
  alpha: number;
  /** Gate verdicts that do not fail it (`--allow`); by default every unjudged metric fails. */
  allow: Unjudged[];
  /** Extra output formats written beside the result (names from src/result/formats.ts). */
  outputFormats: string[];
  /** Remote browsers, in command-line order: Playwright browser servers and WebDriver endpoints. */
  endpoints: Endpoint[];
  /** Address the page server binds to for WebDriver endpoints (default 127.0.0.1). */
  serveBind: string;
  /** Host name remote WebDriver browsers use to reach the page server; null: the bind address. */
  serveHost: string | null;
  /** Port of the page server; 0 for a free one. */
  servePort: number;
  /** Where the suite runs: a browser (default) or Node through Dawn (no browser). */
  runtime: 'browser' | 'node';
  /** Node runtime: Dawn adapter name (`adapter=` create option). */
  adapter: string | null;
  /** Node runtime: Dawn backend (`backend=`), e.g. vulkan. */
  backend: string | null;
  /** Node runtime: Dawn toggles to enable / disable. */
  dawnEnable: string[];
  dawnDisable: string[];
  /** Node runtime: print the adapters Dawn sees and exit. */
  listAdapters: boolean;
  /** Results board the result is sent to after it is written (`--submit`); null: none. */
  submit: string | null;
  /** The board's submit token (`--submit-token`); null: $TOKENBENCH_BOARD_SUBMIT_TOKEN, else none. */
  submitToken: string | null;
}

/** A remote browser of a fleet run. */
export interface Endpoint {
  driver: 'playwright' | 'webdriver';
  url: string;
}

export type ParsedArgs = { kind: 'run'; options: CliOptions; warnings: string[] } | { kind: 'help' } | { kind: 'error'; message: string };

/** What the options of the command line write to while the arguments are read. */
interface Reading extends Omit<CliOptions, 'request' | 'modelFiles'> {
  /** Texts of the run options, by name, for requestFromTexts. */
  texts: Map<string, string[]>;
  /** Names of the options given (for the checks of options that only make sense together). */
  seen: Set<string>;
  warnings: string[];
  help: boolean;
}

/** The options shared with `serve-browser`: which browser, with which flags. */
export type BrowserChoice = Pick<Reading, 'browser' | 'profiles' | 'flags' | 'headed' | 'warnings'>;

/** -h, --help: every command. */
export const HELP_OPTION: CliOption<{ help: boolean }> = {
  name: 'help', short: 'h', type: 'boolean', section: SECTIONS.run, help: 'this help', set: (s) => ((s.help = true), null),
};

export const PRESET_DEPRECATION = '--preset is deprecated: use --profile (a "preset" is now a model architecture)';

const setProfiles = (s: BrowserChoice, v: string | boolean, flag: string) => {
  const r = parseProfileList(v as string);
  if (!r.ok) return `${flag}: ${r.error}`;
  s.profiles = r.value;
  return null;
};

/** --browser, --profile (and its old name --preset), --flags and --headed: `run` and `serve-browser`. */
export const BROWSER_OPTIONS: ReadonlyArray<CliOption<BrowserChoice>> = [
  {
    name: 'browser', type: 'string', value: 'PATH', section: SECTIONS.run,
    help: 'Chrome/Chromium executable (default: $CHROME_PATH, then the usual install paths)',
    set: (s, v) => (v ? ((s.browser = v as string), null) : '--browser needs an executable path'),
  },
  {
    name: 'profile', type: 'string', value: 'LIST', section: SECTIONS.run,
    help: `Chrome flag profiles, comma-separated: ${Object.keys(PROFILES).join(', ')} (default: default). gpu = Vulkan on Linux; ` +
      'nvidia/amd/intel = headless Linux GPU servers; unquantized = exact GPU timestamps; no-throttle = full speed when hidden or ' +
      'occluded. With --runtime node they map to Dawn options',
    set: setProfiles,
  },
  {
    name: 'preset', type: 'string', value: 'LIST', section: SECTIONS.run, help: 'deprecated name of --profile',
    set: (s, v, flag) => {
      if (!s.warnings.includes(PRESET_DEPRECATION)) s.warnings.push(PRESET_DEPRECATION);
      return setProfiles(s, v, flag);
    },
  },
  {
    name: 'flags', type: 'string', multiple: true, value: '"..."', section: SECTIONS.run, help: 'extra Chromium flags, space-separated',
    set: (s, v) => (s.flags.push(...(v as string).split(/\s+/).filter(Boolean)), null),
  },
  { name: 'headed', type: 'boolean', section: SECTIONS.run, help: 'show the browser window', set: (s) => ((s.headed = true), null) },
];

/** A percentage such as `5%`, `5` or `0.5%` as a fraction; null when malformed. */
export function parsePercentOption(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) && v < 1000 ? v / 100 : null;
}

type GateChoice = Pick<Reading, 'baseline' | 'maxRegression' | 'alpha' | 'allow'>;

/** --baseline, --max-regression and --alpha: `run` and `gate`. */
export const GATE_OPTIONS: ReadonlyArray<CliOption<GateChoice>> = [
  {
    name: 'baseline', type: 'string', value: 'FILE', section: 'CI',
    help: 'compare every headline metric with this earlier result (samples + rank-sum test)',
    set: (s, v) => (v ? ((s.baseline = v as string), null) : '--baseline needs a result file'),
  },
  {
    name: 'max-regression', type: 'string', value: 'PCT', section: 'CI',
    help: 'fail (exit 1) when a metric got worse by more than PCT, significantly (default 5%)',
    set: (s, v) => {
      const f = parsePercentOption(v as string);
      if (f === null) return `--max-regression: expected a percentage such as 5%, got "${v}"`;
      s.maxRegression = f;
      return null;
    },
  },
  {
    name: 'alpha', type: 'string', value: 'P', section: 'CI', help: 'significance level of that test (default 0.05)',
    set: (s, v) => {
      const a = Number(v);
      if (!(a > 0 && a < 1)) return `--alpha: expected a significance level between 0 and 1 (e.g. 0.05), got "${v}"`;
      s.alpha = a;
      return null;
    },
  },
  {
    name: 'allow', type: 'string', value: 'LIST', section: 'CI',
    help: `gate verdicts that do not fail it: ${UNJUDGED.join(', ')} (default: none; a metric the gate cannot judge fails it)`,
    set: (s, v) => {
      const names = (v as string).split(',').map((x) => x.trim()).filter(Boolean);
      const bad = names.find((n) => !(UNJUDGED as readonly string[]).includes(n));
      if (bad !== undefined || !names.length) return `--allow: expected a list of ${UNJUDGED.join(', ')}, got "${v}"`;
      s.allow = [...new Set(names)] as Unjudged[];
      return null;
    },
  },
];

const list = (v: string | boolean) => (v as string).split(',').map((s) => s.trim()).filter(Boolean);

function endpoint(driver: Endpoint['driver']): CliOption<Reading>['set'] {
  const want = driver === 'playwright' ? ['ws:', 'wss:'] : ['http:', 'https:'];
  return (s, v, flag) => {
    let url: URL;
    try {
      url = new URL(v as string);
    } catch {
      return `${flag}: not a URL: "${v}"`;
    }
    if (!want.includes(url.protocol)) return `${flag}: expected a ${want.join(' or ')} URL, got "${v}"`;
    s.endpoints.push({ driver, url: v as string });
    return null;
  };
}

/** Dawn toggle names: lower-case words joined by underscores. */
const TOGGLE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

function toggles(into: 'dawnEnable' | 'dawnDisable'): CliOption<Reading>['set'] {
  return (s, v, flag) => {
    const names = list(v);
    const bad = names.find((t) => !TOGGLE.test(t));
    if (!names.length || bad !== undefined) return `${flag}: expected Dawn toggle names such as timestamp_quantization, got "${bad ?? v}"`;
    s[into].push(...names);
    return null;
  };
}

const BOARD = 'Results board (npm run board)';
const FLEET = 'Fleet (remote browsers, run in parallel; each result is tagged with its endpoint)';
const NODE = 'Node runtime (no browser, npm webgpu = Dawn)';

/** The command line's own options of `run`, other than those shared with other commands. */
const RUN_OWN = {
  out: {
    name: 'out', type: 'string', value: 'FILE', section: SECTIONS.run, help: 'result JSON path (default: ./tokenbench-<suite>-<time>.json)',
    set: (s, v) => (v ? ((s.out = v as string), null) : '--out needs a file path'),
  },
  timeout: {
    name: 'timeout', type: 'string', value: 'SECONDS', section: SECTIONS.run, help: 'give up on the whole run after this long (default: 3600)',
    set: (s, v) => {
      const t = Number(v);
      if (!Number.isFinite(t) || t <= 0) return `--timeout must be a positive number of seconds, got "${v}"`;
      s.timeoutS = t;
      return null;
    },
  },
  quiet: { name: 'quiet', type: 'boolean', section: SECTIONS.run, help: 'no progress line', set: (s) => ((s.quiet = true), null) },
  yes: {
    name: 'yes', short: 'y', type: 'boolean', section: SECTIONS.run,
    help: 'run a suite other than smoke on a software adapter (SwiftShader, llvmpipe, ...) without asking. Without it the CLI warns, ' +
      'asks on a terminal and refuses elsewhere (exit 2); a fleet refuses such an endpoint',
    set: (s) => ((s.yes = true), null),
  },
  'tune-cache': {
    name: 'tune-cache', type: 'string', value: 'FILE', section: SECTIONS.run,
    help: 'where tuning choices are kept between runs (default: $XDG_CACHE_HOME/tokenbench/tune-cache.json or ~/.cache/...); ' +
      'each cached choice is re-checked against the CPU reference before use',
    set: (s, v) => (v ? ((s.tuneCache = v as string), null) : '--tune-cache needs a file path'),
  },
  format: {
    name: 'format', type: 'string', multiple: true, value: 'LIST', section: 'CI',
    help: `also write these formats beside the result: ${Object.keys(formats).filter((f) => f !== 'json').join(', ')}`,
    set: (s, v) => {
      if (!list(v).length) return '--format needs at least one format name';
      s.outputFormats.push(...list(v).filter((f) => !s.outputFormats.includes(f)));
      return null;
    },
  },
  connect: {
    name: 'connect', type: 'string', multiple: true, value: 'WS_URL', section: FLEET, set: endpoint('playwright'),
    help: 'a Playwright browser server (from serve-browser); repeatable. The page travels over the connection: the remote machine needs no access to this one',
  },
  webdriver: {
    name: 'webdriver', type: 'string', multiple: true, value: 'URL', section: FLEET, set: endpoint('webdriver'),
    help: "a W3C WebDriver endpoint (chromedriver, Selenium Grid 4, device farm); repeatable. The remote browser loads the page from this machine's page server",
  },
  host: {
    name: 'host', type: 'string', value: 'ADDR', section: FLEET, help: 'page server bind address (default 127.0.0.1; 0.0.0.0 for remote WebDriver)',
    set: (s, v) => (v ? ((s.serveBind = v as string), null) : '--host needs an address'),
  },
  'serve-host': {
    name: 'serve-host', type: 'string', value: 'NAME', section: FLEET, help: 'host name the remote browser uses to reach this machine (default: --host)',
    set: (s, v) => (!v || /[/\s]/.test(v as string) ? `--serve-host: expected a host name or address, got "${v}"` : ((s.serveHost = v as string), null)),
  },
  'serve-port': {
    name: 'serve-port', type: 'string', value: 'N', section: FLEET, help: 'page server port (default: a free one)',
    set: (s, v) => {
      const p = Number(v);
      if (!Number.isInteger(p) || p < 0 || p > 65535) return `--serve-port: expected a port number, got "${v}"`;
      s.servePort = p;
      return null;
    },
  },
  runtime: {
    name: 'runtime', type: 'string', value: 'browser|node', section: NODE, help: 'where the suite runs (default: browser)',
    set: (s, v) => (v === 'browser' || v === 'node' ? ((s.runtime = v), null) : `--runtime: expected browser or node, got "${v}"`),
  },
  adapter: {
    name: 'adapter', type: 'string', value: 'NAME', section: NODE, help: 'Dawn adapter by name (see --list-adapters)',
    set: (s, v) => (v ? ((s.adapter = v as string), null) : '--adapter needs a name (see --list-adapters)'),
  },
  backend: {
    name: 'backend', type: 'string', value: 'NAME', section: NODE, help: 'Dawn backend: vulkan, metal, d3d12, ...',
    set: (s, v) => (/^[a-z0-9]+$/.test(v as string) ? ((s.backend = v as string), null) : `--backend: expected a Dawn backend name such as vulkan, got "${v}"`),
  },
  'dawn-enable': {
    name: 'dawn-enable', type: 'string', multiple: true, value: 'LIST', section: NODE, set: toggles('dawnEnable'),
    help: 'Dawn toggles to enable, e.g. vulkan_enable_f16_on_nvidia',
  },
  'dawn-disable': {
    name: 'dawn-disable', type: 'string', multiple: true, value: 'LIST', section: NODE, set: toggles('dawnDisable'),
    help: 'Dawn toggles to disable, e.g. timestamp_quantization',
  },
  'list-adapters': {
    name: 'list-adapters', type: 'boolean', section: NODE, help: 'print the adapters Dawn sees and exit',
    set: (s) => ((s.listAdapters = true), null),
  },
  submit: {
    name: 'submit', type: 'string', value: 'URL', section: BOARD,
    help: 'after the result file is written, send it to this board (http://host:8787); every endpoint\'s result in a fleet. ' +
      'A failed submission keeps the file and exits 3',
    set: (s, v, flag) => {
      const problem = boardUrlProblem(v as string);
      return problem ? `${flag}: ${problem}` : ((s.submit = v as string), null);
    },
  },
  'submit-token': {
    name: 'submit-token', type: 'string', value: 'T', section: BOARD, help: `the board's submit token (default $${SUBMIT_TOKEN_ENV})`,
    set: (s, v) => (v ? ((s.submitToken = v as string), null) : '--submit-token needs a value'),
  },
} satisfies Record<string, CliOption<Reading>>;

/** A run option of the table: its text is kept for requestFromTexts (booleans as 1/0). */
const textOption = (o: OptionSpec): CliOption<Reading> => ({
  ...o,
  set: (s, v) => (s.texts.set(o.name, [...(s.texts.get(o.name) ?? []), typeof v === 'boolean' ? (v ? '1' : '0') : v]), null),
});

const request = (name: string) => textOption(REQUEST_OPTIONS.find((o) => o.name === name) as OptionSpec);

/** Every option of `run`, in --help order: each run option of the table once, the command line's own after. */
export const RUN_OPTIONS: ReadonlyArray<CliOption<Reading>> = [
  request('suite'),
  RUN_OWN.out,
  ...BROWSER_OPTIONS,
  RUN_OWN.timeout,
  RUN_OWN.quiet,
  RUN_OWN.yes,
  request('tune'),
  RUN_OWN['tune-cache'],
  ...REQUEST_OPTIONS.filter((o) => o.section !== SECTIONS.run).map(textOption),
  ...GATE_OPTIONS,
  ...Object.values(RUN_OWN).filter((o) => !['out', 'timeout', 'quiet', 'yes', 'tune-cache'].includes(o.name)),
  HELP_OPTION,
];

export const USAGE = commandHelp(
  {
    usage: [
      'Usage: npm run bench -- [run] [options]',
      '       npm run bench -- serve-browser [options]',
      '       npm run bench -- gate RESULT.json --baseline OLD.json [options]',
      '       npm run bench -- compare A.json B.json ... [options]',
      '       npm run bench -- submit A.json ... --to URL [--token T]',
    ].join('\n'),
    about:
      'Runs the tokenbench suite in the system Chrome/Chromium (headless), in remote browsers or in Node\n' +
      'through Dawn, and writes the result JSON. The run options are also the URL parameters of the page\n' +
      '(?suite=smoke&gen=32).\n' +
      '`npm run bench -- COMMAND --help` describes the other commands.',
    sections: [
      { title: SECTIONS.run },
      { title: SECTIONS.workload },
      { title: SECTIONS.architecture },
      { title: SECTIONS.cost },
      { title: 'CI', notes: ['(with $GITHUB_STEP_SUMMARY set, a Markdown summary is appended to it)'] },
      { title: FLEET, notes: ['With several endpoints, --out names the merged report; results go to <out>.<n>.json.'] },
      { title: NODE },
      { title: BOARD },
    ],
    footer:
      'Exit codes: 0 ok · 1 the run failed, a result failed verification, an endpoint failed or a metric\n' +
      'regressed · 2 usage error, no browser, or a suite other than smoke on a software adapter not confirmed\n' +
      '(--yes) · 3 the run was ok and its file written, but --submit failed.',
  },
  RUN_OPTIONS,
);

function defaults(): Reading {
  return {
    out: null, browser: null, profiles: ['default'], flags: [], headed: false, timeoutS: 3600, quiet: false, yes: false, tuneCache: null,
    baseline: null, maxRegression: DEFAULT_MAX_REGRESSION, alpha: DEFAULT_ALPHA, allow: [], outputFormats: [], endpoints: [],
    serveBind: '127.0.0.1', serveHost: null, servePort: 0,
    runtime: 'browser', adapter: null, backend: null, dawnEnable: [], dawnDisable: [], listAdapters: false, submit: null, submitToken: null,
    texts: new Map(), seen: new Set(), warnings: [], help: false,
  };
}

/** Parses the arguments of `run` (`run` itself may come first). */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const r = defaults();
  const seen = RUN_OPTIONS.map((o): CliOption<Reading> => ({ ...o, set: (s, v, flag) => (s.seen.add(o.name), o.set(s, v, flag)) }));
  const error = readCommandLine(argv[0] === 'run' ? argv.slice(1) : argv, seen, r);
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  const req = requestFromTexts(r.texts, 'cli');
  if (!req.ok) return { kind: 'error', message: req.error };
  const named = namedModelFiles(req.value);
  if (!named.ok) return { kind: 'error', message: named.error };
  const conflict = conflicts(r) ?? fileConflicts(r, named.files);
  if (conflict) return { kind: 'error', message: conflict };
  const { texts: _texts, seen: _seen, warnings, help: _help, ...options } = r;
  return { kind: 'run', options: { request: named.request, modelFiles: named.files, ...options }, warnings };
}

/**
 * Where model files cannot go. A WebDriver browser is handed a file by its path, which only a browser on
 * this machine can open; a remote grid would need the file at the same path there, which nothing here can
 * check, so it is refused (a Playwright server is sent the file over its connection).
 */
function fileConflicts(r: Reading, files: readonly ModelFile[]): string | null {
  const remote = r.endpoints.find((e) => e.driver === 'webdriver' && !isLoopbackUrl(e.url));
  if (files.length && remote) {
    return `--gguf with --webdriver ${remote.url}: WebDriver hands the page a file by its path, which only a browser on this machine can open. ` +
      'Use --connect (a Playwright browser server is sent the file), or run the CLI on the machine with the browser';
  }
  return null;
}

/** Options that make no sense together. */
function conflicts(r: Reading): string | null {
  const given = (...names: string[]) => names.find((n) => r.seen.has(n));
  if (r.runtime !== 'node') {
    const nodeOnly = given('adapter', 'backend', 'dawn-enable', 'dawn-disable', 'list-adapters');
    if (nodeOnly) return `--${nodeOnly} needs --runtime node`;
  } else {
    if (r.endpoints.length) return '--connect/--webdriver run in browsers: drop --runtime node';
    if (r.flags.length || r.headed) return '--flags and --headed are browser options: with --runtime node use --profile, --dawn-enable, --dawn-disable';
  }
  if (given('max-regression', 'alpha', 'allow') && !r.baseline) return '--max-regression, --alpha and --allow need --baseline';
  if (given('submit-token') && !r.submit) return '--submit-token needs --submit URL';
  if (!r.endpoints.some((e) => e.driver === 'webdriver') && given('host', 'serve-host', 'serve-port')) {
    return '--host, --serve-host and --serve-port set up the page server for --webdriver endpoints';
  }
  return null;
}

/**
 * Parses argv for a run; prints help (exit 0) or a usage error (exit 2) and returns that code instead.
 * Warnings (deprecated names) go to stderr when `warn` says so.
 */
export function parseRunArgs(argv: readonly string[], warn: (o: CliOptions) => boolean = () => true): CliOptions | number {
  const parsed = parseArgs(argv);
  const code = helpOrError('tokenbench', parsed, USAGE);
  if (code !== null || parsed.kind !== 'run') return code ?? 2;
  if (warn(parsed.options)) for (const w of parsed.warnings) process.stderr.write(`tokenbench: ${w}\n`);
  return parsed.options;
}
