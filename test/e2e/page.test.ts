import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StaticServer } from '../../bench/serve';
import { parseResultText } from '../../src/schema/result';
import { launch, launchWithoutWebGpu, onProgress, pageResult, servePage } from './helpers';

let server: StaticServer;
beforeAll(async () => {
  server = await servePage();
});
afterAll(async () => {
  await server.close();
});

describe('bench page in headless Chromium', () => {
  test('device panel shows the adapter; Run fills the table; Export JSON downloads a valid result', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const context = await browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
      await expect(page.locator('#software-warning').textContent()).resolves.toMatch(/Software adapter/);
      await page.locator('#suite').selectOption('smoke');
      await page.locator('#run').click();
      const result = await pageResult(page);
      expect(result.status).toBe('completed');
      expect(result.verification.state).toBe('passed');
      await expect(page.locator('#results-body tr').count()).resolves.toBeGreaterThanOrEqual(6);
      await expect(page.locator('#results-body').textContent()).resolves.toMatch(/GFLOP\/s/);
      // Token results: the tiny preset in every format, prefill and decode tests.
      await expect(page.locator('#tokens-body tr').count()).resolves.toBe(12);
      await expect(page.locator('#tokens-body').textContent()).resolves.toMatch(/tiny.*q4_k_m.*tg8 b4/s);
      // The headline view before the tables: one line per model x format.
      await expect(page.locator('#headline li').count()).resolves.toBe(4);
      await expect(page.locator('#headline').textContent()).resolves.toMatch(/tiny q4_k_m: decode [\d.,]+ tok\/s \(tg8\)( · best [\d.,]+ tok\/s \(tg8 b4\))? · prefill [\d.,]+ tok\/s \(pp16, TTFT/);
      await expect(page.locator('#progress-text').textContent()).resolves.toMatch(/Finished/);
      // Autotuning ran, its choices are listed, and they were kept in this browser for the next run.
      await expect(page.locator('#tuning-summary').textContent()).resolves.toMatch(/Autotuning: \d+ decisions/);
      await expect(page.locator('#tuning-body tr').count()).resolves.toBe(result.tuning?.entries.length ?? -1);
      await expect(page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem('tokenbench.tune-cache.v1') ?? '{}')).length)).resolves.toBeGreaterThan(0);
      await expect(page.locator('#gemv').textContent()).resolves.toMatch(/tiny-q4_k_m: qkv .* GB\/s/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-json').click()]);
      expect(download.suggestedFilename()).toMatch(/^tokenbench-smoke-.*\.json$/);
      const path = await download.path();
      const parsed = parseResultText(readFileSync(path, 'utf8'));
      expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
      if (parsed.ok) expect(parsed.result.startedAt).toBe(result.startedAt);

      // The exported file opens again on a fresh page; a corrupted one is rejected with the JSON path.
      const viewer = await context.newPage();
      await viewer.goto(server.url);
      await viewer.locator('#import-json').setInputFiles(path);
      await viewer.locator('#results-summary').getByText(/imported .*: completed/).waitFor();
      await expect(viewer.locator('#results-body tr').count()).resolves.toBeGreaterThanOrEqual(6);
      const broken = JSON.parse(readFileSync(path, 'utf8')) as { phases: Array<{ measurements: Array<{ state: string }> }> };
      broken.phases[0]!.measurements[0]!.state = 'fabulous';
      await viewer.locator('#import-json').setInputFiles({
        name: 'broken.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(broken)),
      });
      await expect(viewer.locator('#import-error').textContent()).resolves.toMatch(/broken\.json: invalid result at \$\.phases\[0\]\.measurements\[0\]/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  test('Cancel stops the run and keeps the finished measurements', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
      await page.locator('#suite').selectOption('smoke');
      // Cancel as soon as the first step is done (once: progress reports can arrive late or coalesced).
      let clicked = false;
      await onProgress(page, async (p) => {
        if (p.stepsDone >= 1 && !clicked) {
          clicked = true;
          await page.locator('#cancel').click();
        }
      });
      await page.locator('#run').click();
      const result = await pageResult(page);
      expect(result.status).toBe('cancelled');
      expect(result.phases[0]?.state).toBe('cancelled');
      expect(result.phases[0]?.measurements.length).toBeGreaterThanOrEqual(1);
      expect(result.phases[1]?.state).toBe('skipped');
      await expect(page.locator('#export-json').isEnabled()).resolves.toBe(true);
    } finally {
      await browser.close();
    }
  });

  test('without a WebGPU adapter the page says so plainly and throws nothing', async () => {
    const browser = await launchWithoutWebGpu();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${server.url}?suite=smoke&autorun=1`);
      const result = await pageResult(page);
      expect(result.status).toBe('failed');
      await expect(page.locator('#no-adapter').textContent()).resolves.toMatch(/requestAdapter\(\) returned null/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  test('a custom architecture from the URL runs end to end', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      const arch = { name: 'url-arch', hidden: 64, ffn: 64, layers: 1, heads: 2, kvHeads: 1, headDim: 32, vocab: 97, tiedEmbeddings: true };
      const q = new URLSearchParams({ suite: 'smoke', autorun: '1', models: JSON.stringify([arch]), formats: 'q4_0', batches: '1', gen: '3' });
      await page.goto(`${server.url}?${q.toString()}`);
      const result = await pageResult(page);
      const workloads = result.phases.flatMap((p) => p.workloads ?? []);
      expect(workloads.map((w) => `${w.id}:${w.state}`)).toEqual(['url-arch-q4_0:ok']);
      expect(workloads[0]?.tests.map((t) => t.name)).toEqual(['pp16', 'tg3']);
      await expect(page.locator('#gen-models').inputValue()).resolves.toMatch(/url-arch/);
    } finally {
      await browser.close();
    }
  });

  test('window.tokenbench.run: a request runs and shows in the page like a Run click; bad requests are refused', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await expect(page.evaluate(() => window.tokenbench.version)).resolves.toMatch(/^\d+\.\d+\.\d+/);
      await expect(page.evaluate(() => window.tokenbench.run({ suite: 'huge' } as never))).rejects.toThrow(/invalid request at \$\.suite/);
      await expect(page.evaluate(() => window.tokenbench.run({ generation: { gen: 3 } } as never))).rejects.toThrow(/invalid request at \$\.generation/);
      const steps: string[] = [];
      await onProgress(page, (p) => steps.push(p.step));
      const request = { suite: 'smoke', generation: { formats: ['q4_0'], genTokens: 3, batches: [1] }, tune: { enabled: false }, cost: { hourlyPrice: 3.6 } };
      const running = page.evaluate((r) => window.tokenbench.run(r as never), request);
      // One run at a time, whoever started it.
      await page.locator('#run[disabled]').waitFor();
      await expect(page.evaluate(() => window.tokenbench.run({ suite: 'smoke' }))).rejects.toThrow(/already in progress/);
      const result = await running;
      expect(result.status).toBe('completed');
      expect(result.config.generation).toMatchObject({ formats: ['q4_0'], genTokens: 3, batches: [1] });
      expect(result.tuning?.mode).toBe('disabled');
      // The cost block is attached where every run is executed (src/runtime/execute.ts).
      expect(result.cost?.inputs.hourlyPrice).toBe(3.6);
      expect(steps.length).toBeGreaterThan(3);
      // The page shows the run: controls, progress, tables, and result() follows it.
      await expect(page.locator('#suite').inputValue()).resolves.toBe('smoke');
      await expect(page.locator('#gen-formats').inputValue()).resolves.toBe('q4_0');
      await expect(page.locator('#tune').isChecked()).resolves.toBe(false);
      await expect(page.locator('#progress-text').textContent()).resolves.toMatch(/Finished/);
      await expect(page.locator('#tokens-body').textContent()).resolves.toMatch(/tiny.*q4_0.*tg3/s);
      await expect(page.locator('#results-summary').textContent()).resolves.toMatch(/this run: completed/);
      await expect(page.locator('#cost-body tr').count()).resolves.toBeGreaterThan(0);
      await expect(pageResult(page).then((r) => r.startedAt)).resolves.toBe(result.startedAt);
      await expect(page.locator('#run').isEnabled()).resolves.toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  test('a bad URL parameter is reported on the page and nothing autoruns', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}?suite=galactic&autorun=1`);
      await expect(page.locator('#params-error').textContent()).resolves.toMatch(/unknown suite "galactic"/);
      await page.locator('#run:not([disabled])').waitFor({ timeout: 60_000 });
      await expect(page.locator('#progress-text').textContent()).resolves.toBe('');
    } finally {
      await browser.close();
    }
  });
});

