/** CLI argument parsing (pure, unit-tested). Usage errors exit 2. */
import { ARCH_FLAG_NAMES, archFromFlags } from '../src/model/arch';
import type { Arch } from '../src/model/types';
import type { GenerationConfig, SuiteName } from '../src/schema/result';
import { GENERATION_KEYS, type GenerationKey, generationToParams, parseGenerationOverrides, parseModel } from '../src/run/options';
import { isSuiteName } from '../src/run/suites';
import type { CostInputs } from '../src/schema/result';
import { COST_OPTIONS, COST_USAGE, costToParams, parseCostFlags } from './cost-args';
import { DEFAULT_ALPHA } from '../src/measure/stats';
import { DEFAULT_MAX_REGRESSION } from '../src/result/gate';

/** Chromium flag presets. Combine with commas: `--preset gpu,unquantized`. */
export const PRESETS = {
  /** WebGPU on whatever adapter Chrome picks (SwiftShader when there is no GPU). */
  default: [],
  /** Real GPU on Linux through Vulkan, ignoring the GPU blocklist. */
  gpu: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist'],
  /**
   * Linux + NVIDIA, headless server: Vulkan without a display surface, and Dawn's f16 on NVIDIA
   * (Dawn hides shader-f16 on NVIDIA's Vulkan driver unless vulkan_enable_f16_on_nvidia is on).
   */
  nvidia: [
    '--enable-features=Vulkan',
    '--use-angle=vulkan',
    '--ignore-gpu-blocklist',
    '--disable-vulkan-surface',
    '--enable-dawn-features=vulkan_enable_f16_on_nvidia',
  ],
  /** Linux + AMD (RADV or AMDVLK), headless server: Vulkan without a display surface. */
  amd: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist', '--disable-vulkan-surface'],
  /** Linux + Intel (ANV), headless server: Vulkan without a display surface. */
  intel: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist', '--disable-vulkan-surface'],
  /** Force the SwiftShader software adapter (CI; results are labelled software). */
  swiftshader: ['--use-webgpu-adapter=swiftshader'],
  /** Unquantised GPU timestamps (Chrome rounds them to 100 µs otherwise). */
  unquantized: ['--enable-webgpu-developer-features', '--disable-dawn-features=timestamp_quantization'],
  /**
   * Keep a background, occluded or headed-but-covered page at full speed: no timer throttling (intensive
   * wake-up throttling included), no renderer backgrounding, no occlusion backgrounding, no hang monitor,
   * no IPC flood protection. (No --disable-features here: Chromium keeps only the last occurrence, which
   * would drop the features Playwright itself disables.)
   */
  'no-throttle': [
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--disable-hang-monitor',
    '--disable-ipc-flooding-protection',
  ],
} as const satisfies Record<string, readonly string[]>;

export type PresetName = keyof typeof PRESETS;

export interface CliOptions {
  suite: SuiteName;
  out: string | null;
  browser: string | null;
  presets: PresetName[];
  flags: string[];
  headed: boolean;
  /** Whole-run timeout, seconds. */
  timeoutS: number;
  quiet: boolean;
  /** Token-workload settings that differ from the suite's defaults. */
  generation: Partial<GenerationConfig>;
  /** Cost/energy inputs (bench/cost-args.ts), handed to the page as URL parameters; null when none given. */
  cost: CostInputs | null;
  /** Baseline gate (bench/baseline.ts): compare with this result file; null for none. */
  baseline: string | null;
  /** Largest tolerated significant worsening of a headline metric, as a fraction. */
  maxRegression: number;
  /** Significance level of the baseline gate. */
  alpha: number;
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
  /** Autotune kernels (false: --no-tune, every kernel runs its default variant). */
  tune: boolean;
  /** Tuning cache file; null: the default path (bench/tune-cache.ts). */
  tuneCache: string | null;
}

