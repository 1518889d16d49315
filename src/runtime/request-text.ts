/**
 * Text ↔ RunRequest. The texts of the table's options (src/runtime/options.ts), from the command line, the
 * page address or the page's form fields, become a RunRequest here, in one place, with the parsers of each
 * part (generation text, architecture flags, cost inputs); a RunRequest becomes texts again for links and
 * checks. Also the check of a request object handed over by automation (`window.tokenbench.run`).
 * Pure: no DOM, no Node.
 */
import { z } from 'zod';
import { DEFAULT_MIX, costToParams, hasCostInputs, parseCostInputs } from '../cost/inputs';
import { archFromFlags } from '../model/arch';
import { DEFAULT_SUITE, type RunRequest, defaultRunRequest } from '../run/request';
import { isSuiteName } from '../run/suites';
import { parseTuneCache } from '../run/tune/tuner';
import { ConfigSchema, CostInputsSchema, NativeBackendSchema, PeerEngineSchema, PeerRequestSchema, type PeerRequest, SuiteNameSchema, firstIssue } from '../schema/result';
import { type ModelEntry, type Parsed, generationToParams, isModelFile, parseGenerationOverrides, parseModel, parseModelFile } from './generation-text';
import { PAGE_OPTIONS, REQUEST_OPTIONS, type RequestPart } from './options';

export type { Parsed } from './generation-text';

/** The texts of the options given, by option name, every occurrence in order. */
export type OptionTexts = ReadonlyMap<string, readonly string[]>;

/** How messages name an option: `--gen` on the command line, `gen` in the page address and form. */
export type Spelling = 'cli' | 'url';

const REQUEST_NAMES = new Set(REQUEST_OPTIONS.map((o) => o.name));
const namesOf = (part: RequestPart) => REQUEST_OPTIONS.filter((o) => o.part === part).map((o) => o.name);

/** Groups `[name, text]` pairs by name, keeping their order. */
export function textsOf(pairs: Iterable<readonly [string, string]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, text] of pairs) out.set(name, [...(out.get(name) ?? []), text]);
  return out;
}

