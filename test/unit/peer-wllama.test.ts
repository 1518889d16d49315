/**
 * The WebGPU peer (src/runtime/peers) outside a browser: its version constant, exact-length prompts, what it
 * reads from llama.cpp's log, and a whole peer run against a fake wllama, including the failures that must
 * become records (wllama or its wasm missing, a model that does not load) while tokenbench's figures stand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PRESETS } from '../../src/model/presets';
import { Tokenizer } from '../../src/model/tokenizer/tokenize';
import { syntheticBpeVocab, syntheticSpmVocab } from '../../src/model/tokenizer/synthetic';
import type { PeerModelFile } from '../../src/run/peers/models';
import { resultWorkloads } from '../../src/result/peers';
import { runPagePeers, writePeerFile } from '../../src/runtime/peers/page';
import { promptOfLength } from '../../src/runtime/peers/prompts';
import { WLLAMA_VERSION, type WllamaLib, type WllamaLogger, backendFromLog, flashAttentionFromLog } from '../../src/runtime/peers/wllama';
import type { BenchResult, Workload } from '../../src/schema/result';
import { validResultWithWorkload } from './fixtures';

const ROOT = join(import.meta.dirname, '../..');

test('WLLAMA_VERSION is the version of the @wllama/wllama the page bundles', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules/@wllama/wllama/package.json'), 'utf8')) as { version: string };
  expect(WLLAMA_VERSION).toBe(pkg.version);
});

describe('promptOfLength', () => {
  const bpe = syntheticBpeVocab(256, { pre: 'default', printableOnly: true });
  test.each([1, 2, 8, 16, 129])('the peer files\' BPE vocabulary: %i tokens', (n) => {
    const text = promptOfLength(bpe, n);
    expect(new Tokenizer(bpe).encode(text, { addSpecial: true })).toHaveLength(n);
  });

  const spm = { ...syntheticSpmVocab(512), addBos: true };
  test.each([2, 8, 33])('a SentencePiece vocabulary that adds BOS: %i tokens, BOS included', (n) => {
    const text = promptOfLength(spm, n);
    const ids = new Tokenizer(spm).encode(text, { addSpecial: true });
    expect(ids).toHaveLength(n);
    expect(ids[0]).toBe(spm.bos);
  });

  test('a prompt with no room for text besides BOS is refused', () => {
    expect(() => promptOfLength(spm, 1)).toThrow(/cannot write a text prompt of 1 token/);
  });
});

describe("llama.cpp's log", () => {
  test.each([
    [['load_tensors:          CPU model buffer size =     6.51 MiB'], 'cpu'],
    [['load_tensors:   CPU_Mapped model buffer size = 6 MiB', 'load_tensors:   WebGPU model buffer size = 40 MiB'], 'webgpu'],
    [['llama_context: n_ctx = 256'], null],
  ] as const)('%j: weights on %s', (lines, backend) => {
    expect(backendFromLog(lines).backend).toBe(backend);
  });

  test('flash attention: the outcome llama.cpp logs after resolving auto', () => {
    expect(flashAttentionFromLog(['llama_context: flash_attn = auto', 'resolve_fused_ops: Flash Attention enabled'])).toBe(true);
    expect(flashAttentionFromLog(['llama_context: flash_attn            = disabled'])).toBe(false);
    expect(flashAttentionFromLog(['nothing'])).toBeNull();
  });
});

const FILE: PeerModelFile = { name: 'tiny-f32.gguf', preset: 'tiny', arch: PRESETS.tiny!, format: 'f32', seed: 1 };
const file = writePeerFile(FILE);
const vocab = syntheticBpeVocab(PRESETS.tiny!.vocab, { pre: 'default', printableOnly: true });
const OURS = [155, 19, 79, 128, 7, 8, 9, 10];

/** A completed run with peers asked for, one workload of the peer file (pp16, tg8 at batch 1, tg8 b4), no shader-f16. */
function peerRun(): BenchResult {
  const r = validResultWithWorkload();
  r.config.peers = { engines: ['webgpu'], native: 'auto' };
  r.environment!.adapterFeatures = ['timestamp-query'];
  const w = resultWorkloads(r)[0] as Workload;
  const rate = { median: 500, p10: 450, p90: 550, samplesNs: [1.6e7, 1.6e7] };
  Object.assign(w, {
    id: 'tiny-f32',
    format: 'f32',
    source: { kind: 'gguf', file: FILE.name, bytes: file.size, sha256: '0'.repeat(64), architecture: 'qwen2', params: 1, tensors: [] },
    text: { prompt: 'The benchmark', promptTokens: [1, 2, 3], generatedTokens: OURS, generated: '' },
  });
  w.tests.push({ name: 'tg8', kind: 'decode', promptLen: 0, depth: 0, batch: 1, tokens: 8, gpu: rate, wall: rate, tpotMs: { gpu: 2, wall: 2 } });
  return r;
}