/** A remote browser of a fleet run. */
export interface Endpoint {
  driver: 'playwright' | 'webdriver';
  url: string;
}

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export const USAGE = `Usage: npm run bench -- [run] [options]
       npm run bench -- serve-browser [--port N] [--host ADDR] [--preset LIST] [--flags "..."]
       npm run bench -- gate RESULT.json --baseline OLD.json [--max-regression 5%]

Runs the tokenbench suite in the system Chrome/Chromium (headless) and writes the result JSON.

Options:
  --suite smoke|standard   suite to run (default: standard; smoke is tiny, for CI and software adapters)
  --out FILE               result JSON path (default: ./tokenbench-<suite>-<time>.json)
  --browser PATH           Chrome/Chromium executable (default: $CHROME_PATH, then the usual install paths)
  --preset LIST            Chromium flag presets, comma-separated: ${Object.keys(PRESETS).join(', ')}
                           (default: default). gpu = Vulkan on Linux; nvidia/amd/intel = headless Linux
                           GPU servers; unquantized = exact GPU timestamps; no-throttle = full speed when
                           hidden or occluded. With --runtime node they map to Dawn options
  --flags "..."            extra Chromium flags, space-separated
  --headed                 show the browser window
  --timeout SECONDS        give up on the whole run after this long (default: 3600)
  --quiet                  no progress line
  --no-tune                run every kernel's default variant instead of autotuning for this adapter
  --tune-cache FILE        where tuning choices are kept between runs (default:
                           $XDG_CACHE_HOME/tokenbench/tune-cache.json or ~/.cache/...); each cached choice
                           is re-checked against the CPU reference before use

Token workloads (defaults come from the suite):
  --models LIST            preset names, comma-separated, or a JSON architecture / JSON array
  --model NAME|JSON        one model (repeatable); a JSON object is a custom architecture. Models from
                           --models, --model and the architecture flags together replace the suite's list
  --formats LIST           weight formats: f32, f16, q8_0, q4_0
  --prompt LIST            prompt lengths for prefill tests (pp512 = --prompt 512)
  --gen N                  tokens generated per decode test (tg128 = --gen 128)
  --depths LIST            KV-cache depths for decode tests (tg128@d4096 = --depths 4096)
  --batches LIST           decode batch sizes (sequences decoded at once)
  --gen-reps N             repetitions of each prefill / generation
  Custom architecture from flags (one model): --hidden --ffn --layers --heads --kv-heads --head-dim
  --vocab [--tied-embeddings true|false] [--qkv-bias true|false] [--rope-theta X] [--norm-eps X] [--name S]

${COST_USAGE}

CI:
  --baseline FILE          compare every headline metric with this earlier result (samples + rank-sum test)
  --max-regression PCT     fail (exit 1) when a metric got worse by more than PCT, significantly (default 5%)
  --alpha P                significance level of that test (default 0.05)
  --format LIST            also write these formats beside the result (e.g. github-bigger, github-smaller)
  (with $GITHUB_STEP_SUMMARY set, a Markdown summary is appended to it)

Fleet (remote browsers, run in parallel; each result is tagged with its endpoint):
  --connect WS_URL         a Playwright browser server (from serve-browser); repeatable. The page travels
                           over the connection: the remote machine needs no access to this one
  --webdriver URL          a W3C WebDriver endpoint (chromedriver, Selenium Grid 4, device farm); repeatable.
                           The remote browser loads the page from this machine's page server:
  --host ADDR              page server bind address (default 127.0.0.1; 0.0.0.0 for remote WebDriver)
  --serve-host NAME        host name the remote browser uses to reach this machine (default: --host)
  --serve-port N           page server port (default: a free one)
  With several endpoints, --out names the merged report; results go to <out>.<n>.json.

Node runtime (no browser, npm webgpu = Dawn):
  --runtime browser|node   where the suite runs (default: browser)
  --adapter NAME           Dawn adapter by name (see --list-adapters)
  --backend NAME           Dawn backend: vulkan, metal, d3d12, ...
  --dawn-enable LIST       Dawn toggles to enable, e.g. vulkan_enable_f16_on_nvidia
  --dawn-disable LIST      Dawn toggles to disable, e.g. timestamp_quantization
  --list-adapters          print the adapters Dawn sees and exit

  -h, --help               this help

Exit codes: 0 ok · 1 the run failed, a result failed verification, an endpoint failed or a metric
regressed · 2 usage error or no browser found.`;

