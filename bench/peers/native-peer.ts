/**
 * The `native` peer: llama.cpp on this machine through node-llama-cpp, on the same GGUF file as a workload,
 * with the token tests tokenbench ran (src/run/peers/plan.ts) and its greedy continuation of the workload's
 * prompt. node-llama-cpp is an optional install (scripts/install-llama-cpp.sh); when it or the asked-for
 * backend is missing, the peer is recorded as skipped with the reason, and tokenbench's own figures stand.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { agreementByIds, skippedPeer } from '../../src/result/peers';
import { type PeerPlan, type PeerTestPlan, peerContextSize, peerTest } from '../../src/run/peers/plan';
import type { NativeBackend, Peer, PeerTest } from '../../src/schema/result';
import { importNodeLlamaCpp, llamaCppPrefix, repoRoot } from './llama-native';

// The part of node-llama-cpp 3.22's API the peer uses, typed locally (the project compiles without it).
interface Seq {
  clearHistory(): Promise<void>;
  evaluateWithoutGeneratingNewTokens(tokens: number[]): Promise<void>;
  evaluate(tokens: number[], options?: { temperature?: number; yieldEogToken?: boolean }): AsyncGenerator<number, void, void | number | number[]>;
}
interface Ctx {
  getSequence(): Seq;
  dispose(): Promise<void>;
}
interface Model {
  createContext(options: {
    contextSize: number;
    batchSize: number;
    threads: number;
    flashAttention: boolean;
    experimentalKvCacheKeyType: 'F16' | 'F32';
    experimentalKvCacheValueType: 'F16' | 'F32';
  }): Promise<Ctx>;
  readonly gpuLayers: number;
  dispose(): Promise<void>;
}
interface Llama {
  readonly gpu: false | string;
  readonly llamaCppRelease: { release: string };
  getGpuDeviceNames(): Promise<string[]>;
  loadModel(options: { modelPath: string; gpuLayers: 'max' | number }): Promise<Model>;
}
interface Module {
  getLlama(options: { gpu: false | string; build: 'never'; logLevel: 'error'; progressLogs: false; skipDownload: true }): Promise<Llama>;
}

/** How the peer names the engine in results. */
export const NATIVE_PEER_NAME = 'llama.cpp via node-llama-cpp';

/** Timer of the native peer's tests, as the result says it. */
const NATIVE_TIMER = "wall clock (performance.now, µs resolution) around node-llama-cpp's evaluation, which returns when llama.cpp's decode is done";

/**
 * Threads llama.cpp computes with on the CPU: every core this process may use (llama-bench's default), or
 * TOKENBENCH_LLAMA_THREADS (the tests use 1 on a shared 2-core machine).
 */
