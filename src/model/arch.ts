/**
 * Validation and parsing of architectures from users (JSON, CLI flags, page parameters). Everything here
 * returns every problem at once, naming the field, so a user fixes a config in one go rather than one
 * error per run.
 */
import { PRESETS, presetNames } from './presets';
import { MODEL_FORMATS, type ModelFormat, isModelFormat, modelColsMultiple } from './formats/mix';
import type { Arch } from './types';

/** Outcome of validating or parsing an architecture. */
export type ArchResult = { ok: true; arch: Arch } | { ok: false; errors: string[] };

/** Largest accepted dimension: far above any real model, low enough that bad input can't ask for petabytes. */
export const MAX_DIM = 1 << 20;
/** Largest accepted layer count (real models stay under 200). */
export const MAX_LAYERS = 1024;

/** Values used for optional fields a config leaves out. */
export const ARCH_DEFAULTS = Object.freeze({
  name: 'custom',
  tiedEmbeddings: false,
  qkvBias: false,
  ropeTheta: 10000,
  normEps: 1e-5,
});

type IntField = 'hidden' | 'ffn' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'vocab';
type BoolField = 'tiedEmbeddings' | 'qkvBias';
type FloatField = 'ropeTheta' | 'normEps';

const INT_FIELDS: readonly IntField[] = ['hidden', 'ffn', 'layers', 'heads', 'kvHeads', 'headDim', 'vocab'];
const BOOL_FIELDS: readonly BoolField[] = ['tiedEmbeddings', 'qkvBias'];
const ARCH_FIELDS: readonly (keyof Arch)[] = ['name', ...INT_FIELDS, ...BOOL_FIELDS, 'ropeTheta', 'normEps'];

/** Field name → CLI flag (without the leading dashes), e.g. kvHeads → kv-heads. */
const FLAG_OF: Readonly<Record<keyof Arch, string>> = Object.freeze({
  name: 'name',
  hidden: 'hidden',
  ffn: 'ffn',
  layers: 'layers',
  heads: 'heads',
  kvHeads: 'kv-heads',
  headDim: 'head-dim',
  vocab: 'vocab',
  tiedEmbeddings: 'tied-embeddings',
  qkvBias: 'qkv-bias',
  ropeTheta: 'rope-theta',
  normEps: 'norm-eps',
});

/** The CLI flags archFromFlags accepts (without dashes), so a CLI can pick them out of its other options. */
export const ARCH_FLAG_NAMES: readonly string[] = Object.freeze(ARCH_FIELDS.map((f) => FLAG_OF[f]));

type Label = (field: keyof Arch) => string;
const fieldLabel: Label = (f) => f;
const flagLabel: Label = (f) => `--${FLAG_OF[f]}`;

/** A short, safe rendering of an untrusted value for error messages (no JSON.stringify of cyclic objects). */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Shared core of validateArch and archFromFlags. `label` names fields the way the user wrote them;
 * `unparsed` lists fields whose raw text already failed to parse, so they aren't also reported missing.
 */
