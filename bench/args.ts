/** CLI argument parsing (pure, unit-tested). Usage errors exit 2. */
import { ARCH_FLAG_NAMES, archFromFlags } from '../src/model/arch';
import type { Arch } from '../src/model/types';
import type { GenerationConfig, SuiteName } from '../src/result/schema';
import { GENERATION_KEYS, type GenerationKey, parseGenerationOverrides, parseModel } from '../src/suite/overrides';
import { isSuiteName } from '../src/suite/suites';

/** Chromium flag presets. Combine with commas: `--preset gpu,unquantized`. */
export const PRESETS = {
  /** WebGPU on whatever adapter Chrome picks (SwiftShader when there is no GPU). */
  default: [],
  /** Real GPU on Linux through Vulkan, ignoring the GPU blocklist. */
  gpu: ['--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist'],
  /** Force the SwiftShader software adapter (CI; results are labelled software). */
  swiftshader: ['--use-webgpu-adapter=swiftshader'],
  /** Unquantised GPU timestamps (Chrome rounds them to 100 µs otherwise). */
  unquantized: ['--enable-webgpu-developer-features', '--disable-dawn-features=timestamp_quantization'],
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
}

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export const USAGE = `Usage: npm run bench -- [run] [options]

Runs the tokenbench suite in the system Chrome/Chromium (headless) and writes the result JSON.

Options:
  --suite smoke|standard   suite to run (default: standard; smoke is tiny, for CI and software adapters)
  --out FILE               result JSON path (default: ./tokenbench-<suite>-<time>.json)
  --browser PATH           Chrome/Chromium executable (default: $CHROME_PATH, then the usual install paths)
  --preset LIST            Chromium flag presets, comma-separated: ${Object.keys(PRESETS).join(', ')}
                           (default: default). gpu = Vulkan on Linux; unquantized = exact GPU timestamps
  --flags "..."            extra Chromium flags, space-separated
  --headed                 show the browser window
  --timeout SECONDS        give up on the whole run after this long (default: 3600)
  --quiet                  no progress line

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

  -h, --help               this help

Exit codes: 0 ok · 1 the run failed or a result failed verification · 2 usage error or no browser found.`;

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
  ...GEN_OPTIONS,
  ...ARCH_OPTIONS,
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
    generation: {},
  };
  const gen = new Map<GenerationKey, string>();
  const archFlags: Record<string, string> = {};
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
        if (GEN_OPTIONS.has(name)) {
          gen.set(name.slice(2) as GenerationKey, value as string);
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
  if (Object.keys(archFlags).length) {
    const a = archFromFlags(archFlags);
    if (!a.ok) return { kind: 'error', message: `custom architecture: ${a.errors.join('; ')}` };
    extraModels.push(a.arch);
  }
  if (extraModels.length) o.generation.models = [...(o.generation.models ?? []), ...extraModels];
  return { kind: 'run', options: o };
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
  return [...new Set(flags)];
}
