import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseResultText } from '../../src/result/schema';
import { resultOk } from '../../src/result/verdict';
import { runCli, tempDir } from './helpers';

describe('headless CLI', () => {
  test('runs the smoke suite in headless Chromium and writes a valid, verified result', async () => {
    const out = join(tempDir(), 'r.json');
    const run = await runCli(['--suite', 'smoke', '--out', out, '--preset', 'swiftshader']);
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
    const ids = r.phases.flatMap((p) => p.measurements.filter((m) => m.state === 'ok').map((m) => m.id));
    expect(ids).toEqual(expect.arrayContaining(['read-bandwidth', 'copy-bandwidth', 'fma-f32', 'matmul-f32-127x129x131']));
    // Summary table and software label on stdout, progress on stderr.
    expect(run.stdout).toMatch(/SOFTWARE ADAPTER/);
    expect(run.stdout).toMatch(/matmul f32 127x129x131/);
    expect(run.stderr).toMatch(/\[\s*\d+%\] Roofline probes · read bandwidth/);
    expect(run.stderr).toMatch(/\[100%\] completed in/);
  });

  test.each([
    [['--suite', 'huge'], /unknown suite "huge"/],
    [['--bogus'], /unknown option "--bogus"/],
    [['--out'], /--out needs a value/],
    [['--preset', 'gpu,nope'], /unknown preset "nope"/],
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

  test('--help exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Exit codes/);
  });
});
