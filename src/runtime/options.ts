/**
 * The one table of run options. Every setting of a run that a user can type, `--gen 128` on the command
 * line or `?gen=128` in the page address, is declared here once: its name (the same in both places), its
 * type, whether it may repeat, its help text and the part of the RunRequest its text goes into
 * (src/runtime/request-text.ts reads the texts with the parsers of those parts). The CLI derives its
 * node:util parseArgs configuration and its --help from these declarations; its own options (output,
 * browser, fleet, ...) are declared the same way in bench/args.ts. Pure: no DOM, no Node.
 */
import { ACCELERATORS } from '../cost/catalogue';
import { COST_KEYS, type CostKey } from '../cost/inputs';
import { ARCH_FLAG_NAMES } from '../model/arch';
import { GENERATION_KEYS, type GenerationKey } from './generation-text';

/** One option, as the command line, the page address and --help see it. */
export interface OptionSpec {
  /** `gen` is `--gen` on the command line and `?gen=` in the address. */
  name: string;
  type: 'string' | 'boolean';
  /** Each occurrence counts (`--model a --model b`); otherwise the last one wins. */
  multiple?: boolean;
  /** One-letter command-line alias (`-h`). */
  short?: string;
  /** A boolean that is on unless turned off: `--no-NAME` on the command line, `NAME=0` in the address. */
  negatable?: boolean;
  /** Placeholder of the value in --help (string options). */
  value?: string;
  /** One line of --help (wrapped when long). */
  help: string;
  /** Heading of --help the option is listed under. */
  section: string;
}

/** The part of a RunRequest an option's text goes into; each part has one parser. */
export type RequestPart = 'suite' | 'generation' | 'model' | 'architecture' | 'tune' | 'cost' | 'peer';

export interface RequestOption extends OptionSpec {
  part: RequestPart;
}

/** Headings of --help for the run options (bench/args.ts adds its own). */
export const SECTIONS = {
  run: 'Options',
  workload: 'Token workloads (defaults come from the suite)',
  architecture: 'Custom architecture from flags (one model, added to the models above)',
  cost: 'Cost per token and energy (stored in the result; no price is ever assumed)',
  peer: 'llama.cpp beside tokenbench (same model file, same settings; ratios in the result)',
} as const;

const GENERATION_HELP: Record<GenerationKey, [value: string, help: string]> = {
  models: ['LIST', 'model presets, comma-separated, or a JSON architecture / JSON array'],
  formats: ['LIST', 'weight formats: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m (llama.cpp Q4_K_M mix)'],
  prompt: ['LIST', 'prompt lengths for prefill tests (pp512 = --prompt 512)'],
  'prompt-text': ['TEXT', "a prompt to generate from, tokenised with the model file's own tokenizer (needs --gguf; not with --prompt-tokens)"],
  'prompt-tokens': ['LIST', 'a prompt to generate from as token ids of the model file, comma-separated: 1,2,3 (needs --gguf)'],
  gen: ['N', 'tokens generated per decode test (tg128 = --gen 128)'],
  depths: ['LIST', 'KV-cache depths for decode tests (tg128@d4096 = --depths 4096)'],
  batches: ['LIST', 'decode batch sizes (sequences decoded at once)'],
  'gen-reps': ['N', 'repetitions of each prefill / generation'],
  'kv-type': [
    'f16|f32',
    "KV-cache element type: f16 (llama.cpp's default; packed, works without shader-f16) or f32; default f16 where the adapter has shader-f16, else f32",
  ],
};

/** Help of the architecture flags of src/model/arch.ts (the unit test checks that every flag has one). */
const ARCHITECTURE_HELP: Record<string, [value: string, help: string]> = {
  name: ['S', 'name of the custom model (default: custom)'],
  hidden: ['N', 'hidden size (model width)'],
  ffn: ['N', 'feed-forward width'],
  layers: ['N', 'transformer layers'],
  heads: ['N', 'attention heads'],
  'kv-heads': ['N', 'key/value heads (grouped-query attention; must divide --heads)'],
  'head-dim': ['N', 'size of one attention head'],
  vocab: ['N', 'vocabulary size'],
  'tied-embeddings': ['true|false', 'the output head shares the embedding table (default: false)'],
  'qkv-bias': ['true|false', 'bias on the Q, K and V projections (default: false)'],
  'rope-theta': ['X', 'RoPE base frequency (default: 10000)'],
  'norm-eps': ['X', 'RMSNorm epsilon (default: 1e-5)'],
};

const COST_HELP: Record<CostKey, [value: string, help: string]> = {
  'hourly-price': ['USD', 'rental price per hour (cloud); or instead --purchase-price'],
  'purchase-price': ['USD', 'purchase price, amortised over --lifetime-years at --utilisation'],
  'lifetime-years': ['N', 'years the purchase price is amortised over'],
  utilisation: ['PCT', 'share of hours the accelerator does work (e.g. 60)'],
  'board-power': ['W', 'board power while working (J/token, tok/s per W; electricity)'],
  'electricity-price': ['USD', 'electricity per kWh (added to the hourly cost; needs board power)'],
  'api-input-price': ['USD', 'reference API price per 1M input tokens, and'],
  'api-output-price': ['USD', 'reference API price per 1M output tokens, to compare against'],
  'token-mix': ['IN:OUT', 'input:output tokens of the blended price (default 3:1)'],
  accelerator: ['ID', `pre-fill board power from a vendor spec: ${ACCELERATORS.map((a) => a.id).join(', ')}`],
};

