/** Peers: the --peer option, the peer model files of a request, ratios, the kernel-limited flag, agreement, reports. */
import { describe, expect, test } from 'vitest';
import { resultCsv, textTable, costText } from '../../src/result/formats';
import { tokenFigures } from '../../src/result/figures';
import { KERNEL_LIMITED_NOTE, agreementByIds, agreementByText, formatPercent, peerRatios, skippedPeer, withPeer } from '../../src/result/peers';
import { PEER_PROMPT_TEXT, PEER_SEED, withPeerModels } from '../../src/run/peers/models';
import { peerTest, peerTestPlan } from '../../src/run/peers/plan';
import { defaultRunRequest } from '../../src/run/request';
import { parsePeers } from '../../src/runtime/request-text';
import { type Peer, parseResult } from '../../src/schema/result';
import { tokenResult } from './token-fixture';

/** A peer record of `engine` with pp16 and tg8 at the given tok/s. */
function peer(engine: Peer['engine'], backend: string, pp: number, tg: number, kvType: 'f16' | 'f32' = 'f32'): Peer {
  const plan = peerTestPlan({ promptLens: [16], depths: [0], genTokens: 8 });
  return {
    engine,
    state: 'ok',
    name: 'llama.cpp',
    backend,
    settings: { kvType, flashAttention: true, batch: 512, threads: 1, gpuLayers: 99, contextSize: 256 },
    tests: plan.map((t) => {
      const rate = t.kind === 'prefill' ? pp : tg;
      return peerTest(t, t.tokens, [1, 1.02, 0.98].map((j) => ((t.tokens / rate) * 1e9) * j), "llama.cpp's own timings");
    }),
  };
}

describe('--peer', () => {
  test.each([
    ['webgpu', { engines: ['webgpu'], native: 'auto' }],
    ['native', { engines: ['native'], native: 'auto' }],
    ['webgpu,native:cuda', { engines: ['webgpu', 'native'], native: 'cuda' }],
    [' native:cpu , webgpu ', { engines: ['native', 'webgpu'], native: 'cpu' }],
  ])('%s', (text, value) => {
    expect(parsePeers(text)).toEqual({ ok: true, value });
  });

  test.each([
    ['opencl', /unknown engine "opencl"/],
    ['webgpu,webgpu', /"webgpu" is given more than once/],
    ['webgpu:cuda', /only native takes a backend/],
    ['native:rocm', /only native takes a backend, one of auto, cpu, cuda, vulkan, metal/],
    ['native:cuda:x', /only native takes a backend/],
    ['', /unknown engine ""/],
  ])('rejects %j', (text, message) => {
    const p = parsePeers(text);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toMatch(message);
  });
});

describe('peer model files', () => {
  test('every synthetic preset x format becomes a file named as its workload; given files stay; a prompt is added', () => {
    const request = { ...defaultRunRequest('smoke'), peers: { engines: ['native' as const], native: 'auto' as const } };
    request.generation = { models: ['tiny', { gguf: 'mine.gguf' }], formats: ['f32', 'q4_k_m'] };
    const out = withPeerModels(request);
    expect(out.files.map((f) => [f.name, f.preset, f.format, f.seed])).toEqual([
      ['tiny-f32.gguf', 'tiny', 'f32', PEER_SEED],
      ['tiny-q4_k_m.gguf', 'tiny', 'q4_k_m', PEER_SEED],
    ]);
    expect(out.request.generation.models).toEqual([{ gguf: 'tiny-f32.gguf' }, { gguf: 'tiny-q4_k_m.gguf' }, { gguf: 'mine.gguf' }]);
    expect(out.request.generation.promptText).toBe(PEER_PROMPT_TEXT);
    expect(out.problems).toEqual([]);
  });

  test('a shape that cannot hold the format is reported, not written; a given prompt is kept', () => {
    const request = { ...defaultRunRequest('smoke'), peers: { engines: ['webgpu' as const], native: 'auto' as const } };
    request.generation = { models: ['tiny-tied'], formats: ['q8_0', 'q4_k'], promptTokens: [1, 2, 3] };
    const out = withPeerModels(request);
    expect(out.files.map((f) => f.name)).toEqual(['tiny-tied-q8_0.gguf']);
    expect(out.problems).toEqual([expect.objectContaining({ preset: 'tiny-tied', format: 'q4_k', reason: expect.stringMatching(/256/) })]);
    expect(out.request.generation.promptText).toBeUndefined();
    expect(out.request.generation.promptTokens).toEqual([1, 2, 3]);
  });

  test('without peers the request is untouched', () => {
    const request = defaultRunRequest('smoke');
    expect(withPeerModels(request)).toEqual({ request, files: [], problems: [] });
  });

  test('the peer plan names tests as tokenbench does and leaves batched decode out', () => {
    expect(peerTestPlan({ promptLens: [16, 64], depths: [0, 128], genTokens: 8 }).map((t) => t.name)).toEqual(['pp16', 'pp64', 'tg8', 'tg8@d128']);
  });
});

