import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StaticServer } from '../../bench/serve';
import { launch, pageResult, pageWidth, servePage, tempDir } from './helpers';

/** A desktop window and a phone (WebGPU ships in Android Chrome): the sizes the pages must fit without sideways scrolling. */
const SIZES: Record<'desktop' | 'phone', BrowserContextOptions & { viewport: { width: number; height: number } }> = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 },
};

/**
 * A smoke run on SwiftShader took over 9 minutes on a busy 2-core machine: the one run of this file
 * gets more than the 5-minute hook default.
 */
const SMOKE_RUN_MS = 900_000;

let server: StaticServer;
let browser: Browser;
/** The bench page after its smoke run, every <details> open (their tables count too). */
let bench: Page;
/** The run's result as the page's Export JSON downloaded it. */
let resultPath: string;

beforeAll(async () => {
  server = await servePage();
  browser = await launch(['swiftshader']);
  const context = await browser.newContext({ ...SIZES.desktop, acceptDownloads: true });
  bench = await context.newPage();
  await bench.goto(server.url);
  await bench.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
  await bench.locator('#suite').selectOption('smoke');
  await bench.locator('#run').click();
  expect((await pageResult(bench)).status).toBe('completed');
  await bench.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  const [download] = await Promise.all([bench.waitForEvent('download'), bench.locator('#export-json').click()]);
  resultPath = join(tempDir(), download.suggestedFilename());
  await download.saveAs(resultPath);
}, SMOKE_RUN_MS);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * The page is as wide as the viewport. Charts follow a resize a frame or two later, so this waits a
 * little for the width to settle before it names what sticks out.
 */
async function expectFits(page: Page, width: number): Promise<void> {
  let seen = await pageWidth(page);
  for (let i = 0; i < 20 && seen.scrollWidth > seen.clientWidth; i++) {
    await page.waitForTimeout(100);
    seen = await pageWidth(page);
  }
  expect(seen.clientWidth, 'layout viewport (is the viewport meta tag there?)').toBe(width);
  expect(seen.scrollWidth, `page ${seen.scrollWidth} px wide in a ${width} px window; sticking out: ${seen.overflowing.join('; ') || '(none found)'}`).toBeLessThanOrEqual(seen.clientWidth);
}

describe('the bench page after a smoke run', () => {
  test.each([SIZES.desktop.viewport, SIZES.phone.viewport])('no horizontal page scroll at $width px; headline and tables in view', async (viewport) => {
    await bench.setViewportSize(viewport);
    await expectFits(bench, viewport.width);
    for (const id of ['#headline', '#results', '#tokens']) {
      const box = await bench.locator(id).boundingBox();
      expect(box, `${id} shown`).not.toBeNull();
      expect(box!.x, `${id} starts inside the window`).toBeGreaterThanOrEqual(0);
    }
    await expect(bench.locator('#headline li').count()).resolves.toBeGreaterThan(0);
    const headline = await bench.locator('#headline').boundingBox();
    expect(headline!.x + headline!.width).toBeLessThanOrEqual(viewport.width);
  });
});

describe("pages that open the run's result file", () => {
  test.each([
    ['compare.html', 'desktop'],
    ['compare.html', 'phone'],
    ['index.html', 'phone'],
  ] as const)('%s on a %s: no horizontal page scroll', async (file, size) => {
    const context = await browser.newContext(SIZES[size]);
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}${file === 'index.html' ? '' : file}`);
      if (file === 'index.html') await page.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
      if (file === 'compare.html') {
        await page.locator('#compare-files').setInputFiles([resultPath]);
        await page.locator('#compare-body tr').first().waitFor();
      } else {
        await page.locator('#import-json').setInputFiles(resultPath);
        await page.locator('#results-summary').getByText(/imported .*: completed/).waitFor();
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
      }
      await expectFits(page, SIZES[size].viewport.width);
    } finally {
      await context.close();
    }
  });
});
