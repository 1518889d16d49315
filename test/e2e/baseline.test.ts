import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { BenchResult } from '../../src/schema/result';
import { resultOk } from '../../src/result/verdict';
import { SMALL, readResult, scaledResult } from './fleet-helpers';
import { runCli, tempDir } from './helpers';

describe('baseline gate (--baseline, gate, GITHUB_STEP_SUMMARY, --format)', () => {
  let dir: string;
  let measured: string;
  let result: BenchResult;
  beforeAll(async () => {
    // One real result, from the Node runtime (the quickest way to a complete result here). Unquantised
    // timestamps give one sample per decode step; quantised ones fall back to one wall-clock sample per
    // submitted chunk, too few for the significance test when the steps are fast.
    dir = tempDir();
    measured = join(dir, 'measured.json');
    const run = await runCli(['run', '--runtime', 'node', ...SMALL, '--profile', 'swiftshader,unquantized', '--quiet', '--out', measured]);
    if (run.code !== 0) throw new Error(`baseline run failed: ${run.stderr}`);
    result = readResult(measured);
  });

  test('a result is its own baseline: exit 0, nothing regressed', async () => {
    const run = await runCli(['gate', measured, '--baseline', measured]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/baseline gate passed/);
    expect(run.stdout).not.toMatch(/REGRESSED/);
  });

  test('a fabricated faster baseline: exit 1, the moved metrics named with their change', async () => {
    const fast = join(dir, 'fast.json');
    writeFileSync(fast, JSON.stringify(scaledResult(result, 0.5)));
    const summary = join(dir, 'gate-summary.md');
    const run = await runCli(['gate', measured, '--baseline', fast, '--max-regression', '5%'], { ...process.env, GITHUB_STEP_SUMMARY: summary });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/read-bandwidth \(GB\/s\)\s+\S+\s+\S+\s+-50\.0%\s+\S+\s+REGRESSED/);
    expect(run.stdout).toMatch(/tiny-q4_0 tg3 TPOT \(ms\)\s+\S+\s+\S+\s+\+100\.0%\s+\S+\s+REGRESSED/);
    expect(run.stdout).toMatch(/baseline gate FAILED/);
    expect(readFileSync(summary, 'utf8')).toMatch(/❌ baseline gate FAILED/);
  });

  test('run --baseline in the browser: the result is still written, the gate fails the run (exit 1)', async () => {
    const fast = join(dir, 'much-faster.json');
    writeFileSync(fast, JSON.stringify(scaledResult(result, 0.1)));
    const out = join(dir, 'browser.json');
    const summary = join(dir, 'run-summary.md');
    const run = await runCli(
      ['run', ...SMALL, '--profile', 'swiftshader', '--quiet', '--out', out, '--baseline', fast, '--format', 'github-bigger,github-smaller'],
      { ...process.env, GITHUB_STEP_SUMMARY: summary },
    );
    expect(run.code, run.stderr).toBe(1);
    const r = readResult(out);
    expect(resultOk(r)).toBe(true);
    expect(run.stdout).toMatch(/read-bandwidth \(GB\/s\).*REGRESSED/);
    expect(run.stdout).toMatch(/warning: runtimes differ: baseline node, this run browser/);
    expect(run.stderr).toMatch(/a metric regressed beyond the threshold \(exit 1\)/);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/### tokenbench smoke/);
    expect(md).toMatch(/### Baseline comparison/);
    const bigger = JSON.parse(readFileSync(join(dir, 'browser.github-bigger.json'), 'utf8')) as Array<{ name: string; unit: string; value: number }>;
    expect(bigger.length).toBeGreaterThan(0);
    expect(bigger.every((e) => typeof e.name === 'string' && typeof e.value === 'number')).toBe(true);
    expect(existsSync(join(dir, 'browser.github-smaller.json'))).toBe(true);
  });

  test.each([
    [['--baseline', '/nonexistent/old.json'], /--baseline \/nonexistent\/old.json: no such file/],
    [['--format', 'nope'], /--format: unknown format "nope"/],
  ])('%j exits 2 before anything runs', async (args, message) => {
    const run = await runCli(['run', '--suite', 'smoke', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  test('gate with an unreadable result exits 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema": "nope"}');
    const run = await runCli(['gate', bad, '--baseline', measured]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid result/);
  });
});