/** CI, fleet and Node-runtime options that take a value. */
const FLEET_VALUE_OPTIONS = [
  '--baseline',
  '--max-regression',
  '--alpha',
  '--format',
  '--connect',
  '--webdriver',
  '--host',
  '--serve-host',
  '--serve-port',
  '--runtime',
  '--adapter',
  '--backend',
  '--dawn-enable',
  '--dawn-disable',
];
const GEN_OPTIONS = new Set(GENERATION_KEYS.map((k) => `--${k}`));
const ARCH_OPTIONS = new Set(ARCH_FLAG_NAMES.map((k) => `--${k}`));
const VALUE_OPTIONS = new Set([
  '--suite',
  '--out',
  '--browser',
  '--preset',
  '--flags',
  '--timeout',
  '--model',
  '--tune-cache',
  ...FLEET_VALUE_OPTIONS,
  ...GEN_OPTIONS,
  ...ARCH_OPTIONS,
  ...COST_OPTIONS,
]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const o: CliOptions = {
    suite: 'standard',
    out: null,
    browser: null,
    presets: ['default'],
    flags: [],
    headed: false,
    timeoutS: 3600,
    quiet: false,
    tune: true,
    tuneCache: null,
    generation: {},
    cost: null,
    ...FLEET_DEFAULTS,
    endpoints: [],
    outputFormats: [],
    dawnEnable: [],
    dawnDisable: [],
  };
  const seen = new Set<string>();
  const gen = new Map<GenerationKey, string>();
  const archFlags: Record<string, string> = {};
  const costFlags = new Map<string, string>();
  const extraModels: Array<string | Arch> = [];
  const args = [...argv];
  if (args[0] === 'run') args.shift();
  for (let i = 0; i < args.length; i++) {
    const raw = args[i] as string;
    let name = raw;
    let value: string | undefined;
    const eq = raw.indexOf('=');
    if (raw.startsWith('--') && eq > 0) {
      name = raw.slice(0, eq);
      value = raw.slice(eq + 1);
    }
    if (VALUE_OPTIONS.has(name) && value === undefined) {
      value = args[++i];
      if (value === undefined) return { kind: 'error', message: `${name} needs a value` };
    }
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--suite':
        if (!isSuiteName(value as string)) return { kind: 'error', message: `unknown suite "${value}" (use smoke or standard)` };
        o.suite = value as SuiteName;
        break;
      case '--out':
        if (!value) return { kind: 'error', message: '--out needs a file path' };
        o.out = value;
        break;
      case '--browser':
        if (!value) return { kind: 'error', message: '--browser needs an executable path' };
        o.browser = value;
        break;
      case '--preset': {
        const names = (value as string).split(',').map((s) => s.trim()).filter(Boolean);
        if (names.length === 0) return { kind: 'error', message: '--preset needs at least one name' };
        for (const n of names) {
          if (!Object.prototype.hasOwnProperty.call(PRESETS, n)) {
            return { kind: 'error', message: `unknown preset "${n}" (known: ${Object.keys(PRESETS).join(', ')})` };
          }
        }
        o.presets = names as PresetName[];
        break;
      }
      case '--flags':
        o.flags.push(...(value as string).split(/\s+/).filter(Boolean));
        break;
      case '--headed':
        o.headed = true;
        break;
      case '--quiet':
        o.quiet = true;
        break;
      case '--no-tune':
        o.tune = false;
        break;
      case '--tune-cache':
        if (!value) return { kind: 'error', message: '--tune-cache needs a file path' };
        o.tuneCache = value;
        break;
      case '--timeout': {
        const t = Number(value);
        if (!Number.isFinite(t) || t <= 0) return { kind: 'error', message: `--timeout must be a positive number of seconds, got "${value}"` };
        o.timeoutS = t;
        break;
      }
      case '--model': {
        const m = parseModel(value as string);
        if (!m.ok) return { kind: 'error', message: `--${m.error}` };
        extraModels.push(m.value);
        break;
      }
      default:
        if (FLEET_OPTIONS.has(name)) {
          const error = applyFleetOption(o, name, value);
          if (error) return { kind: 'error', message: error };
          seen.add(name);
          break;
        }
        if (GEN_OPTIONS.has(name)) {
          gen.set(name.slice(2) as GenerationKey, value as string);
          break;
        }
        if (COST_OPTIONS.has(name)) {
          costFlags.set(name.slice(2), value as string);
          break;
        }
        if (ARCH_OPTIONS.has(name)) {
          archFlags[name.slice(2)] = value as string;
          break;
        }
        return {
          kind: 'error',
          message: raw.startsWith('-') ? `unknown option "${raw}"` : `unexpected argument "${raw}"`,
        };
    }
  }
  const parsed = parseGenerationOverrides((k) => gen.get(k));
  if (!parsed.ok) return { kind: 'error', message: parsed.error.replace(/^(\S+):/, '--$1:') };
  o.generation = parsed.value;
  const cost = parseCostFlags(costFlags);
  if (!cost.ok) return { kind: 'error', message: cost.error };
  o.cost = cost.value;
  if (Object.keys(archFlags).length) {
    const a = archFromFlags(archFlags);
    if (!a.ok) return { kind: 'error', message: `custom architecture: ${a.errors.join('; ')}` };
    extraModels.push(a.arch);
  }
  if (extraModels.length) o.generation.models = [...(o.generation.models ?? []), ...extraModels];
  const conflict = fleetConflicts(o, seen);
  if (conflict) return { kind: 'error', message: conflict };
  return { kind: 'run', options: o };
}

