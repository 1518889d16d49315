/**
 * The `webgpu` peer: llama.cpp compiled to WebAssembly with its WebGPU backend (@wllama/wllama), run in the
 * page on the same model file as a workload, after tokenbench's own tests. It times the workload's token
 * tests in llama-bench's definitions from llama.cpp's own timings, runs the greedy comparison of the
 * workload's prompt, and says which backend held the weights (on an adapter without shader-f16, such as
 * SwiftShader, ggml-webgpu does not register and llama.cpp runs on its WebAssembly CPU path).
 * Every failure becomes a skipped or errored record: nothing here throws into the run, and tokenbench's
 * figures are never touched. wllama itself is loaded only here, lazily (./wllama-lib.ts).
 */
import { readGgufHeader } from '../../model/gguf/read';
import { blobSource } from '../../model/gguf/source';
import { Tokenizer } from '../../model/tokenizer/tokenize';
import { type Vocab, vocabFromGguf } from '../../model/tokenizer/vocab';
import { type PeerPlan, type PeerTestPlan, peerContextSize, peerTest } from '../../run/peers/plan';
import { agreementByIds, agreementByText, skippedPeer } from '../../result/peers';
import type { Environment, Peer, PeerTest } from '../../schema/result';
import { WLLAMA_NAME, WLLAMA_VERSION } from './names';
import { promptOfLength, tokenPieces } from './prompts';

export { WLLAMA_NAME, WLLAMA_VERSION } from './names';

/** llama-bench's default batch sizes (capped at the context). */
const N_BATCH = 2048;
const N_UBATCH = 512;

/** The timer of each kind of test, in words. */
const TIMER = {
  prefill: "llama.cpp's own timings (prompt_ms)",
  decode: "llama.cpp's own timings (predicted_ms)",
} as const;

type LogFn = (...args: unknown[]) => void;
export interface WllamaLogger {
  debug: LogFn;
  log: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** The part of wllama's Wllama class the peer uses (tests hand in fakes). */
export interface WllamaLike {
  loadModel(blobs: Blob[], params: Record<string, unknown>): Promise<void>;
  getLoadedContextInfo(): { n_ctx: number; n_batch: number; n_ubatch?: number };
  getNumThreads?(): number;
  createCompletion(params: Record<string, unknown>): Promise<unknown>;
  exit(): Promise<void>;
}

/** wllama, loaded: the wasm binary's URL and a constructor. */
export interface WllamaLib {
  wasmUrl: string;
  create(logger: WllamaLogger): WllamaLike;
}

/** The default loader: the lazily built chunk with wllama and its wasm. */
export const loadWllama = async (): Promise<WllamaLib> => (await import('./wllama-lib')).wllamaLib;

/** The workload's greedy run, as tokenbench recorded it. */
export interface PeerPrompt {
  /** The prompt as text (llama.cpp in the page takes text only). */
  text: string;
  /** tokenbench's prompt tokens and its greedy continuation. */
  promptTokens: readonly number[];
  generatedTokens: readonly number[];
}

export interface WllamaPeerInput {
  /** The model file both sides run. */
  file: Blob;
  plan: PeerPlan;
  /** The greedy comparison; null when the workload has no text prompt. */
  prompt: PeerPrompt | null;
  /** The adapter tokenbench ran on (what ggml-webgpu would get); null without one. */
  environment: Environment | null;
  /** Sub-steps ("load", "pp16", "greedy") for the page's progress. */
  onStep?: (step: string) => void;
  signal?: { cancelled: boolean };
  /** Where wllama comes from (tests hand in a fake or a failing loader). */
  lib?: () => Promise<WllamaLib>;
  /** Why wllama cannot run in this browser, or null (default: wllamaUnsupported; tests outside a browser replace it). */
  unsupported?: () => string | null;
}

/** What llama.cpp returns from a completion, the parts the peer reads. */
interface Completion {
  text: string;
  ids: number[] | null;
  promptN: number;
  promptMs: number;
  predictedN: number;
  predictedMs: number;
  cacheN: number;
}

function num(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`llama.cpp's completion has no ${what}`);
  return x;
}

function completionOf(r: unknown): Completion {
  const o = (r ?? {}) as { choices?: Array<{ text?: unknown; logprobs?: { content?: Array<{ id?: unknown }> } | null }>; timings?: Record<string, unknown> };
  const t = o.timings ?? {};
  const choice = o.choices?.[0];
  const content = choice?.logprobs?.content;
  const ids = content && content.every((c) => Number.isInteger(c.id)) ? content.map((c) => c.id as number) : null;
  return {
    text: typeof choice?.text === 'string' ? choice.text : '',
    ids,
    promptN: num(t.prompt_n, 'timings.prompt_n'),
    promptMs: num(t.prompt_ms, 'timings.prompt_ms'),
    predictedN: num(t.predicted_n, 'timings.predicted_n'),
    predictedMs: num(t.predicted_ms, 'timings.predicted_ms'),
    cacheN: typeof t.cache_n === 'number' ? t.cache_n : 0,
  };
}