/** The parsers say `gen: ...`; the command line says `--gen: ...`, the address `gen` where a flag says `--gen`. */
function spell(message: string, spelling: Spelling): string {
  if (spelling === 'url') return message.replace(/--([a-z][a-z0-9-]*)/g, (m, n: string) => (REQUEST_NAMES.has(n) ? n : m));
  return message.replace(/(^|; )([a-z][a-z0-9-]*)(?=[:[])/g, (m, pre: string, n: string) => (REQUEST_NAMES.has(n) ? `${pre}--${n}` : m));
}

const TRUE = ['1', 'true', 'yes', ''];
const FALSE = ['0', 'false', 'no'];

/** An on/off option's text (`autorun=1`, `tune=0`). */
export function parseSwitch(name: string, text: string, spelling: Spelling): Parsed<boolean> {
  if (TRUE.includes(text)) return { ok: true, value: true };
  if (FALSE.includes(text)) return { ok: true, value: false };
  return { ok: false, error: `${spelling === 'url' ? `?${name}=` : `--${name}`} must be 1 or 0, got "${text}"` };
}

/**
 * The peers of `--peer webgpu,native:vulkan`: engines comma-separated, each once; the native engine may name
 * its backend after a colon (default auto).
 */
export function parsePeers(text: string): Parsed<PeerRequest> {
  const engines: PeerRequest['engines'] = [];
  let native: PeerRequest['native'] = 'auto';
  for (const item of text.split(',').map((t) => t.trim())) {
    const [name = '', backend, extra] = item.split(':');
    const engine = PeerEngineSchema.safeParse(name);
    if (!engine.success) return { ok: false, error: `peer: unknown engine "${item}" (use webgpu, native or native:${NativeBackendSchema.options.join('|')})` };
    if (engines.includes(engine.data)) return { ok: false, error: `peer: "${name}" is given more than once` };
    if (backend !== undefined || extra !== undefined) {
      const b = NativeBackendSchema.safeParse(backend);
      if (engine.data !== 'native' || extra !== undefined || !b.success) {
        return { ok: false, error: `peer: "${item}": only native takes a backend, one of ${NativeBackendSchema.options.join(', ')}` };
      }
      native = b.data;
    }
    engines.push(engine.data);
  }
  return { ok: true, value: { engines, native } };
}

/** The text of a peer request (parsePeers reads it back). */
export function peersToText(p: PeerRequest): string {
  return p.engines.map((e) => (e === 'native' && p.native !== 'auto' ? `native:${p.native}` : e)).join(',');
}

/** Models from `model` (each occurrence), the architecture flags (one custom model) and `gguf` (each file). */
function extraModels(texts: OptionTexts): Parsed<ModelEntry[]> {
  const out: ModelEntry[] = [];
  for (const text of texts.get('model') ?? []) {
    const m = parseModel(text);
    if (!m.ok) return m;
    out.push(m.value);
  }
  const flags = Object.fromEntries(namesOf('architecture').flatMap((n) => (texts.has(n) ? [[n, texts.get(n)?.at(-1) ?? '']] : [])));
  if (Object.keys(flags).length) {
    const a = archFromFlags(flags);
    if (!a.ok) return { ok: false, error: `custom architecture: ${a.errors.join('; ')}` };
    out.push(a.arch);
  }
  for (const text of texts.get('gguf') ?? []) {
    const f = parseModelFile(text);
    if (!f.ok) return f;
    out.push(f.value);
  }
  return { ok: true, value: out };
}

/**
 * What only the whole request can tell: a model file named twice, a prompt given both ways, a prompt with
 * no model file to read it (synthetic models have no vocabulary).
 */
function promptAndFileProblems(g: RunRequest['generation'], peers: boolean): string[] {
  const files = (g.models ?? []).filter(isModelFile).map((m) => m.gguf);
  const twice = files.filter((f, i) => files.indexOf(f) !== i);
  const out = twice.length ? [`gguf: ${[...new Set(twice)].map((f) => `"${f}"`).join(', ')} given more than once`] : [];
  if (g.promptText !== undefined && g.promptTokens) out.push('prompt-text: give the prompt as --prompt-text or as --prompt-tokens, not both');
  const prompt = g.promptText !== undefined ? 'prompt-text' : g.promptTokens ? 'prompt-tokens' : null;
  // With peers, synthetic models become GGUF files with a vocabulary (src/run/peers/models.ts).
  if (prompt && !files.length && !peers) {
    out.push(`${prompt}: a prompt is read with a model file's vocabulary and no model file is given (--gguf FILE, or pick one in the page); synthetic models have no vocabulary`);
  }
  return out;
}

/**
 * The request the texts ask for; every problem at once, each naming its option. Options not given keep
 * the defaults (standard suite, the suite's workloads, tuning on, no cost inputs).
 */
export function requestFromTexts(texts: OptionTexts, spelling: Spelling): Parsed<RunRequest> {
  const last = (name: string) => texts.get(name)?.at(-1);
  const request = defaultRunRequest();
  const errors: string[] = [];
  const take = <T>(r: Parsed<T>, set: (v: T) => void) => (r.ok ? set(r.value) : errors.push(spell(r.error, spelling)));
  const suite = last('suite');
  if (suite !== undefined) {
    take(isSuiteName(suite) ? { ok: true, value: suite } : { ok: false, error: `suite: unknown suite "${suite}" (use smoke or standard)` }, (v) => (request.suite = v));
  }
  const tune = last('tune');
  if (tune !== undefined) take(parseSwitch('tune', tune, spelling), (enabled) => (request.tune = { enabled }));
  take(parseGenerationOverrides((k) => last(k)), (g) => (request.generation = g));
  take(extraModels(texts), (extra) => {
    if (extra.length) request.generation.models = [...(request.generation.models ?? []), ...extra];
  });
  take(parseCostInputs((k) => last(k)), (c) => (request.cost = hasCostInputs(c) ? c : null));
  const peer = last('peer');
  if (peer !== undefined && peer !== '') take(parsePeers(peer), (p) => (request.peers = p));
  if (!errors.length) errors.push(...promptAndFileProblems(request.generation, request.peers !== null).map((e) => spell(e, spelling)));
  return errors.length ? { ok: false, error: errors.join('; ') } : { ok: true, value: request };
}

/** The texts of a request (the tuning cache has no text form and is left out). */
export function requestToTexts(r: RunRequest): Array<[string, string]> {
  return [
    ['suite', r.suite],
    ...(r.tune.enabled ? [] : ([['tune', '0']] as Array<[string, string]>)),
    ...generationToParams(r.generation),
    ...(r.cost ? costToParams(r.cost) : []),
    ...(r.peers ? ([['peer', peersToText(r.peers)]] as Array<[string, string]>) : []),
  ];
}

/** What the page address asks for. */
export interface PageQuery {
  request: RunRequest;
  autorun: boolean;
  /** Names of the parameters present (the page keeps what a user chose over its own defaults). */
  given: ReadonlySet<string>;
}

/** Parses the page address (`?suite=smoke&autorun=1&gen=32`). Unknown or repeated parameters are errors. */
export function parsePageQuery(search: string): Parsed<PageQuery> {
  const options = [...REQUEST_OPTIONS, ...PAGE_OPTIONS];
  const texts = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(search)) {
    const o = options.find((x) => x.name === key);
    if (!o) return { ok: false, error: `unknown URL parameter "${key}" (known: ${options.map((x) => x.name).join(', ')})` };
    if (texts.has(key) && !o.multiple) return { ok: false, error: `?${key}= is given more than once` };
    texts.set(key, [...(texts.get(key) ?? []), value]);
  }
  const auto = texts.get('autorun')?.[0];
  const autorun = auto === undefined ? { ok: true as const, value: false } : parseSwitch('autorun', auto, 'url');
  if (!autorun.ok) return autorun;
  const request = requestFromTexts(texts, 'url');
  if (!request.ok) return request;
  return { ok: true, value: { request: request.value, autorun: autorun.value, given: new Set(texts.keys()) } };
}

