/// <reference lib="webworker" />
/** The Web Worker entry: all GPU work runs here, exposed to the page with comlink. Thin by design. */
import * as Comlink from 'comlink';
import type { RunRequest } from '../run/request';
import type { RunHooks } from '../run/runner';
import type { BenchResult, Runtime } from '../schema/result';
import { type DescribeOutcome, describeGpu } from './describe';
import { execute } from './execute';
import { blobFiles } from './files';
import { type PeerModelFile, withPeerModels } from '../run/peers/models';
import { runPagePeers, writePeerFile } from './peers/page';

function browserRuntime(): Runtime {
  return {
    kind: 'browser',
    userAgent: navigator.userAgent,
    platform: (navigator as Navigator & { platform?: string }).platform ?? '',
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
}

let signal = { cancelled: false };
/** Page visibility as the page reports it; the run flags phases during which the page was hidden. */
const conditions = { hidden: false, hiddenEvents: 0 };

const api = {
  /** Acquires the adapter and device once to describe them, then releases the device. */
  describe(): Promise<DescribeOutcome> {
    return describeGpu(navigator.gpu, 'browser');
  },

  /**
   * Runs a request (checked by the page); hooks arrive as Comlink proxies, and `files` are the model files
   * its `{ gguf: name }` entries name (File handles: the run reads them in slices). Never rejects for GPU
   * trouble.
   */
  async run(request: RunRequest, hooks: RunHooks, files: readonly File[] = []): Promise<BenchResult> {
    signal = { cancelled: false };
    const call = <A>(fn: ((a: A) => void) | undefined, a: A) => {
      // Hooks are remote: don't let a closed page or a UI bug stop the run.
      if (fn) void Promise.resolve(fn(a)).catch(() => undefined);
    };
    return execute(
      navigator.gpu,
      request,
      { runtime: browserRuntime(), conditions, files: blobFiles(files) },
      {
        onProgress: (p) => call(hooks.onProgress, p),
        onPhase: (p) => call(hooks.onPhase, p),
        onCheckpoint: (r) => call(hooks.onCheckpoint, r),
        onEnvironment: (env, timer) => hooks.onEnvironment && void Promise.resolve(hooks.onEnvironment(env, timer)).catch(() => undefined),
      },
      signal,
    );
  },

  /**
   * A request with peers as it runs (src/run/peers/models.ts): its synthetic models as peer model files, the
   * files to write, and the models no file can hold. Here rather than in the page, which then bundles none of
   * the writer.
   */
  async peerModels(request: RunRequest): Promise<ReturnType<typeof withPeerModels>> {
    return withPeerModels(request);
  },

  /**
   * Writes the peer model files of a run with peers (src/run/peers/models.ts) with tokenbench's GGUF writer;
   * `onBytes` hears each file's bytes written so far. The page holds the Files it gets back.
   */
  async writePeerModels(models: readonly PeerModelFile[], onBytes?: (name: string, written: number) => void): Promise<File[]> {
    return models.map((m) => writePeerFile(m, onBytes ? (n) => void Promise.resolve(onBytes(m.name, n)).catch(() => undefined) : undefined));
  },

  /**
   * Runs the WebGPU peer (llama.cpp via wllama) on the workloads of a finished run whose model files are
   * `files`, and returns the result with the peers attached. Never rejects for a peer's failure: that is the
   * peer's record. Cancel stops it between steps.
   */
  async runPeers(result: BenchResult, files: readonly File[], onStep?: (step: string) => void): Promise<BenchResult> {
    signal = { cancelled: false };
    return runPagePeers(result, files, { signal, ...(onStep ? { onStep: (s: string) => void Promise.resolve(onStep(s)).catch(() => undefined) } : {}) });
  },

  /** The page tells the worker when it is hidden or shown (workers have no visibility events). */
  setHidden(hidden: boolean): void {
    if (hidden && !conditions.hidden) conditions.hiddenEvents++;
    conditions.hidden = hidden;
  },

  /** Cooperative cancel: the run stops between dispatch batches and returns what finished. */
  cancel(): void {
    signal.cancelled = true;
  },
};

export type BenchWorkerApi = typeof api;

Comlink.expose(api);
