/**
 * `--peer native` through the Node runner: the smoke workload is written to a GGUF file, tokenbench runs it,
 * native llama.cpp (node-llama-cpp, CPU build: scripts/install-llama-cpp.sh) runs the same file, and the
 * result carries the peer's tests, ratios and greedy agreement. (A peer that cannot run: test/unit/peers-skipped.test.ts.)
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runKvType } from '../../src/result/peers';
import { resultOk } from '../../src/result/verdict';
import { readResult } from './fleet-helpers';
import { runCli, tempDir } from './helpers';

/** One small workload: tiny in f32, one prefill and one decode test, two repetitions. */
const PEER_RUN = ['run', '--runtime', 'node', '--profile', 'swiftshader', '--suite', 'smoke', '--formats', 'f32', '--prompt', '8', '--gen', '4', '--batches', '1', '--gen-reps', '2', '--no-tune', '--quiet'];

// llama.cpp on one thread: its worker threads spin while they wait on a shared 2-core machine.
const ENV = { ...process.env, TOKENBENCH_LLAMA_THREADS: '1' };

describe('--peer native (Node runner)', () => {
  test('llama.cpp runs the same file: tests, ratios, agreement, settings; webgpu is skipped without a page', async () => {
    const out = join(tempDir(), 'peer.json');
    const run = await runCli([...PEER_RUN, '--peer', 'native,webgpu', '--out', out], ENV);
    expect(run.code, run.stderr).toBe(0);
    const r = readResult(out);
    expect(resultOk(r)).toBe(true);
    expect(r.config.peers).toEqual({ engines: ['native', 'webgpu'], native: 'auto' });
    const [w, ...rest] = r.phases.flatMap((p) => p.workloads ?? []);
    expect(rest).toEqual([]);
    // The synthetic workload became the file both engines ran, under the same id.
    expect(w?.id).toBe('tiny-f32');
    expect(w?.source).toMatchObject({ kind: 'gguf', file: 'tiny-f32.gguf' });
    expect(w?.state).toBe('ok');
    const native = w?.peers?.find((p) => p.engine === 'native');
    expect(native?.state, native?.reason).toBe('ok');
    expect(native?.backend).toBe('cpu');
    expect(native?.settings).toMatchObject({ kvType: runKvType(r), threads: 1, gpuLayers: 0 });
    expect(native?.tests.map((t) => [t.name, t.tokens, t.rate.samplesNs.length])).toEqual([
      ['pp8', 8, 2],
      ['tg4', 4, 2],
    ]);
    for (const t of native?.tests ?? []) expect(t.rate.median).toBeGreaterThan(0);
    // Greedy tokens from the same prompt: llama.cpp's own f32 forward agrees with tokenbench's.
    expect(native?.agreement).toMatchObject({ compared: 4, method: 'token-ids' });
    expect(native?.agreement?.matching).toBeGreaterThanOrEqual(3);
    expect(native?.ratios?.map((x) => x.test)).toEqual(['pp8', 'tg4']);
    for (const x of native?.ratios ?? []) {
      expect(x.ratio).toBeCloseTo(x.tokenbench / x.peer, 12);
      // Not the same adapter: never flagged kernel-limited, and the difference is said.
      expect(x.kernelLimited).toBe(false);
      expect(x.differences.join(' ')).toMatch(/llama\.cpp ran on the CPU/);
    }
    const webgpu = w?.peers?.find((p) => p.engine === 'webgpu');
    expect(webgpu).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/browser page/) });
    // The text report puts the ratio beside tok/s and lists the peers.
    expect(run.stdout).toMatch(/vs llama\.cpp/);
    expect(run.stdout).toMatch(/tg4 .* of llama\.cpp native/);
    expect(run.stdout).toMatch(/llama\.cpp native \(llama\.cpp via node-llama-cpp [\d.]+\): cpu/);
  });
});