/** Whether this browser runs wllama's own build (JSPI and wasm memory64); otherwise it would fetch a "compat" build from a CDN. */
export function wllamaUnsupported(): string | null {
  if (typeof WebAssembly === 'undefined') return 'this browser has no WebAssembly';
  if (!('Suspending' in WebAssembly)) return 'this browser lacks WebAssembly JSPI, which wllama\'s build needs (its compat build comes from a CDN, which this page never loads)';
  try {
    new WebAssembly.Memory({ address: 'i64', initial: 1n } as unknown as WebAssembly.MemoryDescriptor);
  } catch {
    return 'this browser lacks WebAssembly memory64, which wllama\'s build needs (its compat build comes from a CDN, which this page never loads)';
  }
  return null;
}

/** Which backend held the weights, from llama.cpp's log ("CPU model buffer size", "WebGPU model buffer size"). */
export function backendFromLog(lines: readonly string[]): { backend: 'webgpu' | 'cpu' | null; buffers: string[] } {
  const buffers = [...new Set(lines.flatMap((l) => [...l.matchAll(/(\S+) model buffer size/g)].map((m) => m[1] as string)))];
  if (!buffers.length) return { backend: null, buffers };
  return { backend: buffers.some((b) => !/^CPU/i.test(b)) ? 'webgpu' : 'cpu', buffers };
}

/** Whether llama.cpp ran flash attention (it resolves `auto` per backend and logs the outcome); null when the log does not say. */
export function flashAttentionFromLog(lines: readonly string[]): boolean | null {
  for (const l of [...lines].reverse()) {
    const m = /Flash Attention (enabled|disabled)|flash_attn\s*=\s*(enabled|disabled)/i.exec(l);
    if (m) return (m[1] ?? m[2])?.toLowerCase() === 'enabled';
  }
  return null;
}

/** Why llama.cpp ran on the CPU although a WebGPU backend was asked for. */
function cpuNote(env: Environment | null): string {
  if (!env) return 'no WebGPU adapter in this browser: llama.cpp ran on its WebAssembly CPU path';
  if (!env.adapterFeatures.includes('shader-f16')) return 'ggml-webgpu needs the shader-f16 feature, which this adapter lacks: llama.cpp ran on its WebAssembly CPU path';
  return "llama.cpp's WebGPU backend did not take the weights (its log names CPU buffers only)";
}

