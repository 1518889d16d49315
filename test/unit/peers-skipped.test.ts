/**
 * A peer that cannot run is recorded as skipped with the reason, and tokenbench's own result still passes:
 * node-llama-cpp missing (an empty install folder), and a workload whose file the command line does not have.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { addCommandLinePeers } from '../../bench/peers/peers';
import { resultOk } from '../../src/result/verdict';
import { type BenchResult, parseResult } from '../../src/schema/result';
import { tokenResult } from './token-fixture';

/** The token fixture as a run of `tiny-q4_0.gguf` with peers asked for. */
function peerRun(engines: ('webgpu' | 'native')[]): BenchResult {
  const r = tokenResult();
  const phases = r.phases.map((p) => ({
    ...p,
    workloads: p.workloads?.map((w) => ({
      ...w,
      source: { kind: 'gguf' as const, file: 'tiny-q4_0.gguf', bytes: 1000, sha256: 'a'.repeat(64), architecture: 'qwen2', params: 94784, tensors: [] },
    })),
  }));
  return { ...r, phases, config: { ...r.config, peers: { engines, native: 'auto' } } };
}

const saved = process.env.TOKENBENCH_LLAMA_CPP_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TOKENBENCH_LLAMA_CPP_DIR;
  else process.env.TOKENBENCH_LLAMA_CPP_DIR = saved;
});

describe('peers that cannot run', () => {
  test('node-llama-cpp missing: skipped with how to install it; the result still passes', async () => {
    process.env.TOKENBENCH_LLAMA_CPP_DIR = mkdtempSync(join(tmpdir(), 'no-llama-'));
    const lines: string[] = [];
    const r = await addCommandLinePeers(peerRun(['native']), [{ name: 'tiny-q4_0.gguf', path: '/nonexistent/tiny-q4_0.gguf' }], { kind: 'browser' }, (l) => lines.push(l));
    const w = r.phases.flatMap((p) => p.workloads ?? [])[0];
    expect(w?.peers).toEqual([expect.objectContaining({ engine: 'native', state: 'skipped', reason: expect.stringMatching(/not installed.*install-llama-cpp\.sh/) })]);
    expect(w?.tests.length).toBe(3);
    expect(resultOk(r)).toBe(true);
    expect(parseResult(JSON.parse(JSON.stringify(r))).ok).toBe(true);
  });

  test('a remote browser, a missing file, no page: each skipped with its reason', async () => {
    const remote = await addCommandLinePeers(peerRun(['native']), [{ name: 'tiny-q4_0.gguf', path: '/x' }], { kind: 'remote', endpoint: 'ws://gpu-box:9222' }, () => undefined);
    expect(remote.phases[2]?.workloads?.[0]?.peers?.[0]).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/ran on ws:\/\/gpu-box:9222, not on this machine/) });
    const noFile = await addCommandLinePeers(peerRun(['native']), [], { kind: 'browser' }, () => undefined);
    expect(noFile.phases[2]?.workloads?.[0]?.peers?.[0]).toMatchObject({ state: 'skipped', reason: 'no model file for this workload' });
    const node = await addCommandLinePeers(peerRun(['webgpu']), [], { kind: 'node' }, () => undefined);
    expect(node.phases[2]?.workloads?.[0]?.peers?.[0]).toMatchObject({ engine: 'webgpu', state: 'skipped', reason: expect.stringMatching(/browser page/) });
    for (const r of [remote, noFile, node]) expect(resultOk(r)).toBe(true);
  });

  test('without --peer nothing is added', async () => {
    const r = tokenResult();
    expect(await addCommandLinePeers(r, [], { kind: 'node' }, () => undefined)).toBe(r);
  });
});