function check(a: unknown, format: ModelFormat | undefined, label: Label, unparsed: ReadonlySet<string>): ArchResult {
  if (!isRecord(a)) return { ok: false, errors: [`architecture must be an object, got ${show(a)}`] };
  const errors: string[] = [];
  const known = new Set<string>(ARCH_FIELDS);
  for (const key of Object.keys(a)) {
    if (!known.has(key)) errors.push(`unknown field ${JSON.stringify(key)} (expected one of ${ARCH_FIELDS.join(', ')})`);
  }
  if (format !== undefined && !isModelFormat(format)) {
    errors.push(`unknown weight format ${show(format)} (expected one of ${MODEL_FORMATS.join(', ')})`);
  }

  // Integers: undefined in `ints` means the field is already reported, so checks that need it are skipped
  // rather than piling derived errors on top of the real one.
  const ints: Partial<Record<IntField, number>> = {};
  for (const f of INT_FIELDS) {
    const v = a[f];
    const cap = f === 'layers' ? MAX_LAYERS : MAX_DIM;
    const min = f === 'vocab' ? 2 : 1;
    if (v === undefined) {
      if (!unparsed.has(f)) errors.push(`${label(f)} is required (a positive integer)`);
    } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      errors.push(`${label(f)} (${show(v)}) must be a positive integer`);
    } else if (v < min) {
      errors.push(`${label(f)} (${v}) must be at least ${min}`);
    } else if (v > cap) {
      errors.push(`${label(f)} (${v}) exceeds the limit ${cap}`);
    } else {
      ints[f] = v;
    }
  }
  const { heads, kvHeads, headDim } = ints;
  if (heads !== undefined && kvHeads !== undefined && heads % kvHeads !== 0) {
    errors.push(`${label('heads')} (${heads}) must be divisible by ${label('kvHeads')} (${kvHeads})`);
  }
  // RoPE rotates (x[2i], x[2i+1]) pairs within each head.
  if (headDim !== undefined && headDim % 2 !== 0) errors.push(`${label('headDim')} (${headDim}) must be even for RoPE`);
  const qDim = heads !== undefined && headDim !== undefined ? heads * headDim : undefined;
  if (qDim !== undefined && qDim > MAX_DIM) {
    errors.push(`${label('heads')}*${label('headDim')} (${heads}*${headDim}=${qDim}) exceeds the limit ${MAX_DIM}`);
  }
  if (format !== undefined && isModelFormat(format)) {
    // hidden, ffn and heads*headDim are the K (input) sizes of every matmul; the kernels need whole blocks
    // (a mix: of its k-quants, whose llama.cpp fallbacks for other sizes tokenbench does not have).
    const m = modelColsMultiple(format);
    const inputs: Array<[string, number | undefined]> = [
      [`${label('hidden')} (${ints.hidden})`, ints.hidden],
      [`${label('ffn')} (${ints.ffn})`, ints.ffn],
      [`${label('heads')}*${label('headDim')} (${heads}*${headDim}=${qDim})`, qDim],
    ];
    for (const [what, n] of inputs) {
      if (n !== undefined && n % m !== 0) errors.push(`${what} must be a multiple of ${m} for ${format} weights (a matmul input size)`);
    }
  }

  // Omitted optional fields take their default; null is not "omitted" and gets reported.
  const opt = (f: keyof typeof ARCH_DEFAULTS): unknown =>
    a[f] !== undefined ? a[f] : unparsed.has(f) ? undefined : ARCH_DEFAULTS[f];
  const floats: Partial<Record<FloatField, number>> = {};
  const ropeTheta = opt('ropeTheta');
  if (ropeTheta !== undefined) {
    // theta <= 1 makes every frequency >= 1 rad/token: no long-range signal, almost surely a typo.
    if (typeof ropeTheta !== 'number' || !Number.isFinite(ropeTheta) || ropeTheta <= 1) {
      errors.push(`${label('ropeTheta')} (${show(ropeTheta)}) must be a finite number > 1`);
    } else floats.ropeTheta = ropeTheta;
  }
  const normEps = opt('normEps');
  if (normEps !== undefined) {
    if (typeof normEps !== 'number' || !(normEps > 0 && normEps < 1)) {
      errors.push(`${label('normEps')} (${show(normEps)}) must be a number with 0 < normEps < 1`);
    } else floats.normEps = normEps;
  }

  const bools: Partial<Record<BoolField, boolean>> = {};
  for (const f of BOOL_FIELDS) {
    const v = opt(f);
    if (v === undefined) continue;
    if (typeof v !== 'boolean') errors.push(`${label(f)} (${show(v)}) must be true or false`);
    else bools[f] = v;
  }

  const name = opt('name');
  if (typeof name !== 'string' || name.trim() === '') errors.push(`${label('name')} (${show(name)}) must be a non-empty string`);

  if (errors.length > 0) return { ok: false, errors };
  // A fresh object with only known fields: nothing from the input (prototype, extra keys) leaks through.
  // The casts are safe: every field was checked above and errors.length === 0.
  return {
    ok: true,
    arch: {
      name: name as string,
      hidden: ints.hidden as number,
      ffn: ints.ffn as number,
      layers: ints.layers as number,
      heads: heads as number,
      kvHeads: kvHeads as number,
      headDim: headDim as number,
      vocab: ints.vocab as number,
      tiedEmbeddings: bools.tiedEmbeddings as boolean,
      qkvBias: bools.qkvBias as boolean,
      ropeTheta: floats.ropeTheta as number,
      normEps: floats.normEps as number,
    },
  };
}

