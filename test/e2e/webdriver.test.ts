import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resultOk } from '../../src/result/verdict';
import { SMALL, freePort, readResult, startChromedriver } from './fleet-helpers';
import { runCli, tempDir } from './helpers';

describe('W3C WebDriver (selenium-webdriver → local chromedriver)', () => {
  let driver: Awaited<ReturnType<typeof startChromedriver>>;
  beforeAll(async () => {
    driver = await startChromedriver();
  });
  afterAll(async () => {
    await driver?.stop();
  });

  test('runs the smoke suite with the WebGPU flags as goog:chromeOptions args; the result is tagged', async () => {
    const out = join(tempDir(), 'wd.json');
    const run = await runCli(['run', '--webdriver', driver.url, '--profile', 'swiftshader', ...SMALL, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const r = readResult(out);
    expect(resultOk(r)).toBe(true);
    expect(r.runtime.kind).toBe('browser');
    expect(r.runtime.userAgent).toMatch(/HeadlessChrome/);
    expect(r.runtime.endpoint).toBe(driver.url);
    expect(r.runtime.flags).toContain('--use-webgpu-adapter=swiftshader');
    expect(r.runtime.flags).toContain('--enable-unsafe-webgpu');
    expect(r.environment?.adapter.architecture).toBe('swiftshader');
    expect(run.stderr).toMatch(/WebDriver session: chrome/);
    // The same request as every other transport, started through the page's automation API.
    expect(run.stderr).toMatch(/\] page http:\/\/127\.0\.0\.1:\d+\/ \(tokenbench [^)]+\): window\.tokenbench\.run\(\{"suite":"smoke","generation":\{"formats":\["q4_0"\],"genTokens":3,"batches":\[1\]\}/);
    expect(run.stdout).toMatch(/result written to/);
  });

  test('an endpoint that is not there is reported with its error (exit 1)', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['run', '--webdriver', url, ...SMALL, '--out', join(tempDir(), 'none.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/FAILED: .*ECONNREFUSED/);
  });
});