/** A wllama that answers from fixed timings (2 ms per prompt, 4 ms per generation) and logs a CPU buffer. */
function fakeWllama(fail: { load?: string } = {}) {
  const calls = { load: null as Record<string, unknown> | null, completions: [] as Array<Record<string, unknown>>, exits: 0 };
  const tokenizer = new Tokenizer(vocab);
  const lib: WllamaLib = {
    wasmUrl: '/assets/wllama.wasm',
    create: (logger: WllamaLogger) => ({
      async loadModel(_blobs, params) {
        calls.load = params;
        logger.debug('load_tensors:          CPU model buffer size =     6.51 MiB');
        logger.debug('resolve_fused_ops: Flash Attention enabled');
        if (fail.load) throw new Error(fail.load);
      },
      getLoadedContextInfo: () => ({ n_ctx: calls.load?.n_ctx as number, n_batch: 256 }),
      async createCompletion(p) {
        calls.completions.push(p);
        const max = p.max_tokens as number;
        return {
          choices: [{ text: 'ads2nco', logprobs: p.logprobs ? { content: [...OURS.slice(0, 5), 1, 1, 1].slice(0, max).map((id) => ({ id })) } : null }],
          timings: { prompt_n: tokenizer.encode(p.prompt as string).length, prompt_ms: 2, predicted_n: max, predicted_ms: 4, cache_n: 0 },
        };
      },
      async exit() {
        calls.exits++;
      },
    }),
  };
  return { lib: async () => lib, calls };
}

const supported = () => null;

describe('runPagePeers', () => {
  test('times each batch-1 test with a warm-up, compares the greedy tokens and attaches the ratios', async () => {
    const before = peerRun();
    const { lib, calls } = fakeWllama();
    const steps: string[] = [];
    const after = await runPagePeers(before, [file], { lib, unsupported: supported, onStep: (s) => steps.push(s) });
    const w = resultWorkloads(after)[0] as Workload;
    expect(w.tests).toEqual((resultWorkloads(before)[0] as Workload).tests);
    const peer = w.peers?.[0];
    expect(peer).toMatchObject({ engine: 'webgpu', state: 'ok', version: WLLAMA_VERSION, backend: 'cpu', device: 'CPU (WebAssembly, 1 thread)' });
    expect(peer?.backendNote).toMatch(/shader-f16/);
    expect(peer?.settings).toEqual({ kvType: 'f32', flashAttention: true, batch: 256, threads: 1, gpuLayers: 0, contextSize: 256 });
    expect(peer?.tests.map((t) => [t.name, t.tokens, t.rate.median, t.rate.samplesNs.length])).toEqual([
      ['pp16', 16, 8000, 2],
      ['tg8', 8, 2000, 2],
    ]);
    expect(peer?.agreement).toMatchObject({ method: 'token-ids', compared: 8, matching: 5, firstDifference: 5 });
    expect(peer?.ratios?.map((x) => [x.test, x.ratio])).toEqual([
      ['pp16', 160 / 8000], // the fixture's pp16: 16 tokens at its median 100 ms
      ['tg8', 500 / 2000],
    ]);
    // (1 warm-up + 2 reps) x 2 tests + the greedy run; never from llama.cpp's prompt cache.
    expect(calls.completions).toHaveLength(7);
    expect(calls.completions.every((c) => c.cache_prompt === false && c.temperature === 0 && c.ignore_eos === true)).toBe(true);
    expect(calls.load).toMatchObject({ n_ctx: 256, n_threads: 1, cache_type_k: 'f32', cache_type_v: 'f32' });
    expect(calls.exits).toBe(1);
    expect(steps).toContain('llama.cpp WebGPU · tiny-f32 · pp16 1/2');
  });

  test.each([
    ['wllama or its wasm cannot be fetched', { lib: async (): Promise<WllamaLib> => Promise.reject(new TypeError('Failed to fetch dynamically imported module')) }, /could not load wllama: Failed to fetch/],
    ['the model does not load', { lib: fakeWllama({ load: 'out of memory' }).lib }, /out of memory/],
  ])('%s: an errored record, and tokenbench\'s figures stand', async (_, options, reason) => {
    const before = peerRun();
    const after = await runPagePeers(before, [file], { ...options, unsupported: supported });
    const w = resultWorkloads(after)[0] as Workload;
    expect(w.tests).toEqual((resultWorkloads(before)[0] as Workload).tests);
    expect(after.status).toBe('completed');
    expect(w.peers).toHaveLength(1);
    expect(w.peers?.[0]).toMatchObject({ engine: 'webgpu', state: 'errored', tests: [] });
    expect(w.peers?.[0]?.reason).toMatch(reason);
  });

  test('a browser wllama cannot run in: a skipped record saying why', async () => {
    const after = await runPagePeers(peerRun(), [file], { lib: fakeWllama().lib, unsupported: () => 'this browser lacks WebAssembly JSPI' });
    expect(resultWorkloads(after)[0]?.peers?.[0]).toMatchObject({ state: 'skipped', reason: 'this browser lacks WebAssembly JSPI' });
  });

  test('nothing runs without the webgpu engine, for a run that did not complete, or without the file (said so)', async () => {
    const { lib, calls } = fakeWllama();
    const native = peerRun();
    native.config.peers = { engines: ['native'], native: 'auto' };
    const cancelled = { ...peerRun(), status: 'cancelled' as const };
    for (const [r, files] of [[native, [file]], [cancelled, [file]]] as const) {
      expect(resultWorkloads(await runPagePeers(r, files, { lib, unsupported: supported }))[0]?.peers).toBeUndefined();
    }
    const noFile = resultWorkloads(await runPagePeers(peerRun(), [], { lib, unsupported: supported }))[0]?.peers;
    expect(noFile).toEqual([expect.objectContaining({ engine: 'webgpu', state: 'skipped', reason: expect.stringMatching(/does not hold/) })]);
    expect(calls.completions).toHaveLength(0);
  });
});
