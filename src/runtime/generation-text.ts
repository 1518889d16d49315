/**
 * Token-workload (generation) settings as text: the values of `--models`, `--gen`, ... on the command line
 * and of `?models=`, `?gen=`, ... in the page address, parsed with errors that name the setting, and
 * written back. The option table (src/runtime/options.ts) hands these texts here. Pure: no DOM, no Node.
 */
import { validateArch } from '../model/arch';
import { PRESETS } from '../model/presets';
import type { ModelFormat } from '../model/formats/mix';
import { MODEL_FORMATS } from '../model/formats/mix';
import type { GenerationConfig, GgufRef, KvType } from '../schema/result';
import { KV_TYPES } from '../core/kv';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Upper bounds that keep a typo from asking for absurd work. A text prompt is bounded in characters (it
 * becomes at most about that many tokens); token ids by GGUF's u32 (the file's vocabulary decides which exist).
 */
export const LIMITS = { promptLen: 32768, genTokens: 8192, depth: 131072, batch: 256, reps: 100, promptTextChars: 131072, tokenId: 0xffffffff } as const;

/** "512,1024" → [512, 1024]; every entry an integer in [min, max]. */
export function parseIntList(name: string, text: string, min: number, max: number): Parsed<number[]> {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) return { ok: false, error: `${name}: expected a comma-separated list of integers, got "${text}"` };
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { ok: false, error: `${name}: "${p}" is not a non-negative integer` };
    const v = Number(p);
    if (v < min || v > max) return { ok: false, error: `${name}: ${v} is outside [${min}, ${max}]` };
    out.push(v);
  }
  return { ok: true, value: [...new Set(out)] };
}

/** Prompt lengths of the prefill tests; a text given here instead is pointed at --prompt-text. */
export function parsePromptLens(text: string): Parsed<number[]> {
  if (/\p{L}/u.test(text)) {
    return {
      ok: false,
      error: `prompt: expected prompt lengths such as 512 (pp512), got "${text}"; a text prompt is --prompt-text TEXT, token ids are --prompt-tokens LIST`,
    };
  }
  return parseIntList('prompt', text, 1, LIMITS.promptLen);
}

/** A prompt as token ids, "1,2,3": order and repeats kept, each a token id, at most LIMITS.promptLen of them. */
export function parsePromptTokens(text: string): Parsed<number[]> {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) return { ok: false, error: `prompt-tokens: expected comma-separated token ids such as 1,2,3, got "${text}"` };
  if (parts.length > LIMITS.promptLen) return { ok: false, error: `prompt-tokens: ${parts.length} tokens is more than ${LIMITS.promptLen}` };
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { ok: false, error: `prompt-tokens: "${p}" is not a token id (a non-negative integer)` };
    const v = Number(p);
    if (v > LIMITS.tokenId) return { ok: false, error: `prompt-tokens: ${p} is outside [0, ${LIMITS.tokenId}]` };
    out.push(v);
  }
  return { ok: true, value: out };
}

/** A prompt as text, tokenised with the model file's own tokenizer. */
export function parsePromptText(text: string): Parsed<string> {
  if (text.trim() === '') return { ok: false, error: 'prompt-text: empty (leave it out to generate from the benchmark prompt)' };
  if (text.length > LIMITS.promptTextChars) return { ok: false, error: `prompt-text: ${text.length} characters is more than ${LIMITS.promptTextChars}` };
  return { ok: true, value: text };
}

/** A model file reference: a path on the command line, the name of a picked file in the page. */
export function parseModelFile(ref: unknown): Parsed<GgufRef> {
  if (typeof ref !== 'string' || ref.trim() === '') return { ok: false, error: 'gguf: expected a file name or path' };
  if (/[\u0000-\u001f\u007f]/.test(ref)) return { ok: false, error: `gguf: ${JSON.stringify(ref)} contains control characters` };
  return { ok: true, value: { gguf: ref } };
}

/** Whether a model entry of the config is a model file. */
export function isModelFile(m: GenerationConfig['models'][number]): m is GgufRef {
  return typeof m === 'object' && 'gguf' in m;
}

export function parseFormats(text: string): Parsed<ModelFormat[]> {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) return { ok: false, error: 'formats: expected a comma-separated list' };
  for (const n of names) {
    if (!(MODEL_FORMATS as readonly string[]).includes(n)) {
      return { ok: false, error: `formats: unknown format "${n}" (known: ${MODEL_FORMATS.join(', ')})` };
    }
  }
  return { ok: true, value: [...new Set(names)] as ModelFormat[] };
}

/** A model entry of the config: a preset name, a custom architecture or a model file. */
export type ModelEntry = GenerationConfig['models'][number];

/** One model: a preset name, a JSON architecture object, or a JSON model file reference `{"gguf": "..."}`. */
export function parseModel(text: string): Parsed<ModelEntry> {
  const t = text.trim();
  if (t.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(t);
    } catch (e) {
      return { ok: false, error: `model: invalid JSON architecture (${(e as Error).message})` };
    }
    if (data !== null && typeof data === 'object' && 'gguf' in data) {
      const keys = Object.keys(data);
      if (keys.length !== 1) return { ok: false, error: `model: a model file is {"gguf": "FILE"} alone, got keys ${keys.join(', ')}` };
      const f = parseModelFile((data as { gguf: unknown }).gguf);
      return f.ok ? f : { ok: false, error: f.error.replace(/^gguf:/, 'model:') };
    }
    const v = validateArch(data);
    return v.ok ? { ok: true, value: v.arch } : { ok: false, error: `model: ${v.errors.join('; ')}` };
  }
  if (!Object.prototype.hasOwnProperty.call(PRESETS, t)) {
    return { ok: false, error: `model: unknown preset "${t}" (known: ${Object.keys(PRESETS).join(', ')}; or pass a JSON architecture)` };
  }
  return { ok: true, value: t };
}