/**
 * Checks an untrusted architecture and fills defaults for omitted optional fields (name "custom",
 * untied, no QKV bias, ropeTheta 10000, normEps 1e-5). With `format`, also checks that every matmul input
 * size (hidden, ffn, heads*headDim) is a multiple of modelColsMultiple(format). Returns a fresh object; the
 * input is never returned or mutated.
 */
export function validateArch(a: unknown, format?: ModelFormat): ArchResult {
  return check(a, format, fieldLabel, new Set());
}

/** Parses and validates an architecture given as JSON text (a file or a page parameter). */
export function parseArchJson(text: string, format?: ModelFormat): ArchResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`invalid architecture JSON: ${e instanceof Error ? e.message : String(e)}`] };
  }
  return validateArch(value, format);
}

// Plain decimal or exponent notation only: Number() would also take "", " ", "0x10" and "Infinity".
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Builds an architecture from CLI flags named like the fields in kebab-case (--kv-heads, --head-dim,
 * --tied-embeddings true|false, ...). Keys may be given with or without the leading "--". Numbers are
 * parsed strictly ("12abc", "" and "1e309" are errors); errors name the flag as the user typed it.
 */
export function archFromFlags(flags: Record<string, string>, format?: ModelFormat): ArchResult {
  const byFlag = new Map(ARCH_FIELDS.map((f) => [FLAG_OF[f], f] as const));
  const errors: string[] = [];
  const unparsed = new Set<string>();
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(flags)) {
    const flag = key.replace(/^--/, '');
    const field = byFlag.get(flag);
    if (field === undefined) {
      errors.push(`unknown flag --${flag} (architecture flags: ${ARCH_FLAG_NAMES.map((f) => `--${f}`).join(', ')})`);
      continue;
    }
    if (field === 'name') {
      raw[field] = text;
    } else if (field === 'tiedEmbeddings' || field === 'qkvBias') {
      if (text === 'true' || text === 'false') raw[field] = text === 'true';
      else {
        errors.push(`--${flag} (${show(text)}) must be true or false`);
        unparsed.add(field);
      }
    } else {
      const n = NUMBER_RE.test(text) ? Number(text) : Number.NaN;
      if (Number.isFinite(n)) raw[field] = n;
      else {
        errors.push(`--${flag} (${show(text)}) is not a number`);
        unparsed.add(field);
      }
    }
  }
  const r = check(raw, format, flagLabel, unparsed);
  if (errors.length === 0) return r;
  return { ok: false, errors: r.ok ? errors : [...errors, ...r.errors] };
}

/**
 * Resolves what a user named: a preset name gives (a copy of) that preset; text starting with "{" is
 * parsed as JSON; anything else is an error listing the presets. With `format`, the result is checked
 * against it too.
 */
export function resolveArch(nameOrJson: string, format?: ModelFormat): ArchResult {
  const s = nameOrJson.trim();
  // hasOwn, not `in`: "constructor" and "toString" are not presets.
  const preset = Object.hasOwn(PRESETS, s) ? PRESETS[s] : undefined;
  if (preset !== undefined) return validateArch(preset, format);
  if (s.startsWith('{')) return parseArchJson(s, format);
  return {
    ok: false,
    errors: [`unknown architecture ${show(s)}: use a preset (${presetNames().join(', ')}) or a JSON object starting with "{"`],
  };
}