function cpuThreads(): number {
  const env = Number(process.env.TOKENBENCH_LLAMA_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

/** The version of node-llama-cpp that will be imported. */
function packageVersion(): string | undefined {
  for (const base of [join(llamaCppPrefix(), 'node_modules'), join(repoRoot(), 'node_modules')]) {
    try {
      return (JSON.parse(readFileSync(join(base, 'node-llama-cpp/package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // next place
    }
  }
  return undefined;
}

const llamas = new Map<NativeBackend, Promise<Llama>>();

/** llama.cpp with the asked-for backend, once per process; rejects when node-llama-cpp or that backend's binary is missing. */
function llamaFor(backend: NativeBackend): Promise<Llama> {
  let p = llamas.get(backend);
  if (!p) {
    p = importNodeLlamaCpp().then((m) =>
      (m as unknown as Module).getLlama({ gpu: backend === 'cpu' ? false : backend, build: 'never', logLevel: 'error', progressLogs: false, skipDownload: true }),
    );
    llamas.set(backend, p);
  }
  return p;
}

/** Prompt-like ids for timing (any ids of the vocabulary run; the text does not matter to the timing). */
function timingIds(n: number, vocab: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729 + 11) % vocab);
}

/** One timed test: `reps` repetitions after one warm-up, each on a cleared context. */
async function timeTest(seq: Seq, t: PeerTestPlan, reps: number, vocab: number): Promise<PeerTest> {
  const samples: number[] = [];
  for (let rep = -1; rep < reps; rep++) {
    await seq.clearHistory();
    if (t.kind === 'prefill') {
      const ids = timingIds(t.promptLen, vocab, rep + 2);
      const t0 = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(ids);
      if (rep >= 0) samples.push((performance.now() - t0) * 1e6);
      continue;
    }
    // tgN@dD: D tokens in the context (untimed; at least one to decode from), then N single-token steps.
    const prefix = timingIds(Math.max(1, t.depth), vocab, rep + 2);
    if (prefix.length > 1) await seq.evaluateWithoutGeneratingNewTokens(prefix.slice(0, -1));
    let n = 0;
    const t0 = performance.now();
    for await (const _ of seq.evaluate(prefix.slice(-1), { temperature: 0, yieldEogToken: true })) {
      if (++n >= t.tokens) break;
    }
    if (rep >= 0) samples.push((performance.now() - t0) * 1e6);
  }
  return peerTest(t, t.tokens, samples, NATIVE_TIMER);
}

/** What the native peer needs of a workload. */
export interface NativePeerInput {
  path: string;
  vocab: number;
  plan: PeerPlan;
  /** The workload's prompt ids and tokenbench's greedy continuation (absent: no agreement). */
  greedy?: { promptTokens: number[]; ours: number[] };
}

/** Runs native llama.cpp on one file. Never throws: a missing install or backend is a skipped record, a failure an errored one. */
export async function runNativePeer(input: NativePeerInput, backend: NativeBackend, onStep: (s: string) => void = () => undefined): Promise<Peer> {
  const t0 = performance.now();
  const version = packageVersion();
  const name = `${NATIVE_PEER_NAME}${version ? ` ${version}` : ''}`;
  let llama: Llama;
  try {
    llama = await llamaFor(backend);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] ?? String(e);
    return skippedPeer('native', name, backend === 'auto' || backend === 'cpu' ? why : `llama.cpp's ${backend} backend is not available here: ${why}`);
  }
  const used = llama.gpu === false ? 'cpu' : llama.gpu;
  if (backend !== 'auto' && used !== backend) return skippedPeer('native', name, `asked for llama.cpp's ${backend} backend, node-llama-cpp loaded ${used}`);
  const gpu = used !== 'cpu';
  const settings = {
    kvType: input.plan.kvType,
    flashAttention: true,
    batch: Math.max(512, ...input.plan.tests.map((t) => t.promptLen)),
    threads: cpuThreads(),
    gpuLayers: 0,
    contextSize: peerContextSize(input.plan, input.greedy?.promptTokens.length ?? 0),
  };
  const base = {
    engine: 'native' as const,
    name,
    ...(version ? { version: `node-llama-cpp ${version}, llama.cpp ${llama.llamaCppRelease.release}` } : {}),
    backend: used,
    device: gpu ? (await llama.getGpuDeviceNames().catch(() => [] as string[])).join(', ') || used : (cpus()[0]?.model ?? 'CPU'),
  };
  let model: Model | null = null;
  let ctx: Ctx | null = null;
  try {
    model = await llama.loadModel({ modelPath: input.path, gpuLayers: gpu ? 'max' : 0 });
    settings.gpuLayers = model.gpuLayers;
    const kv = input.plan.kvType === 'f16' ? 'F16' : 'F32';
    ctx = await model.createContext({
      contextSize: settings.contextSize,
      batchSize: settings.batch,
      threads: settings.threads,
      flashAttention: settings.flashAttention,
      experimentalKvCacheKeyType: kv,
      experimentalKvCacheValueType: kv,
    });
    const seq = ctx.getSequence();
    const tests: PeerTest[] = [];
    for (const t of input.plan.tests) {
      onStep(`llama.cpp native · ${t.name}`);
      tests.push(await timeTest(seq, t, input.plan.reps, input.vocab));
    }
    let agreement: Peer['agreement'];
    if (input.greedy) {
      onStep('llama.cpp native · greedy tokens');
      await seq.clearHistory();
      const theirs: number[] = [];
      for await (const tok of seq.evaluate([...input.greedy.promptTokens], { temperature: 0, yieldEogToken: true })) {
        theirs.push(tok);
        if (theirs.length >= input.greedy.ours.length) break;
      }
      agreement = agreementByIds(input.greedy.ours, theirs);
    }
    return { ...base, state: 'ok', settings, tests, ...(agreement ? { agreement } : {}), durationMs: performance.now() - t0 };
  } catch (e) {
    return { ...base, state: 'errored', reason: (e as Error).message.split('\n')[0] ?? String(e), settings, tests: [], durationMs: performance.now() - t0 };
  } finally {
    await ctx?.dispose().catch(() => undefined);
    await model?.dispose().catch(() => undefined);
  }
}