/** The page address of a request (`?suite=smoke&gen=32`), for links and `autorun`. */
export function requestToQuery(r: RunRequest, autorun = false): URLSearchParams {
  return new URLSearchParams([...requestToTexts(r), ...(autorun ? [['autorun', '1']] : [])]);
}

/** The shape of a request from automation: parts left out take their defaults; unknown keys are errors. */
const RequestSchema = z.strictObject({
  suite: SuiteNameSchema.default(DEFAULT_SUITE),
  generation: z.strictObject(ConfigSchema.shape.generation.shape).partial().default({}),
  tune: z.strictObject({ enabled: z.boolean().default(true), cache: z.record(z.string(), z.unknown()).optional() }).default({ enabled: true }),
  cost: z.strictObject({ ...CostInputsSchema.shape, mix: CostInputsSchema.shape.mix.default({ ...DEFAULT_MIX }) }).nullable().default(null),
  peers: z.strictObject({ ...PeerRequestSchema.shape, native: NativeBackendSchema.default('auto') }).nullable().default(null),
});

/** What `window.tokenbench.run` accepts: a RunRequest, any part of which may be left out. */
export type RunRequestInput = z.input<typeof RequestSchema>;

/**
 * Checks a request handed over by automation. Its shape first (JSON path of the first problem), then its
 * values through their text form, so that limits and cross-checks are exactly those of the command line
 * and the address. Entries of the tuning cache that are malformed are dropped (a cache is only a hint).
 */
export function parseRunRequest(value: unknown): Parsed<RunRequest> {
  const shape = RequestSchema.safeParse(value);
  if (!shape.success) return { ok: false, error: firstIssue(shape.error, 'request') };
  const { tune, ...rest } = shape.data;
  const parsed = requestFromTexts(textsOf(requestToTexts({ ...rest, tune: { enabled: tune.enabled } })), 'url');
  if (!parsed.ok) return { ok: false, error: `invalid request: ${parsed.error}` };
  if (tune.cache) parsed.value.tune.cache = parseTuneCache(JSON.stringify(tune.cache));
  return parsed;
}