describe('ratios', () => {
  test('tokenbench / peer per test both ran; below 80 % of llama.cpp WebGPU on WebGPU is kernel-limited', () => {
    const r = tokenResult({ prefill: 1000, decode: 100, batch4: 320 });
    const w = r.phases[2]?.workloads?.[0];
    if (!w) throw new Error('fixture');
    const ratios = peerRatios(r, w, peer('webgpu', 'webgpu', 1000, 200));
    expect(ratios.map((x) => [x.test, x.ratio, x.kernelLimited])).toEqual([
      ['pp16', 1, false],
      ['tg8', 0.5, true],
    ]);
    // The same figures from a CPU fallback: not the same adapter, so never flagged; the difference is said.
    const cpu = peerRatios(r, w, { ...peer('webgpu', 'cpu', 1000, 200), backendNote: 'needs shader-f16' });
    expect(cpu.map((x) => x.kernelLimited)).toEqual([false, false]);
    expect(cpu[0]?.differences[0]).toMatch(/llama\.cpp ran on the CPU \(needs shader-f16\)/);
    // Native llama.cpp is never the kernel-limited reference.
    expect(peerRatios(r, w, peer('native', 'cuda', 100, 50)).map((x) => x.kernelLimited)).toEqual([false, false]);
    // A KV-cache type that differs is named.
    expect(peerRatios(r, w, peer('native', 'cuda', 100, 50, 'f16'))[0]?.differences).toContain('KV cache: tokenbench f32, llama.cpp f16');
  });

  test('attaching: one record per engine, ratios derived, skipped peers carry their reason, the result stays valid', () => {
    let r = tokenResult();
    r = withPeer(r, 'tiny-q4_0', peer('webgpu', 'webgpu', 2000, 400));
    r = withPeer(r, 'tiny-q4_0', peer('webgpu', 'webgpu', 1000, 100));
    r = withPeer(r, 'tiny-q4_0', skippedPeer('native', 'llama.cpp via node-llama-cpp', 'node-llama-cpp is not installed'));
    r = { ...r, config: { ...r.config, peers: { engines: ['webgpu', 'native'], native: 'auto' } } };
    const parsed = parseResult(JSON.parse(JSON.stringify(r)));
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    const w = r.phases[2]?.workloads?.[0];
    expect(w?.peers?.map((p) => [p.engine, p.state])).toEqual([
      ['webgpu', 'ok'],
      ['native', 'skipped'],
    ]);
    expect(w?.peers?.[0]?.ratios?.map((x) => x.ratio)).toEqual([1, 1]);
    const figs = tokenFigures(r);
    expect(figs.map((f) => [f.test, f.ofWebgpu, f.ofNative, f.kernelLimited])).toEqual([
      ['pp16', 1, null, false],
      ['tg8', 1, null, false],
      ['tg8 b4', null, null, false],
    ]);
  });

  test('reports: the ratio beside tok/s, the kernel-limited note, CSV columns, the engine behind the cost', () => {
    const r = withPeer(tokenResult(), 'tiny-q4_0', peer('webgpu', 'webgpu', 2000, 125));
    const text = textTable(r);
    expect(text).toMatch(/vs llama\.cpp/);
    expect(text).toMatch(/pp16 .* 50 % of llama\.cpp WebGPU · KERNEL-LIMITED/);
    expect(text).toMatch(/tg8 .* 80 % of llama\.cpp WebGPU(?! · KERNEL)/);
    expect(text).toContain(KERNEL_LIMITED_NOTE);
    // The headline view above the tables: decode at batch 1 and best batch, prefill, bound, peer.
    expect(text).toMatch(/headline[^\n]*:\n  tiny q4_0: decode 100 tok\/s \(tg8\) · best 320 tok\/s \(tg8 b4\) · prefill 1,000 tok\/s \(pp16, TTFT 16(\.0)? ms\) · 20\.0% of bandwidth bound · 80 % of llama\.cpp WebGPU\n/);
    const [header, first] = resultCsv(r).split('\n');
    const cols = header?.split(',') ?? [];
    const cells = first?.split(',') ?? [];
    expect(cells[cols.indexOf('pct_of_llama_webgpu')]).toBe('50');
    expect(cells[cols.indexOf('kernel_limited')]).toBe('true');
    expect(cells[cols.indexOf('pct_of_llama_native')]).toBe('');
    expect(costText(r)).toMatch(/cost figures are based on tokenbench's own engine .* kernel-limited .* tiny q4_0 pp16/);
  });

  test('percentages keep two significant digits below 10 %', () => {
    expect([formatPercent(0.0009058), formatPercent(0.0523), formatPercent(0.834), formatPercent(1.26)]).toEqual(['0.091 %', '5.2 %', '83 %', '126 %']);
  });
});

describe('greedy agreement', () => {
  test('by ids: leading tokens that agree', () => {
    expect(agreementByIds([1, 2, 3, 4], [1, 2, 9, 4])).toMatchObject({ compared: 4, matching: 2, firstDifference: 2, method: 'token-ids' });
    expect(agreementByIds([1, 2], [1, 2, 3])).toMatchObject({ compared: 2, matching: 2, firstDifference: null });
  });

  test('by text: tokenbench tokens while their text prefixes the peer text', () => {
    expect(agreementByText(['ab', 'c', 'de'], 'abcde')).toMatchObject({ compared: 3, matching: 3, firstDifference: null, method: 'text' });
    expect(agreementByText(['ab', 'c', 'de'], 'abx')).toMatchObject({ matching: 1, firstDifference: 1 });
    expect(agreementByText(['ab'], '')).toMatchObject({ matching: 0, firstDifference: 0 });
  });
});