describe('measurement conditions', () => {
  test('hiding the page during a run flags the affected phases and tells the user', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
      await page.locator('#suite').selectOption('smoke');
      await page.locator('#generation-settings summary').click();
      await page.locator('#gen-formats').fill('q4_0');
      await page.locator('#gen-batches').fill('1');
      // Headless pages are never really hidden: fake the visibility change the browser would send.
      await onProgress(page, async (p) => {
        if (p.phaseId === 'matmul') {
          await page.evaluate(() => {
            Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
            document.dispatchEvent(new Event('visibilitychange'));
          });
        }
      });
      await page.locator('#run').click();
      const result = await pageResult(page);
      expect(result.phases.map((p) => (p.warnings ?? []).length > 0)).toEqual([false, true, true]);
      await expect(page.locator('#hidden-warning').textContent()).resolves.toMatch(/page was hidden/);
    } finally {
      await browser.close();
    }
  });
});

describe('nothing lost', () => {
  test('completed phases survive a reload mid-run and are offered back', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const context = await browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      let reachedMatmul!: () => void;
      const matmul = new Promise<void>((r) => (reachedMatmul = r));
      await page.goto(`${server.url}?suite=smoke&autorun=1`);
      await onProgress(page, (p) => {
        if (p.phaseId === 'matmul') reachedMatmul();
      });
      await matmul;
      // Give the checkpoint write to IndexedDB a moment, then "crash" the run by reloading.
      await page.waitForTimeout(500);
      await page.goto(server.url);
      await expect(page.locator('#recovered').textContent()).resolves.toMatch(/did not finish; 1 completed phase\(s\) were kept/);
      await page.locator('#recovered-show').click();
      await expect(page.locator('#results-body').textContent()).resolves.toMatch(/read bandwidth/);
      await expect(page.locator('#results-summary').textContent()).resolves.toMatch(/recovered run: cancelled/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-json').click()]);
      const parsed = parseResultText(readFileSync(await download.path(), 'utf8'));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect(parsed.result.phases.map((p) => p.id)).toEqual(['roofline']);
        expect(parsed.result.errors.at(-1)?.message).toMatch(/interrupted/);
      }
      await page.locator('#recovered-discard').click();
      await page.locator('#recovered').waitFor({ state: 'detached' });
      await page.goto(server.url);
      await page.locator('#run:not([disabled])').waitFor({ timeout: 60_000 });
      await expect(page.locator('#recovered').count()).resolves.toBe(0);
    } finally {
      await browser.close();
    }
  });
});