/**
 * A model list: a JSON array (names and/or architecture objects), a single JSON object, or
 * comma-separated preset names.
 */
export function parseModels(text: string): Parsed<ModelEntry[]> {
  const t = text.trim();
  if (t.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(t);
    } catch (e) {
      return { ok: false, error: `models: invalid JSON (${(e as Error).message})` };
    }
    if (!Array.isArray(data) || data.length === 0) return { ok: false, error: 'models: expected a non-empty JSON array' };
    const out: ModelEntry[] = [];
    for (const [i, item] of data.entries()) {
      const r = parseModel(typeof item === 'string' ? item : JSON.stringify(item));
      if (!r.ok) return { ok: false, error: `models[${i}]: ${r.error}` };
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (t.startsWith('{')) {
    const r = parseModel(t);
    return r.ok ? { ok: true, value: [r.value] } : r;
  }
  const names = t.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) return { ok: false, error: 'models: expected preset names or a JSON architecture' };
  const out: ModelEntry[] = [];
  for (const n of names) {
    const r = parseModel(n);
    if (!r.ok) return { ok: false, error: r.error.replace(/^model:/, 'models:') };
    out.push(r.value);
  }
  return { ok: true, value: out };
}

/** The KV-cache element type: f16 or f32 (absent: the run picks by the adapter, runner.ts). */
export function parseKvType(text: string): Parsed<KvType> {
  const t = text.trim();
  if ((KV_TYPES as readonly string[]).includes(t)) return { ok: true, value: t as KvType };
  return { ok: false, error: `kv-type: expected ${KV_TYPES.join(' or ')}, got "${text}"` };
}

/** Keys of the text form (CLI flags without "--", URL parameters). */
export const GENERATION_KEYS = ['models', 'formats', 'prompt', 'prompt-text', 'prompt-tokens', 'gen', 'depths', 'batches', 'gen-reps', 'kv-type'] as const;
export type GenerationKey = (typeof GENERATION_KEYS)[number];

/** Parses whichever generation settings are present. */
export function parseGenerationOverrides(get: (key: GenerationKey) => string | null | undefined): Parsed<Partial<GenerationConfig>> {
  const out: Partial<GenerationConfig> = {};
  const take = <T>(key: GenerationKey, parse: (t: string) => Parsed<T>, set: (v: T) => void): string | null => {
    const t = get(key);
    if (t === null || t === undefined) return null;
    const r = parse(t);
    if (!r.ok) return r.error;
    set(r.value);
    return null;
  };
  const single = (name: string, min: number, max: number) => (t: string): Parsed<number> => {
    const r = parseIntList(name, t, min, max);
    if (!r.ok) return r;
    return r.value.length === 1 ? { ok: true, value: r.value[0] as number } : { ok: false, error: `${name}: expected one integer` };
  };
  const errs = [
    take('models', parseModels, (v) => (out.models = v)),
    take('formats', parseFormats, (v) => (out.formats = v)),
    take('prompt', parsePromptLens, (v) => (out.promptLens = v)),
    take('prompt-text', parsePromptText, (v) => (out.promptText = v)),
    take('prompt-tokens', parsePromptTokens, (v) => (out.promptTokens = v)),
    take('gen', single('gen', 1, LIMITS.genTokens), (v) => (out.genTokens = v)),
    take('depths', (t) => parseIntList('depths', t, 0, LIMITS.depth), (v) => (out.depths = v)),
    take('batches', (t) => parseIntList('batches', t, 1, LIMITS.batch), (v) => (out.batches = v)),
    take('gen-reps', single('gen-reps', 1, LIMITS.reps), (v) => (out.reps = v)),
    take('kv-type', parseKvType, (v) => (out.kvType = v)),
  ].filter((e): e is string => e !== null);
  return errs.length ? { ok: false, error: errs.join('; ') } : { ok: true, value: out };
}

/** The text form of overrides, for URLs (the CLI hands its settings to the page this way). */
export function generationToParams(g: Partial<GenerationConfig>): Array<[GenerationKey, string]> {
  const out: Array<[GenerationKey, string]> = [];
  if (g.models) out.push(['models', JSON.stringify(g.models)]);
  if (g.formats) out.push(['formats', g.formats.join(',')]);
  if (g.promptLens) out.push(['prompt', g.promptLens.join(',')]);
  if (g.promptText !== undefined) out.push(['prompt-text', g.promptText]);
  if (g.promptTokens) out.push(['prompt-tokens', g.promptTokens.join(',')]);
  if (g.genTokens !== undefined) out.push(['gen', String(g.genTokens)]);
  if (g.depths) out.push(['depths', g.depths.join(',')]);
  if (g.batches) out.push(['batches', g.batches.join(',')]);
  if (g.reps !== undefined) out.push(['gen-reps', String(g.reps)]);
  if (g.kvType !== undefined) out.push(['kv-type', g.kvType]);
  return out;
}
