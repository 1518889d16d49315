import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseResultText } from '../../src/schema/result';
import { checkIntegrity } from '../../src/result/integrity';
import { resultOk } from '../../src/result/verdict';
import { runCli, tempDir } from './helpers';

describe('headless CLI', () => {
  test('runs the smoke suite in headless Chromium and writes a valid, verified result', async () => {
    const out = join(tempDir(), 'r.json');
    const run = await runCli(['--suite', 'smoke', '--out', out, '--profile', 'swiftshader']);
    expect(run.code, run.stderr).toBe(0);
    const parsed = parseResultText(readFileSync(out, 'utf8'));
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    if (!parsed.ok) return;
    const r = parsed.result;
    expect(r.runtime.kind).toBe('browser');
    expect(r.runtime.userAgent).toMatch(/Chrome/);
    expect(r.runtime.flags).toContain('--use-webgpu-adapter=swiftshader');
    expect(r.environment?.adapter.architecture).toBe('swiftshader');
    expect(r.environment?.software.isSoftware).toBe(true);
    expect(resultOk(r)).toBe(true);
    // A genuine result: every derived figure is what its samples give (what the results board checks).
    expect(checkIntegrity(r)).toEqual({ ok: true });
    const ids = r.phases.flatMap((p) => p.measurements.filter((m) => m.state === 'ok').map((m) => m.id));
    expect(ids).toEqual(expect.arrayContaining(['read-bandwidth', 'copy-bandwidth', 'fma-f32', 'matmul-f32-127x129x131']));
    // Summary table and software label on stdout, progress on stderr.
    expect(run.stdout).toMatch(/SOFTWARE ADAPTER/);
    expect(run.stdout).toMatch(/matmul f32 127x129x131/);
    expect(run.stderr).toMatch(/\[\s*\d+%\] Roofline probes · read bandwidth/);
    expect(run.stderr).toMatch(/\[100%\] completed in/);
    // The CLI opens the page without parameters and hands it the request through its automation API.
    expect(run.stderr).toMatch(/tokenbench: page http:\/\/127\.0\.0\.1:\d+\/ \(tokenbench [^)]+\): window\.tokenbench\.run\(\{"suite":"smoke","generation":\{\},"tune":\{"enabled":true,"cache":"0 cached choice\(s\)"\},"cost":null,"peers":null\}\)/);
    // Tuning ran in the page and its choices reached the CLI's cache file (XDG_CACHE_HOME of the test).
    expect(r.tuning?.mode).toBe('tuned');
    expect(r.tuning?.entries.length).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/tuning choice\(s\) kept in .*tune-cache\.json/);
    expect(run.stdout).toMatch(/Autotuning: \d+ decisions/);
  });

  test('a custom architecture from CLI flags runs and is recorded in the result', async () => {
    const out = join(tempDir(), 'custom.json');
    const run = await runCli([
      '--suite', 'smoke', '--out', out, '--preset', 'swiftshader', '--quiet', '--no-tune',
      '--formats', 'q8_0', '--gen', '3', '--batches', '1', '--prompt', '9',
      '--name', 'flag-arch', '--hidden', '64', '--ffn', '96', '--layers', '1', '--heads', '4', '--kv-heads', '1',
      '--head-dim', '16', '--vocab', '50', '--qkv-bias', 'true',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const parsed = parseResultText(readFileSync(out, 'utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const w = parsed.result.phases.flatMap((p) => p.workloads ?? []);
    // The custom model replaces the suite's list; it is verified (tiny forward check) and timed.
    expect(w.map((x) => `${x.id}:${x.state}`)).toEqual(['flag-arch-q8_0:ok']);
    expect(w[0]?.arch).toMatchObject({ name: 'flag-arch', kvHeads: 1, qkvBias: true });
    expect(w[0]?.verification?.state).toBe('passed');
    expect(w[0]?.tests.map((t) => t.name)).toEqual(['pp9', 'tg3']);
    expect(run.stdout).toMatch(/flag-arch\s+q8_0\s+tg3/);
    // --no-tune reaches the page in the request.
    expect(parsed.result.tuning).toMatchObject({ mode: 'disabled', entries: [] });
    // --preset is the old name of --profile: it still works, with one warning.
    expect(run.stderr.match(/--preset is deprecated: use --profile/g)).toHaveLength(1);
  });

  test('the tuning cache file reaches the page in the request (no browser storage involved)', async () => {
    // The first test kept its choices in this test file's cache home; this run starts a fresh browser.
    const out = join(tempDir(), 'cached.json');
    const run = await runCli(['--suite', 'smoke', '--out', out, '--profile', 'swiftshader', '--quiet', '--formats', 'q4_0', '--gen', '3', '--batches', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/"tune":\{"enabled":true,"cache":"[1-9]\d* cached choice\(s\)"\}/);
    const parsed = parseResultText(readFileSync(out, 'utf8'));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.result.tuning?.entries.some((e) => e.source === 'cache')).toBe(true);
  });

  test.each([
    [['--kv-heads', '3', '--heads', '4', '--hidden', '64', '--ffn', '64', '--layers', '1', '--head-dim', '16', '--vocab', '9'], /heads \(4\) must be divisible by --kv-heads \(3\)/],
    [['--models', 'llama-3.2-1b,gpt-9'], /unknown preset "gpt-9"/],
    [['--suite', 'huge'], /unknown suite "huge"/],
    [['--bogus'], /unknown option "--bogus"/],
    [['--out'], /--out needs a value/],
    [['--profile', 'gpu,nope'], /--profile: unknown profile "nope"/],
    [['--preset', 'gpu,nope'], /--preset: unknown profile "nope"/],
    [['--timeout', '-1'], /--timeout must be a positive number/],
  ])('usage error %j exits 2 with a clear message', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Usage: npm run bench/);
  });

  test('a missing browser exits 2 with install advice', async () => {
    const run = await runCli(['--suite', 'smoke', '--browser', '/nonexistent/chrome']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not an executable file/);
  });

  test.each([[['--help']], [['gate', '--help']], [['compare', '-h']], [['serve-browser', '--help']]])('%j prints its own help and exits 0', async (args) => {
    const run = await runCli(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: npm run bench -- ${args[0] === '--help' ? '\\[run\\]' : args[0]}`));
    expect(run.stdout).toMatch(/Exit codes/);
  });
});