/** Defaults of the CI, fleet and Node-runtime options. */
const FLEET_DEFAULTS = {
  baseline: null,
  maxRegression: DEFAULT_MAX_REGRESSION,
  alpha: DEFAULT_ALPHA,
  serveBind: '127.0.0.1',
  serveHost: null,
  servePort: 0,
  runtime: 'browser',
  adapter: null,
  backend: null,
  listAdapters: false,
} as const satisfies Partial<CliOptions>;

const FLEET_OPTIONS = new Set([...FLEET_VALUE_OPTIONS, '--list-adapters']);
const NODE_ONLY = ['--adapter', '--backend', '--dawn-enable', '--dawn-disable', '--list-adapters'];

/** Dawn toggle names: lower-case words joined by underscores. */
const TOGGLE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

/** A percentage such as `5%`, `5` or `0.5%` as a fraction; null when malformed. */
export function parsePercentOption(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) && v < 1000 ? v / 100 : null;
}

function applyFleetOption(o: CliOptions, name: string, value: string | undefined): string | null {
  const v = value ?? '';
  const list = () => v.split(',').map((s) => s.trim()).filter(Boolean);
  switch (name) {
    case '--baseline':
      if (!v) return '--baseline needs a result file';
      o.baseline = v;
      return null;
    case '--max-regression': {
      const f = parsePercentOption(v);
      if (f === null) return `--max-regression: expected a percentage such as 5%, got "${v}"`;
      o.maxRegression = f;
      return null;
    }
    case '--alpha': {
      const a = Number(v);
      if (!(a > 0 && a < 1)) return `--alpha: expected a significance level between 0 and 1 (e.g. 0.05), got "${v}"`;
      o.alpha = a;
      return null;
    }
    case '--format':
      if (!list().length) return '--format needs at least one format name';
      o.outputFormats.push(...list().filter((f) => !o.outputFormats.includes(f)));
      return null;
    case '--connect':
    case '--webdriver': {
      const driver = name === '--connect' ? 'playwright' : 'webdriver';
      const want = driver === 'playwright' ? ['ws:', 'wss:'] : ['http:', 'https:'];
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return `${name}: not a URL: "${v}"`;
      }
      if (!want.includes(url.protocol)) return `${name}: expected a ${want.join(' or ')} URL, got "${v}"`;
      o.endpoints.push({ driver, url: v });
      return null;
    }
    case '--host':
      if (!v) return '--host needs an address';
      o.serveBind = v;
      return null;
    case '--serve-host':
      if (!v || /[/\s]/.test(v)) return `--serve-host: expected a host name or address, got "${v}"`;
      o.serveHost = v;
      return null;
    case '--serve-port': {
      const p = Number(v);
      if (!Number.isInteger(p) || p < 0 || p > 65535) return `--serve-port: expected a port number, got "${v}"`;
      o.servePort = p;
      return null;
    }
    case '--runtime':
      if (v !== 'browser' && v !== 'node') return `--runtime: expected browser or node, got "${v}"`;
      o.runtime = v;
      return null;
    case '--adapter':
      if (!v) return '--adapter needs a name (see --list-adapters)';
      o.adapter = v;
      return null;
    case '--backend':
      if (!/^[a-z0-9]+$/.test(v)) return `--backend: expected a Dawn backend name such as vulkan, got "${v}"`;
      o.backend = v;
      return null;
    case '--dawn-enable':
    case '--dawn-disable': {
      const toggles = list();
      const bad = toggles.find((t) => !TOGGLE.test(t));
      if (!toggles.length || bad !== undefined) return `${name}: expected Dawn toggle names such as timestamp_quantization, got "${bad ?? v}"`;
      (name === '--dawn-enable' ? o.dawnEnable : o.dawnDisable).push(...toggles);
      return null;
    }
    case '--list-adapters':
      if (value !== undefined) return '--list-adapters takes no value';
      o.listAdapters = true;
      return null;
    default:
      return `unknown option "${name}"`;
  }
}

