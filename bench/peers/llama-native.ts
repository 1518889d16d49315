/**
 * llama.cpp as a reference, through node-llama-cpp (Node only, CPU): greedy generation, teacher-forced
 * argmax and logits, and tokenisation of a GGUF file, to cross-check tokenbench's GGUF files, tokenizers
 * and forward passes. node-llama-cpp is not a dependency of the project: it is loaded lazily, from the
 * project's node_modules or from where scripts/install-llama-cpp.sh puts it (.tmp/llama-cpp, or
 * TOKENBENCH_LLAMA_CPP_DIR), and its absence is an error that says how to install it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The exact install command (also in scripts/install-llama-cpp.sh, which runs it for this platform). */
export const INSTALL_COMMAND =
  'npm install --prefix .tmp/llama-cpp --no-save --no-package-lock --omit=optional --ignore-scripts node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1';

type KvCacheType = 'F16' | 'F32';

/**
 * Attention precision. 'default' is what llama.cpp users get: an f16 KV cache and flash attention (which
 * rounds to f16 too), worth ~1e-2 on the logits of the test models. 'f32' keeps the cache in f32 and
 * turns flash attention off: on f32 weights, llama.cpp's logits then match a float64 reference to ~1e-5.
 */
export type AttentionPrecision = 'default' | 'f32';

// The part of node-llama-cpp 3.22's API used here, typed locally so the project compiles without it.
interface NlcSequence {
  evaluate(tokens: number[], options?: { temperature?: number; yieldEogToken?: boolean }): AsyncGenerator<number, void, void | number | number[]>;
  controlledEvaluate(input: [number, { generateNext?: { token?: boolean; logits?: boolean; options?: { temperature?: number } } }][]): Promise<
    (undefined | { next: { token?: number | null; logits?: Map<number, number> } })[]
  >;
}
interface NlcContext {
  getSequence(): NlcSequence;
  dispose(): Promise<void>;
}
interface NlcModel {
  tokenize(text: string, specialTokens?: boolean): number[];
  detokenize(tokens: readonly number[], specialTokens?: boolean): string;
  createContext(options?: {
    contextSize?: number;
    batchSize?: number;
    threads?: number;
    flashAttention?: boolean;
    experimentalKvCacheKeyType?: KvCacheType;
    experimentalKvCacheValueType?: KvCacheType;
  }): Promise<NlcContext>;
  dispose(): Promise<void>;
}
interface NlcLlama {
  loadModel(options: { modelPath: string; gpuLayers?: number }): Promise<NlcModel>;
}
interface NlcModule {
  getLlama(options: { gpu: false; build: 'never'; logLevel: 'error' | 'warn'; progressLogs: boolean; skipDownload: boolean }): Promise<NlcLlama>;
}

/**
 * Threads llama.cpp computes with. One: its worker threads spin while they wait, and on a small or shared
 * CPU (a 2-core CI box running other tests) more threads made 8 greedy tokens take 3-11 s instead of 0.07 s.
 */
export const LLAMA_THREADS = 1;

/**
 * The project's root: the nearest folder above this module with a package.json (this file runs from
 * bench/peers under tsx and from dist-node/ in the Node runner's bundle).
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const REPO = repoRoot();

/** Where scripts/install-llama-cpp.sh installs node-llama-cpp. */
export function llamaCppPrefix(): string {
  return process.env.TOKENBENCH_LLAMA_CPP_DIR ?? join(REPO, '.tmp/llama-cpp');
}

let llamaPromise: Promise<NlcLlama> | null = null;

/**
 * Imports node-llama-cpp from `prefix` (where the install script puts it) or else as the package `name`
 * from the project's node_modules; rejects with the install command when neither has it.
 */
export async function importNodeLlamaCpp(prefix = llamaCppPrefix(), name = 'node-llama-cpp'): Promise<NlcModule> {
  const local = join(prefix, 'node_modules', name, 'dist/index.js');
  const spec = existsSync(local) ? pathToFileURL(local).href : name;
  try {
    return (await import(/* @vite-ignore */ spec)) as NlcModule;
  } catch (e) {
    throw new Error(
      `node-llama-cpp is not installed (${(e as Error).message.split('\n')[0]}). Install it with ` +
        `\`bash scripts/install-llama-cpp.sh\` (runs: ${INSTALL_COMMAND}).`,
    );
  }
}