function adapterName(env: Environment | null): string | undefined {
  if (!env) return undefined;
  const a = env.adapter;
  return [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || undefined;
}

class Cancelled extends Error {}

/** Runs the WebGPU peer on one workload's file. Never throws: failures are the record's state and reason. */
export async function runWllamaPeer(input: WllamaPeerInput): Promise<Peer> {
  const started = performance.now();
  const done = (p: Peer): Peer => ({ ...p, durationMs: performance.now() - started });
  const unsupported = (input.unsupported ?? wllamaUnsupported)();
  if (unsupported) return done({ ...skippedPeer('webgpu', WLLAMA_NAME, unsupported), version: WLLAMA_VERSION });
  let vocab: Vocab;
  try {
    vocab = vocabFromGguf((await readGgufHeader(blobSource(input.file))).metadata);
  } catch (e) {
    return done({ ...skippedPeer('webgpu', WLLAMA_NAME, `the file's vocabulary cannot be read (${message(e)}): prompts of an exact length cannot be written`), version: WLLAMA_VERSION });
  }
  const log: string[] = [];
  const keep = (level: string) => (...args: unknown[]) => {
    const line = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : safeJson(a))).join(' ');
    // llama.cpp logs every tensor of a large model: keep the lines the record reads and the last problems.
    if (level !== 'debug' || /buffer size|flash|Flash|error|failed|offload/i.test(line)) log.push(`${level}: ${line}`);
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  const logger: WllamaLogger = { debug: keep('debug'), log: keep('log'), info: keep('info'), warn: keep('warn'), error: keep('error') };
  let w: WllamaLike | null = null;
  const step = (s: string) => {
    if (input.signal?.cancelled) throw new Cancelled('cancelled');
    input.onStep?.(s);
  };
  try {
    step('loading wllama');
    let lib: WllamaLib;
    try {
      lib = await (input.lib ?? loadWllama)();
    } catch (e) {
      throw new Error(`could not load wllama: ${message(e)}`);
    }
    w = lib.create(logger);
    const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.floor((navigator.hardwareConcurrency || 2) / 2)) : 1;
    const nCtx = peerContextSize(input.plan, input.prompt?.promptTokens.length ?? 0);
    step('loading the model');
    await w.loadModel([input.file], {
      n_ctx: nCtx,
      n_batch: Math.min(N_BATCH, nCtx),
      n_ubatch: Math.min(N_UBATCH, nCtx),
      n_threads: threads,
      n_gpu_layers: 999,
      n_parallel: 1,
      cache_type_k: input.plan.kvType,
      cache_type_v: input.plan.kvType,
      // llama.cpp's `auto`: on where the backend has it; the log says what it chose.
      flash_attn: true,
    });
    const info = w.getLoadedContextInfo();
    const { backend, buffers } = backendFromLog(log);
    const tokenizer = new Tokenizer(vocab);
    const wl = w;
    const complete = async (prompt: string, maxTokens: number, extra: Record<string, unknown> = {}): Promise<Completion> => {
      const c = completionOf(await wl.createCompletion({ prompt, max_tokens: maxTokens, temperature: 0, top_k: 1, ignore_eos: true, cache_prompt: false, stream: false, ...extra }));
      if (c.cacheN > 0) throw new Error(`llama.cpp served ${c.cacheN} prompt tokens from its cache although cache_prompt was off`);
      return c;
    };
    const tests: PeerTest[] = [];
    for (const t of input.plan.tests) tests.push(await timeTest(t, input.plan.reps, promptOfLength(vocab, t.kind === 'prefill' ? t.promptLen : Math.max(1, t.depth), tokenizer), complete, step));
    let agreement: Peer['agreement'];
    if (input.prompt) {
      step('greedy');
      const ours = input.prompt.generatedTokens;
      const c = await complete(input.prompt.text, ours.length || input.plan.genTokens, { logprobs: true });
      agreement = c.ids ? { ...agreementByIds(ours, c.ids), peerText: c.text } : agreementByText(tokenPieces(vocab, ours), c.text);
    }
    const threadsUsed = w.getNumThreads?.() ?? threads;
    return done({
      engine: 'webgpu',
      state: 'ok',
      name: WLLAMA_NAME,
      version: WLLAMA_VERSION,
      ...(backend ? { backend } : {}),
      ...(backend === 'cpu' ? { backendNote: cpuNote(input.environment) } : backend === null ? { backendNote: "llama.cpp's log did not say which backend holds the weights" } : {}),
      ...(backend === 'webgpu' ? { device: adapterName(input.environment) ?? buffers.join(', ') } : { device: `CPU (WebAssembly, ${threadsUsed} thread${threadsUsed > 1 ? 's' : ''})` }),
      settings: {
        kvType: input.plan.kvType,
        flashAttention: flashAttentionFromLog(log),
        batch: info.n_batch > 0 ? info.n_batch : null,
        threads: threadsUsed,
        gpuLayers: backend === 'webgpu' ? 999 : 0,
        contextSize: info.n_ctx > 0 ? info.n_ctx : nCtx,
      },
      tests,
      ...(agreement ? { agreement } : {}),
    });
  } catch (e) {
    if (e instanceof Cancelled) return done({ ...skippedPeer('webgpu', WLLAMA_NAME, 'the run was cancelled'), version: WLLAMA_VERSION });
    const last = log.filter((l) => l.startsWith('error:')).at(-1);
    return done({ engine: 'webgpu', state: 'errored', reason: `${message(e)}${last && !last.includes(message(e)) ? ` (llama.cpp: ${last.slice(7, 300)})` : ''}`, name: WLLAMA_NAME, version: WLLAMA_VERSION, tests: [] });
  } finally {
    await w?.exit().catch(() => undefined);
  }
}

/** One test: a warm-up and `reps` timed repetitions, each a fresh completion (no prompt cache). */
async function timeTest(
  t: PeerTestPlan,
  reps: number,
  prompt: string,
  complete: (prompt: string, maxTokens: number) => Promise<Completion>,
  step: (s: string) => void,
): Promise<PeerTest> {
  const samples: number[] = [];
  let tokens = 0;
  for (let i = 0; i <= reps; i++) {
    step(`${t.name}${i === 0 ? ' (warm-up)' : ` ${i}/${reps}`}`);
    // ppN generates one token (its prompt is the test); tgN generates N after its prompt of D tokens.
    const c = await complete(prompt, t.kind === 'prefill' ? 1 : t.tokens);
    const [n, ms] = t.kind === 'prefill' ? [c.promptN, c.promptMs] : [c.predictedN, c.predictedMs];
    if (!(ms > 0) || n <= 0) throw new Error(`${t.name}: llama.cpp reported ${n} tokens in ${ms} ms`);
    if (i === 0) continue;
    if (tokens && n !== tokens) throw new Error(`${t.name}: llama.cpp counted ${tokens} tokens, then ${n}`);
    tokens = n;
    samples.push(ms * 1e6);
  }
  return peerTest(t, tokens, samples, TIMER[t.kind]);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
