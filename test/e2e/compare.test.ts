import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StaticServer } from '../../bench/serve';
import { fmtNumber, fmtUsd } from '../../src/result/formats';
import { type BenchResult, parseResultText } from '../../src/schema/result';
import { launch, runCli, servePage, tempDir } from './helpers';

/** Short runs: smoke suite, one format, 3 generated tokens, batches 1 and 2. */
const SHORT = ['--suite', 'smoke', '--profile', 'swiftshader', '--formats', 'q4_0', '--gen', '3', '--batches', '1,2', '--quiet'];
const RENTAL = ['--hourly-price', '2.5', '--accelerator', 'h100-sxm', '--api-input-price', '0.5', '--api-output-price', '1.5'];
const PURCHASE = ['--purchase-price', '30000', '--lifetime-years', '5', '--utilisation', '50', '--board-power', '450', '--electricity-price', '0.2', '--token-mix', '1:1'];

let dir: string;
let aPath: string;
let bPath: string;
let a: BenchResult;
let b: BenchResult;
let aStdout: string;
let server: StaticServer;
let browser: Browser;

function load(path: string): BenchResult {
  const parsed = parseResultText(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.result;
}

/** Token tests of a result with their expected table cells, read from the JSON. */
function expectedRows(r: BenchResult) {
  return r.phases.flatMap((p) =>
    (p.workloads ?? []).flatMap((w) =>
      w.tests.map((t) => {
        const cost = r.cost?.workloads.find((c) => c.workload === w.id)?.tests.find((c) => c.test === t.name);
        return {
          key: `${w.id}/${t.name}`,
          tokPerSec: fmtNumber(t.gpu?.median ?? t.wall.median),
          bound: t.bounds?.efficiency != null ? `${(t.bounds.efficiency * 100).toFixed(1)}%` : '—',
          usd: fmtUsd(cost?.usdPer1M),
          joules: cost?.joulesPerToken != null ? fmtNumber(cost.joulesPerToken) : '—',
          verification: w.verification?.state ?? r.verification.state,
        };
      }),
    ),
  );
}

async function download(page: Page, button: string): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  return { name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8') };
}

beforeAll(async () => {
  dir = tempDir();
  aPath = join(dir, 'rental.json');
  bPath = join(dir, 'purchase.json');
  // One after the other: each run uses both cores of a small CI machine.
  const ra = await runCli([...SHORT, ...RENTAL, '--out', aPath]);
  expect(ra.code, ra.stderr).toBe(0);
  aStdout = ra.stdout;
  const rb = await runCli([...SHORT, ...PURCHASE, '--out', bPath]);
  expect(rb.code, rb.stderr).toBe(0);
  a = load(aPath);
  b = load(bPath);
  server = await servePage();
  browser = await launch(['swiftshader']);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('cost block from CLI flags', () => {
  test('the rental run stores its inputs and figures that follow the formulas', () => {
    expect(a.cost?.inputs).toEqual({ hourlyPrice: 2.5, boardPowerW: 700, accelerator: 'h100-sxm', apiInputPrice: 0.5, apiOutputPrice: 1.5, mix: { input: 3, output: 1 } });
    expect(a.cost?.perHour).toEqual({ hardware: 2.5, energy: null, total: 2.5 });
    const w = a.phases.flatMap((p) => p.workloads ?? []).find((x) => x.id === 'tiny-q4_0')!;
    const tg = w.tests.find((t) => t.name === 'tg3')!;
    const rate = tg.gpu?.median ?? tg.wall.median;
    const c = a.cost?.workloads[0]?.tests.find((t) => t.test === 'tg3');
    expect(c?.usdPer1M).toBeCloseTo((2.5 / (rate * 3600)) * 1e6, 9);
    expect(c?.joulesPerToken).toBeCloseTo(700 / rate, 9);
    expect(a.cost?.workloads[0]).toMatchObject({ prefill: 'pp16', decodeBatch1: 'tg3' });
    expect(a.cost?.apiBlendedUsdPer1M).toBeCloseTo(0.75, 12);
    expect(aStdout).toMatch(/cost: \$2\.50\/h/);
  });

  test('the purchase run amortises the price and adds electricity', () => {
    // 30,000 / (5 × 8760 × 0.5) = 1.369863 $/h; 450 W × $0.20/kWh = $0.09/h.
    expect(b.cost?.perHour.hardware).toBeCloseTo(1.369863, 6);
    expect(b.cost?.perHour.energy).toBeCloseTo(0.09, 12);
    expect(b.cost?.inputs.mix).toEqual({ input: 1, output: 1 });
  });
});

describe('compare command', () => {
  test('json, md and csv on stdout with the values of the files', async () => {
    const json = await runCli(['compare', aPath, bPath, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const c = JSON.parse(json.stdout) as { rows: Array<{ result: string; key: string; tokPerSec: number; usdPer1M: number | null }>; diffs: Array<{ rows: unknown[] }> };
    const expectedA = expectedRows(a);
    expect(c.rows.filter((r) => r.result === 'rental.json').map((r) => [r.key, fmtNumber(r.tokPerSec), fmtUsd(r.usdPer1M)])).toEqual(expectedA.map((e) => [e.key, e.tokPerSec, e.usd]));
    expect(c.diffs[0]?.rows.length).toBeGreaterThan(0);
    const md = await runCli(['compare', aPath, bPath]);
    expect(md.stdout).toMatch(/\| rental\.json \| google \/ swiftshader \| SOFTWARE \| Chrome \d+/);
    expect(md.stdout).toMatch(/\*\*purchase\.json\*\* vs \*\*rental\.json\*\*/);
    const csv = await runCli(['compare', aPath, bPath, '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toMatch(/^result,tool_version,build_commit,gpu_info/);
  });

  test('a file that is not a valid result exits 2 with the JSON path', async () => {
    const bad = join(dir, 'bad.json');
    const broken = JSON.parse(readFileSync(aPath, 'utf8')) as { cost: { inputs: { hourlyPrice: unknown } } };
    broken.cost.inputs.hourlyPrice = -3;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, JSON.stringify(broken));
    const run = await runCli(['compare', aPath, bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.json: invalid result at \$\.cost\.inputs\.hourlyPrice/);
    expect(run.stdout).toBe('');
  });
});

describe('compare page in headless Chromium', () => {
  test('imports both results, shows the right values, charts, a diff, exports every format; bad files get a clear error', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${server.url}compare.html`);
    await page.locator('#compare-files').setInputFiles([aPath, bPath]);
    const expected = [...expectedRows(a).map((e) => ({ ...e, result: 'rental.json' })), ...expectedRows(b).map((e) => ({ ...e, result: 'purchase.json' }))];
    await expect.poll(() => page.locator('#compare-body tr').count()).toBe(expected.length);
    const cells = await page.locator('#compare-body tr').evaluateAll((rows) =>
      rows.map((r) => ({ key: r.getAttribute('data-key'), result: r.getAttribute('data-result'), cells: [...r.querySelectorAll('td')].map((td) => td.textContent) })),
    );
    expect(cells.map((c) => ({ result: c.result, key: c.key, software: c.cells[2], tokPerSec: c.cells[7], bound: c.cells[8], usd: c.cells[11], joules: c.cells[12], verification: c.cells[13] }))).toEqual(
      expected.map((e) => ({ result: e.result, key: e.key, software: 'SOFTWARE', tokPerSec: e.tokPerSec, bound: e.bound, usd: e.usd, joules: e.joules, verification: e.verification })),
    );
    await expect(page.locator('#compare-summary-body').textContent()).resolves.toMatch(/SOFTWARE ADAPTER: not a hardware result/);
    await expect(page.locator('#compare-summary-body tr[data-result="rental.json"] td').nth(7).textContent()).resolves.toBe('$2.50');

    // Bar charts per metric (two results each) and the throughput chart (one curve per result).
    for (const id of ['bars-tok-s', 'bars-bound', 'bars-usd', 'bars-joules']) {
      await expect(page.locator(`#${id}`).getAttribute('data-series')).resolves.toBe('2');
    }
    await expect(page.locator('#compare-throughput').getAttribute('data-series')).resolves.toBe('2');

    // Diff: purchase vs rental, every token test and kernel figure, with a verdict.
    await expect(page.locator('#diff-a').inputValue()).resolves.toBe('rental.json');
    await expect(page.locator('#diff-b').inputValue()).resolves.toBe('purchase.json');
    const diffRows = await page.locator('#diff-body tr').count();
    expect(diffRows).toBeGreaterThanOrEqual(expected.length / 2);
    await expect(page.locator('#diff-body').textContent()).resolves.toMatch(/tiny q4_0 tg3 b2.*tok\/s.*%/);

    // Exports.
    const md = await download(page, '#export-md');
    expect(md.name).toBe('tokenbench-compare.md');
    expect(md.text).toMatch(/\| rental\.json \| .* \| tg3 \| /);
    const csv = await download(page, '#export-csv');
    expect(csv.text.split('\n').filter((l) => l.startsWith('purchase.json,') && l.includes(',tok/s,'))).toHaveLength(3);
    const json = await download(page, '#export-json');
    expect(JSON.parse(json.text)).toMatchObject({ schema: 'tokenbench/comparison', results: [{ label: 'rental.json' }, { label: 'purchase.json' }] });
    const bigger = JSON.parse((await download(page, '#export-github-bigger')).text) as Array<{ name: string; unit: string; value: number }>;
    expect(bigger).toContainEqual(expect.objectContaining({ name: '[rental.json] tiny q4_0 tg3', unit: 'tok/s' }));
    const smaller = JSON.parse((await download(page, '#export-github-smaller')).text) as Array<{ name: string; unit: string }>;
    expect(smaller).toContainEqual(expect.objectContaining({ name: '[rental.json] tiny q4_0 tg3 cost', unit: '$/1M tokens' }));

    // Untrusted files: a schema violation names the JSON path; text that is not JSON says so; markup stays text.
    const broken = JSON.parse(readFileSync(aPath, 'utf8')) as { phases: Array<{ workloads?: Array<{ tests: Array<{ batch: unknown }> }> }> };
    broken.phases[2]!.workloads![0]!.tests[1]!.batch = 0;
    await page.locator('#compare-files').setInputFiles([
      { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(broken)) },
      { name: '<img src=x>.json', mimeType: 'application/json', buffer: Buffer.from('{ nope') },
    ]);
    await expect.poll(() => page.locator('.import-error').count()).toBe(2);
    const errorsText = await page.locator('#notices').textContent();
    expect(errorsText).toMatch(/broken\.json: invalid result at \$\.phases\[2\]\.workloads\[0\]\.tests\[1\]\.batch/);
    expect(errorsText).toMatch(/<img src=x>\.json: not JSON/);
    await expect(page.locator('#notices img').count()).resolves.toBe(0);
    await expect(page.locator('#compare-body tr').count()).resolves.toBe(expected.length);
    // A valid result with markup in its strings: shown as text.
    const hostile = JSON.parse(readFileSync(aPath, 'utf8')) as BenchResult;
    const HOSTILE = '<img src=x onerror="globalThis.pwned=1">';
    hostile.environment!.adapter.description = HOSTILE;
    hostile.phases[2]!.workloads![0]!.arch.name = HOSTILE;
    await page.locator('#compare-files').setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(hostile)) });
    await expect.poll(() => page.locator('#compare-body tr').count()).toBe(expected.length + 3);
    await expect(page.locator('#compare-body').textContent()).resolves.toContain(HOSTILE);
    await expect(page.locator('#app img, #app script').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { pwned?: number }).pwned)).resolves.toBeUndefined();

    // Dropping files updates everything.
    await page.locator('button.drop-file[data-label="hostile.json"]').click();
    await page.locator('button.drop-file[data-label="purchase.json"]').click();
    await expect.poll(() => page.locator('#compare-body tr').count()).toBe(expected.length / 2);
    await expect(page.locator('#diff-note').textContent()).resolves.toMatch(/Load two results/);
    expect(problems).toEqual([]);
    await context.close();
  });

  test('bench page: cost inputs from the URL, persisted, applied to an imported result, with the efficiency charts', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}?suite=smoke&hourly-price=3&accelerator=l4`);
    await expect(page.locator('#cost-hourly-price').inputValue()).resolves.toBe('3');
    await expect(page.locator('#cost-board-power').inputValue()).resolves.toBe('72');
    // A file without a cost block gets the page's inputs.
    const plain = JSON.parse(readFileSync(aPath, 'utf8')) as Record<string, unknown>;
    delete plain.cost;
    await page.locator('#import-json').setInputFiles({ name: 'plain.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(plain)) });
    await expect.poll(() => page.locator('#cost-headline').textContent()).toMatch(/Cost: \$3\.00\/h .* board power 72 W/);
    await expect(page.locator('#cost-body tr').count()).resolves.toBe(1);
    await expect(page.locator('#roofline-chart').getAttribute('data-points')).resolves.toMatch(/^[1-9]\d*$/);
    await expect(page.locator('#throughput-chart').getAttribute('data-series')).resolves.toBe('1');

    // Editing the form re-prices the result, updates the URL and is kept for the next visit.
    await page.locator('#cost-hourly-price').fill('4');
    await page.locator('#cost-hourly-price').dispatchEvent('change');
    await expect.poll(() => page.locator('#cost-headline').textContent()).toMatch(/Cost: \$4\.00\/h/);
    expect(new URL(page.url()).searchParams.get('hourly-price')).toBe('4');
    const exported = await download(page, '#export-json');
    expect(JSON.parse(exported.text).cost.inputs).toMatchObject({ hourlyPrice: 4, boardPowerW: 72, accelerator: 'l4' });
    // The shown result in every other format.
    const md = await download(page, '#export-result-md');
    expect(md.name).toMatch(/^tokenbench-smoke-.*\.md$/);
    expect(md.text).toMatch(/\| model \| format \| size \| params \| backend \| test \| t\/s \| bound \| \$\/1M tok \| J\/tok \|/);
    expect(md.text).toMatch(/cost: \$4\.00\/h/);
    const csv = await download(page, '#export-result-csv');
    expect(csv.text.split('\n')[0]).toMatch(/^tool_version,build_commit,gpu_info,software_adapter/);
    const bigger = JSON.parse((await download(page, '#export-result-github-bigger')).text) as Array<{ name: string; unit: string }>;
    expect(bigger).toContainEqual(expect.objectContaining({ name: 'tiny q4_0 tg3 b2', unit: 'tok/s' }));
    const smaller = JSON.parse((await download(page, '#export-result-github-smaller')).text) as Array<{ name: string; unit: string }>;
    expect(smaller).toContainEqual(expect.objectContaining({ name: 'tiny q4_0 tg3 energy', unit: 'J/token' }));
    // A contradictory edit is refused with a message, and the last valid inputs stay.
    await page.locator('#cost-purchase-price').fill('1000');
    await page.locator('#cost-purchase-price').dispatchEvent('change');
    await expect(page.locator('#cost-error').textContent()).resolves.toMatch(/either hourly-price .* or purchase-price/);
    await page.locator('#cost-purchase-price').fill('');
    await page.locator('#cost-purchase-price').dispatchEvent('change');
    await page.goto(server.url);
    await expect(page.locator('#cost-hourly-price').inputValue()).resolves.toBe('4');
    // Without inputs, no price is invented.
    await page.locator('#cost-hourly-price').fill('');
    await page.locator('#cost-hourly-price').dispatchEvent('change');
    await page.locator('#cost-accelerator').selectOption('');
    await page.locator('#cost-board-power').fill('');
    await page.locator('#cost-board-power').dispatchEvent('change');
    await page.locator('#import-json').setInputFiles({ name: 'plain.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(plain)) });
    await expect.poll(() => page.locator('#cost-headline').textContent()).toMatch(/enter a price/);
    expect(problems).toEqual([]);
    await context.close();
  });
});
