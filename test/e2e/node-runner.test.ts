import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { NODE_BUNDLE } from '../../bench/node-launch';
import { checkIntegrity } from '../../src/result/integrity';
import { resultOk } from '../../src/result/verdict';
import { SMALL, readResult } from './fleet-helpers';
import { ROOT, runCli, tempDir } from './helpers';

describe('Node/Dawn runtime (bundled runner, no browser)', () => {
  test('runs the suite on SwiftShader with the Dawn options of the profiles, same schema', async () => {
    const out = join(tempDir(), 'node.json');
    const run = await runCli(['run', '--runtime', 'node', ...SMALL, '--profile', 'swiftshader,unquantized', '--out', out, '--hourly-price', '2']);
    expect(run.code, run.stderr).toBe(0);
    const r = readResult(out);
    expect(resultOk(r)).toBe(true);
    // A genuine result, cost block included: every derived figure is what its samples and inputs give.
    expect(checkIntegrity(r)).toEqual({ ok: true });
    expect(r.runtime).toMatchObject({ kind: 'node', node: expect.stringMatching(/^v\d+\./), dawn: expect.stringMatching(/^webgpu@\d+\.\d+/) });
    expect(r.runtime.flags).toEqual(['backend=vulkan', 'enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization']);
    expect(r.environment?.software.isSoftware).toBe(true);
    // timestamp_quantization off: Dawn's timestamps are exact.
    expect(r.timer?.quantized).toBe(false);
    const w = r.phases.flatMap((p) => p.workloads ?? []);
    expect(w.map((x) => `${x.id}:${x.state}`)).toEqual(['tiny-q4_0:ok']);
    expect(run.stdout).toMatch(/runtime: node · webgpu@/);
    // The same request as in the browser, executed in-process; the cost block is attached there too.
    expect(run.stderr).toMatch(/tokenbench: execute\(\{"suite":"smoke","generation":\{"formats":\["q4_0"\],"genTokens":3,"batches":\[1\]\}/);
    expect(r.cost?.inputs.hourlyPrice).toBe(2);
  });

  test('tuning choices are kept in --tune-cache and reused (re-checked, not re-timed) by the next run', async () => {
    const dir = tempDir();
    const cache = join(dir, 'tune.json');
    const args = ['run', '--runtime', 'node', ...SMALL, '--profile', 'swiftshader', '--tune-cache', cache, '--quiet'];
    const first = await runCli([...args, '--out', join(dir, 'a.json')]);
    expect(first.code, first.stderr).toBe(0);
    const kept = Object.keys(JSON.parse(readFileSync(cache, 'utf8')) as object);
    expect(first.stderr).toContain(`${kept.length} tuning choice(s) kept in ${cache}`);
    const a = readResult(join(dir, 'a.json'));
    expect(a.tuning?.entries.every((e) => e.source === 'measured')).toBe(true);
    const second = await runCli([...args, '--out', join(dir, 'b.json')]);
    expect(second.code, second.stderr).toBe(0);
    const b = readResult(join(dir, 'b.json'));
    expect(b.tuning?.entries.length).toBe(a.tuning?.entries.length);
    expect(b.tuning?.entries.every((e) => e.source === 'cache' && kept.includes(e.cacheKey))).toBe(true);
    expect(resultOk(b)).toBe(true);
  });

  test('lists the adapters Dawn sees', async () => {
    const run = await runCli(['run', '--runtime', 'node', '--preset', 'swiftshader', '--list-adapters']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/vulkan\s+SwiftShader Device/);
    // The old name still works; the runner warns once (the CLI that started it does not repeat it).
    expect(run.stderr.match(/--preset is deprecated: use --profile/g)).toHaveLength(1);
  });

  test('an adapter that does not exist gives a failed result naming the adapters there are', async () => {
    const out = join(tempDir(), 'none.json');
    const run = await runCli(['run', '--runtime', 'node', '--suite', 'smoke', '--profile', 'swiftshader', '--adapter', 'No Such GPU', '--out', out]);
    expect(run.code).toBe(1);
    const r = readResult(out);
    expect(r.status).toBe('failed');
    expect(r.errors[0]?.message).toMatch(/SwiftShader Device/);
  });

  test('the bundle imports only webgpu and Node built-ins, and runs on its own', () => {
    const text = readFileSync(NODE_BUNDLE, 'utf8');
    const specifiers = [...text.matchAll(/^\s*import\s[^'"]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm)].map(
      (m) => m[1] ?? m[2] ?? m[3],
    );
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => s !== 'webgpu' && !s?.startsWith('node:'))).toEqual([]);
    expect(text).not.toMatch(/\?raw['"]/);
    // From another directory, with plain node (no tsx, no Vite).
    const r = spawnSync(process.execPath, [NODE_BUNDLE, '--list-adapters', '--profile', 'swiftshader'], { cwd: tempDir(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SwiftShader/);
    expect(ROOT).toBeTruthy();
  });

  test.each([
    [['--runtime', 'node', '--flags', '--x'], /browser options/],
    [['--runtime', 'node', '--headed'], /browser options/],
    [['--adapter', 'x'], /--adapter needs --runtime node/],
  ])('usage error %j exits 2', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