/** llama.cpp on the CPU, loaded once per process. */
export function nativeLlama(): Promise<NlcLlama> {
  llamaPromise ??= importNodeLlamaCpp().then((m) =>
    m.getLlama({ gpu: false, build: 'never', logLevel: 'error', progressLogs: false, skipDownload: true }),
  );
  return llamaPromise;
}

/** Loads a model and a context for one use, and frees both after. */
async function withModel<T>(ggufPath: string, contextSize: number, precision: AttentionPrecision, use: (model: NlcModel, ctx: NlcContext) => Promise<T>): Promise<T> {
  const llama = await nativeLlama();
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({
      contextSize,
      batchSize: Math.min(contextSize, 512),
      threads: LLAMA_THREADS,
      ...(precision === 'f32' ? { flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' } : {}),
    });
    try {
      return await use(model, ctx);
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}

function contextFor(tokens: number): number {
  return Math.max(256, 2 ** Math.ceil(Math.log2(tokens + 8)));
}

/**
 * llama.cpp's greedy continuation: the prompt ids taken literally (no BOS added), then `n` tokens chosen
 * at temperature 0 (end-of-generation tokens do not stop it).
 */
export async function nativeGreedy(ggufPath: string, promptIds: readonly number[], n: number, options: { precision?: AttentionPrecision } = {}): Promise<number[]> {
  return withModel(ggufPath, contextFor(promptIds.length + n), options.precision ?? 'default', async (_model, ctx) => {
    const out: number[] = [];
    if (n <= 0) return out;
    // yieldEogToken: an end-of-generation token is yielded and generation goes on (by default it stops there).
    for await (const t of ctx.getSequence().evaluate([...promptIds], { temperature: 0, yieldEogToken: true })) {
      out.push(t);
      if (out.length >= n) break;
    }
    return out;
  });
}

export interface TeacherForced {
  /** llama.cpp's argmax after each prefix ids[0..i]. */
  top1: number[];
  /** The full logits at each position (when asked for). */
  logits?: Float32Array[];
}

/** Feeds `ids` in one batch and reads llama.cpp's next-token choice (and logits) at every position. */
export async function nativeTeacherForced(
  ggufPath: string,
  ids: readonly number[],
  options: { logits?: boolean; vocab?: number; precision?: AttentionPrecision } = {},
): Promise<TeacherForced> {
  return withModel(ggufPath, contextFor(ids.length), options.precision ?? 'default', async (_model, ctx) => {
    const results = await ctx
      .getSequence()
      .controlledEvaluate(ids.map((id) => [id, { generateNext: { token: true, logits: options.logits ?? false, options: { temperature: 0 } } }]));
    const top1 = results.map((r, i) => {
      const t = r?.next.token;
      if (t === undefined || t === null) throw new Error(`llama.cpp returned no token at position ${i}`);
      return t;
    });
    if (!options.logits) return { top1 };
    const logits = results.map((r) => {
      const m = r?.next.logits ?? new Map<number, number>();
      const v = new Float32Array(options.vocab ?? m.size);
      for (const [tok, l] of m) v[tok] = l;
      return v;
    });
    return { top1, logits };
  });
}

/** llama.cpp's argmax at every position of `ids` under teacher forcing. */
export async function nativeTeacherForcedTop1(ggufPath: string, ids: readonly number[]): Promise<number[]> {
  return (await nativeTeacherForced(ggufPath, ids)).top1;
}

/** Runs `use` on a loaded model (no context), freeing it after. */
async function withVocab<T>(ggufPath: string, use: (model: NlcModel) => T): Promise<T> {
  const llama = await nativeLlama();
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  try {
    return use(model);
  } finally {
    await model.dispose();
  }
}

/** llama.cpp's token ids for each text: no BOS/EOS added, special tokens in the text not parsed. */
export async function nativeTokenize(ggufPath: string, texts: readonly string[]): Promise<number[][]> {
  return withVocab(ggufPath, (model) => texts.map((t) => [...model.tokenize(t, false)]));
}

/** llama.cpp's text for each id sequence (control tokens rendered as nothing, as in generation). */
export async function nativeDetokenize(ggufPath: string, seqs: readonly (readonly number[])[]): Promise<string[]> {
  return withVocab(ggufPath, (model) => seqs.map((ids) => model.detokenize(ids, false)));
}