const fromHelp = (part: RequestPart, section: string, [name, [value, help]]: [string, [string, string]]): RequestOption => ({
  name,
  type: 'string',
  value,
  help,
  section,
  part,
});

/** Every option of a run request, in --help order. */
export const REQUEST_OPTIONS: readonly RequestOption[] = Object.freeze([
  { name: 'suite', type: 'string', value: 'smoke|standard', part: 'suite', section: SECTIONS.run, help: 'suite to run (default: standard; smoke is tiny, for CI and software adapters)' },
  {
    name: 'tune',
    type: 'boolean',
    negatable: true,
    part: 'tune',
    section: SECTIONS.run,
    help: "run every kernel's default variant instead of autotuning for this adapter (page: ?tune=0)",
  },
  fromHelp('generation', SECTIONS.workload, ['models', GENERATION_HELP.models]),
  {
    name: 'model',
    type: 'string',
    multiple: true,
    value: 'NAME|JSON',
    part: 'model',
    section: SECTIONS.workload,
    help: "one model (repeatable); a JSON object is a custom architecture. --models, --model, --gguf and the architecture flags together replace the suite's list",
  },
  {
    name: 'gguf',
    type: 'string',
    multiple: true,
    value: 'FILE',
    part: 'model',
    section: SECTIONS.workload,
    help: 'a GGUF model file to run, with its own tensor types whatever --formats says (repeatable). In the page: the name of a file picked or dropped there',
  },
  ...GENERATION_KEYS.filter((k) => k !== 'models').map((k) => fromHelp('generation', SECTIONS.workload, [k, GENERATION_HELP[k]])),
  ...ARCH_FLAG_NAMES.map((f) => fromHelp('architecture', SECTIONS.architecture, [f, ARCHITECTURE_HELP[f] ?? ['X', f]])),
  ...COST_KEYS.map((k) => fromHelp('cost', SECTIONS.cost, [k, COST_HELP[k]])),
  {
    name: 'peer',
    type: 'string',
    value: 'LIST',
    part: 'peer',
    section: SECTIONS.peer,
    help:
      'run llama.cpp on the same GGUF files after tokenbench: webgpu (llama.cpp\'s WebGPU backend in the page, via wllama), ' +
      'native (llama.cpp through node-llama-cpp on this machine; native:cpu|cuda|vulkan|metal picks its backend, default auto). ' +
      'Synthetic presets are written to GGUF files first, so both engines run the same bytes',
  },
]);

/** Options of the page address only: they say what the page does, not what a run is. */
export const PAGE_OPTIONS: readonly OptionSpec[] = Object.freeze([
  { name: 'autorun', type: 'boolean', section: 'Page', help: 'start a run as soon as the page has found its device (autorun=1)' },
]);

/** How an option is written on the command line: `--gen N`, `--no-tune`, `-h, --help`. */
export function optionSynopsis(o: OptionSpec): string {
  const long = o.negatable ? `--no-${o.name}` : `--${o.name}`;
  const withValue = o.type === 'string' ? `${long} ${o.value ?? 'VALUE'}` : long;
  return o.short ? `-${o.short}, ${withValue}` : withValue;
}

/** Wraps `text` to `width` columns; continuation lines are indented by `indent` spaces. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Column where descriptions start in --help. */
const HELP_COLUMN = 27;
const HELP_WIDTH = 108;

/** One --help line per option: synopsis, then its description (wrapped). */
export function optionLines(options: readonly OptionSpec[]): string {
  return options
    .map((o) => {
      const head = `  ${optionSynopsis(o)}`;
      const pad = head.length + 1 > HELP_COLUMN ? `\n${' '.repeat(HELP_COLUMN)}` : ' '.repeat(HELP_COLUMN - head.length);
      return `${head}${pad}${wrap(o.help, HELP_WIDTH, HELP_COLUMN)}`;
    })
    .join('\n');
}

/** A heading of --help with its options, and notes after them (text lines, kept as written). */
export interface HelpSection {
  title: string;
  notes?: readonly string[];
}

/**
 * The body of a command's --help: every option under its section, sections in the order given (those of
 * options whose section is missing from `order` follow, so no option is ever left out).
 */
export function helpText(options: readonly OptionSpec[], order: readonly HelpSection[]): string {
  const titles = [...order.map((s) => s.title), ...options.map((o) => o.section)].filter((t, i, all) => all.indexOf(t) === i);
  return titles
    .map((title) => {
      const listed = options.filter((o) => o.section === title);
      const notes = order.find((s) => s.title === title)?.notes ?? [];
      if (!listed.length && !notes.length) return null;
      return [`${title}:`, ...(listed.length ? [optionLines(listed)] : []), ...notes.map((n) => `  ${n}`)].join('\n');
    })
    .filter((s): s is string => s !== null)
    .join('\n\n');
}