/** Options that make no sense together. */
function fleetConflicts(o: CliOptions, seen: Set<string>): string | null {
  if (o.runtime !== 'node') {
    const nodeOnly = NODE_ONLY.find((n) => seen.has(n));
    if (nodeOnly) return `${nodeOnly} needs --runtime node`;
  } else {
    if (o.endpoints.length) return '--connect/--webdriver run in browsers: drop --runtime node';
    if (o.flags.length || o.headed) return '--flags and --headed are browser options: with --runtime node use --preset, --dawn-enable, --dawn-disable';
  }
  if ((seen.has('--max-regression') || seen.has('--alpha')) && !o.baseline) return '--max-regression and --alpha need --baseline';
  if (!o.endpoints.some((e) => e.driver === 'webdriver') && ['--host', '--serve-host', '--serve-port'].some((n) => seen.has(n))) {
    return '--host, --serve-host and --serve-port set up the page server for --webdriver endpoints';
  }
  return null;
}

/** Flags every launch gets: WebGPU on, no background work, no throttling of a hidden page. */
export const BASE_FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** The Chromium command-line flags for a run. `isRoot` adds --no-sandbox (Chrome refuses to run as root otherwise). */
export function chromeFlags(o: Pick<CliOptions, 'presets' | 'flags'>, isRoot: boolean): string[] {
  const flags = [...BASE_FLAGS, ...o.presets.flatMap((p) => PRESETS[p]), ...o.flags];
  if (isRoot && !flags.includes('--no-sandbox')) flags.push('--no-sandbox');
  return mergeListFlags([...new Set(flags)]);
}

/** Chromium switches whose value is a comma-separated list; Chromium keeps only the last occurrence. */
export const LIST_FLAGS = ['--enable-features', '--disable-features', '--enable-dawn-features', '--disable-dawn-features'];

/**
 * Merges repeated list switches (from several presets and --flags) into one occurrence each, at the
 * place of the first, so that `--preset nvidia,unquantized,no-throttle` keeps every feature.
 */
export function mergeListFlags(flags: readonly string[]): string[] {
  const values = new Map<string, string[]>();
  for (const f of flags) {
    const eq = f.indexOf('=');
    const name = eq > 0 ? f.slice(0, eq) : f;
    if (!LIST_FLAGS.includes(name)) continue;
    const list = values.get(name) ?? [];
    for (const v of f.slice(eq + 1).split(',').map((s) => s.trim()).filter(Boolean)) if (!list.includes(v)) list.push(v);
    values.set(name, list);
  }
  const out: string[] = [];
  for (const f of flags) {
    const eq = f.indexOf('=');
    const name = eq > 0 ? f.slice(0, eq) : f;
    if (!LIST_FLAGS.includes(name)) out.push(f);
    else if (values.has(name)) {
      out.push(`${name}=${(values.get(name) as string[]).join(',')}`);
      values.delete(name);
    }
  }
  return out;
}

/** Parses argv for a run; prints help (exit 0) or a usage error (exit 2) and returns that code instead. */
export function parseRunArgs(argv: readonly string[]): CliOptions | number {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`tokenbench: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  return parsed.options;
}

/** The page's URL parameters for a CLI run: suite, autorun, tune=0 with --no-tune, workloads, cost inputs. */
export function pageQuery(o: Pick<CliOptions, 'suite' | 'tune' | 'generation' | 'cost'>): URLSearchParams {
  return new URLSearchParams([
    ['suite', o.suite],
    ['autorun', '1'],
    ...(o.tune ? [] : [['tune', '0']]),
    ...generationToParams(o.generation),
    ...costToParams(o.cost),
  ]);
}
