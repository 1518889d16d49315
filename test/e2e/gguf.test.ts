/**
 * A model file (GGUF) in every front-end: picked in the page, handed over by the browser CLI (Playwright's
 * setInputFiles; WebDriver's sendKeys on the file input) and opened by the Node runner. The fixture is a
 * tiny llama written by tokenbench's own GGUF writer.
 *
 * Each run checks the whole contract: the file picked or handed over, the request naming it, the loading
 * display, the result's source block (name, size, SHA-256 of the file, architecture), the text,
 * generatedTokens, and the page or report showing them; the generated tokens are llama.cpp's (node-llama-cpp on
 * the same file, CPU).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nativeGreedy } from '../../bench/peers/llama-native';
import type { StaticServer } from '../../bench/serve';
import { writeGgufFile } from '../../src/model/gguf/write-node';
import { syntheticGguf } from '../../src/model/synth/gguf';
import { fmtBytes } from '../../src/result/formats';
import type { BenchResult } from '../../src/schema/result';
import { FIXTURES } from '../unit/gguf-fixtures';
import { tokenResult } from '../unit/token-fixture';
import { readResult, startChromedriver, startServeBrowser } from './fleet-helpers';
import { launch, onProgress, pageResult, runCli, servePage, tempDir } from './helpers';

const FILE = 'tiny-llama-f32.gguf';
/** Small runs: smoke suite, the fixture's format only, three decode steps, no tuning. */
const SMALL = ['--suite', 'smoke', '--formats', 'f32', '--gen', '3', '--batches', '1', '--no-tune'];

let dir: string;
let path: string;
let size: number;
let sha256: string;
let server: StaticServer;

beforeAll(async () => {
  dir = tempDir();
  path = join(dir, FILE);
  const { spec, vocab } = FIXTURES.llama;
  // f32: llama.cpp computes its matmuls in f32 too, so its greedy tokens are the exact model's (in q8_0 it
  // quantises activations, and a near-tie can flip: test/gpu/gguf-llama.test.ts checks the formats in Node).
  size = await writeGgufFile(path, syntheticGguf(spec, { format: 'f32', vocab }));
  sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  server = await servePage();
});
afterAll(async () => {
  await server?.close();
});

/** The contract for a finished run of the fixture: its source block, text and generated tokens. */
function expectFileWorkload(r: BenchResult, prompt: { text?: string; tokens?: number[] }, gen = 3) {
  const w = r.phases.flatMap((p) => p.workloads ?? []).find((x) => x.source?.kind === 'gguf');
  expect(w, JSON.stringify(r.errors)).toBeDefined();
  expect(w?.state).toBe('ok');
  expect(w?.source).toMatchObject({ kind: 'gguf', file: FILE, bytes: size, sha256, architecture: 'llama' });
  expect(w?.text?.generatedTokens).toHaveLength(gen);
  if (prompt.text !== undefined) expect(w?.text?.prompt).toBe(prompt.text);
  if (prompt.tokens) expect(w?.text).toMatchObject({ prompt: null, promptTokens: prompt.tokens });
  // Each decode test records what its first sequence generated: from the test's own start token, not the
  // prompt, so its ids are the file's own (in its vocabulary) but not the text's.
  const decodes = w?.tests.filter((t) => t.kind === 'decode') ?? [];
  expect(decodes.length).toBeGreaterThan(0);
  for (const d of decodes) {
    expect(d.generatedTokens, d.name).toHaveLength(gen);
    expect(d.generatedTokens?.every((id) => id < (w?.arch.vocab ?? 0)), d.name).toBe(true);
  }
  return w!;
}

describe('a model file in the page', () => {
  test('picked with the file picker, listed with its size, run with a text prompt; its text is shown', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
      // What the loading display says during the run, recorded as it changes.
      await page.evaluate(() => {
        const box = document.getElementById('model-load') as HTMLElement;
        const seen: string[] = ((window as unknown as { __loads: string[] }).__loads = []);
        new MutationObserver(() => {
          const text = document.getElementById('load-text')?.textContent ?? '';
          if (!box.hidden && text && seen.at(-1) !== text) seen.push(text);
        }).observe(box, { subtree: true, childList: true, characterData: true, attributes: true });
      });

      // The picker takes .gguf files only; the list shows name and size.
      const notes = join(dir, 'notes.txt');
      writeFileSync(notes, 'not a model');
      await page.locator('#gguf-files').setInputFiles([path, notes]);
      const item = page.locator(`#model-files-list li[data-name="${FILE}"]`);
      await expect(item.locator('.file-size').textContent()).resolves.toBe(fmtBytes(size));
      await expect(page.locator('.notice.warn').last().textContent()).resolves.toMatch(/Not a model file \(\.gguf\): notes\.txt/);
      // With a file listed, the suite's models run only when asked to.
      await expect(page.locator('#gguf-with-models').isChecked()).resolves.toBe(false);
      await expect(page.locator('#gen-models').isDisabled()).resolves.toBe(true);
      // Automation hands files over too; Remove takes one off the list.
      await expect(page.evaluate(() => window.tokenbench.addFiles([new File([new Uint8Array(8)], 'spare.gguf')]))).resolves.toEqual([FILE, 'spare.gguf']);
      await page.getByRole('button', { name: 'Remove spare.gguf' }).click();
      await expect(page.evaluate(() => window.tokenbench.files())).resolves.toEqual([{ name: FILE, size }]);

      await page.locator('#suite').selectOption('smoke');
      await page.locator('#tune').uncheck();
      await page.locator('#generation-settings summary').click();
      await page.locator('#gen-formats').fill('f32');
      await page.locator('#gen-gen').fill('8');
      await page.locator('#gen-batches').fill('1');
      await page.locator('#gen-prompt-text').fill('Hello world');
      const steps: string[] = [];
      await onProgress(page, (p) => steps.push(p.step));
      await page.locator('#run').click();
      const result = await pageResult(page);

      // The request named the file and carried the prompt; the run reached the file's unit.
      expect(result.config.generation).toMatchObject({ models: [{ gguf: FILE }], promptText: 'Hello world', formats: ['f32'] });
      expect(steps.some((s) => s.includes(FILE))).toBe(true);
      const loads = await page.evaluate(() => (window as unknown as { __loads: string[] }).__loads);
      expect(loads.some((t) => t.includes(FILE)), loads.join(' | ')).toBe(true);
      await expect(page.locator('#model-load').isHidden()).resolves.toBe(true);
      expect(errors).toEqual([]);
      const w = expectFileWorkload(result, { text: 'Hello world' }, 8);
      // The page's greedy generation is llama.cpp's, token for token (test/gpu/gguf-llama.test.ts does every format in Node).
      expect(w.text?.generatedTokens).toEqual(await nativeGreedy(path, w.text?.promptTokens ?? [], 8));
      // The bar showed bytes of the file (the phase's loadingLabel), and the page shows source and text as text.
      expect(loads.some((t) => t.startsWith(`Loading ${FILE}: `) && t.includes(`of ${fmtBytes(size)}`)), loads.join(' | ')).toBe(true);
      const block = page.locator(`#model-outputs [data-workload="${w.id}"]`);
      await expect(block.locator('pre.prompt').textContent()).resolves.toBe('Hello world');
      await expect(block.locator('pre.generated').textContent()).resolves.toBe(w.text?.generated);
      await expect(block.textContent()).resolves.toContain(sha256);
      await expect(block.textContent()).resolves.toContain('llama');
    } finally {
      await browser.close();
    }
  });

  test('a result with a model file shows its source and text beside the figures, as text', async () => {
    const r = tokenResult();
    const w = r.phases[2]!.workloads![0]!;
    const generated = ' <img src=x onerror="document.title=1"> ok\nline two';
    r.phases[2]!.workloads = [{
      ...w, id: 'tiny-llama',
      source: { kind: 'gguf', file: FILE, bytes: 1234, sha256: 'ab'.repeat(32), architecture: 'llama', params: 94784, tensors: [{ type: 'Q8_0', count: 14, bytes: 1200 }] },
      text: { prompt: '<b>Hello</b>', promptTokens: [1, 2], generatedTokens: [5, 6, 7], generated },
    }];
    const file = join(tempDir(), 'with-file.json');
    writeFileSync(file, JSON.stringify(r));
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.locator('#import-json').setInputFiles(file);
      const block = page.locator('#model-outputs [data-workload="tiny-llama"]');
      await expect(block.locator('h3').textContent()).resolves.toBe(`tiny-llama — ${FILE}`);
      await expect(block.locator('pre.prompt').textContent()).resolves.toBe('<b>Hello</b>');
      await expect(block.locator('pre.generated').textContent()).resolves.toBe(generated);
      await expect(block.textContent()).resolves.toMatch(/SHA-256(ab){32}Architecturellama.*Tensor typesQ8_0 ×14/);
      await expect(page.locator('#model-outputs img, #model-outputs b').count()).resolves.toBe(0);
      await expect(page.title()).resolves.not.toBe('1');
    } finally {
      await browser.close();
    }
  });

  test('automation: a file the page does not hold is named; only .gguf Files are taken', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.evaluate(() => window.tokenbench.ready);
      await expect(page.evaluate(() => window.tokenbench.run({ suite: 'smoke', generation: { models: [{ gguf: 'absent.gguf' }] } }))).rejects.toThrow(
        /model file not in this page: "absent\.gguf"\. Pick or drop it \(automation: window\.tokenbench\.addFiles\); files held: none/,
      );
      await expect(page.locator('#files-error').textContent()).resolves.toMatch(/absent\.gguf/);
      await expect(page.locator('#model-files-list li[data-name="absent.gguf"]').textContent()).resolves.toMatch(/not picked yet/);
      await expect(page.evaluate(() => window.tokenbench.addFiles([new File(['{}'], 'r.json')]))).rejects.toThrow(/not model files \(\.gguf\): r\.json/);
      await expect(page.evaluate(() => window.tokenbench.addFiles(['x.gguf' as unknown as File]))).rejects.toThrow(/item 0 is not a File/);
      await expect(page.evaluate(() => window.tokenbench.files())).resolves.toEqual([]);
    } finally {
      await browser.close();
    }
  });

  test('an address that names a model file waits for it to be picked, then runs', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      const query = new URLSearchParams([['suite', 'smoke'], ['gguf', FILE], ['prompt-tokens', '1,2,3'], ['formats', 'f32'], ['gen', '3'], ['batches', '1'], ['tune', '0'], ['autorun', '1']]);
      await page.goto(`${server.url}?${query.toString()}`);
      await expect(page.locator('#autorun-waiting').textContent()).resolves.toMatch(new RegExp(`starts once ${FILE.replace(/\./g, '\\.')} is picked`));
      await expect(page.locator(`#model-files-list li[data-name="${FILE}"] .file-size`).textContent()).resolves.toMatch(/not picked yet/);
      let cancelled = false;
      await onProgress(page, async (p) => {
        if (!cancelled && p.stepsDone >= 1) {
          cancelled = true;
          await page.evaluate(() => window.tokenbench.cancel());
        }
      });
      await page.locator('#gguf-files').setInputFiles(path);
      const result = await pageResult(page);
      expect(result.status).toBe('cancelled');
      expect(result.config.generation).toMatchObject({ models: [{ gguf: FILE }], promptTokens: [1, 2, 3] });
      await expect(page.locator('#autorun-waiting').count()).resolves.toBe(0);
    } finally {
      await browser.close();
    }
  });
});

describe('--gguf from the command line', () => {
  test.for([
    ['the browser CLI (Playwright hands the file to the page)', [] as string[]],
    ['the Node runner (opens the file itself)', ['run', '--runtime', 'node']],
  ] as const)('%s: --gguf FILE --prompt-tokens 1,2,3 writes a schema-valid result', async ([, runtime]) => {
    const out = join(tempDir(), 'r.json');
    const run = await runCli([...runtime, '--gguf', path, '--prompt-tokens', '1,2,3', ...SMALL, '--profile', 'swiftshader', '--out', out, '--quiet']);
    const r = readResult(out);
    // The request names the file by its name only, in every transport; no path reaches the result.
    expect(run.stderr).toContain(`"models":[{"gguf":"${FILE}"}]`);
    expect(r.config.generation).toMatchObject({ models: [{ gguf: FILE }], promptTokens: [1, 2, 3] });
    expect(JSON.stringify(r)).not.toContain(dir);
    if (!runtime.length) expect(run.stderr).toContain(`model files handed to the page: ${FILE} (${size} bytes)`);
    expect(run.code, run.stderr).toBe(0);
    const w = expectFileWorkload(r, { tokens: [1, 2, 3] });
    expect(w.text?.generatedTokens).toEqual(await nativeGreedy(path, [1, 2, 3], 3));
    expect(run.stdout).toContain(`model files:\n  ${w.id}: ${FILE} · ${fmtBytes(size)} · sha256 ${sha256.slice(0, 12)} · llama`);
    expect(run.stdout).toContain('    prompt: token ids 1,2,3 (3 tokens)');
  });

  test('a Playwright browser server (--connect) is sent the file over its connection', async () => {
    const served = await startServeBrowser(['--profile', 'swiftshader']);
    try {
      const out = join(tempDir(), 'connect.json');
      const run = await runCli(['run', '--connect', served.endpoint, '--gguf', path, '--prompt-tokens', '1,2,3', ...SMALL, '--out', out, '--quiet']);
      expect(run.stderr).toContain(`model files handed to the page: ${FILE} (${size} bytes)`);
      const r = readResult(out);
      expect(r.config.generation).toMatchObject({ models: [{ gguf: FILE }] });
      expect(run.code, run.stderr).toBe(0);
      expectFileWorkload(r, { tokens: [1, 2, 3] });
    } finally {
      await served.stop();
    }
  });

  test('a local WebDriver browser gets the file typed into the page\'s file input', async () => {
    const driver = await startChromedriver();
    try {
      const out = join(tempDir(), 'wd.json');
      const run = await runCli(['run', '--webdriver', driver.url, '--profile', 'swiftshader', '--gguf', path, '--prompt-tokens', '1,2,3', ...SMALL, '--out', out, '--quiet']);
      expect(run.stderr).toContain(`model files handed to the page: ${FILE} (${size} bytes)`);
      const r = readResult(out);
      expect(r.config.generation).toMatchObject({ models: [{ gguf: FILE }] });
      expect(run.code, run.stderr).toBe(0);
      expectFileWorkload(r, { tokens: [1, 2, 3] });
    } finally {
      await driver.stop();
    }
  });

  test.each([
    [['--gguf', '/nonexistent/m.gguf'], /--gguf \/nonexistent\/m\.gguf: no such file/],
    [['run', '--runtime', 'node', '--gguf', '/nonexistent/m.gguf'], /--gguf \/nonexistent\/m\.gguf: no such file/],
    [['--gguf', 'test/e2e/gguf.test.ts'], /--gguf \S+gguf\.test\.ts: not a GGUF file \(it starts with 0x2f 0x2a 0x2a 0x0a, not "GGUF"\)/],
    [['--prompt-text', 'Hello'], /--prompt-text: a prompt is read with a model file's vocabulary/],
    [['--gguf', 'm.gguf', '--webdriver', 'http://grid.example:4444'], /WebDriver hands the page a file by its path/],
  ])('usage error %j exits 2 before anything runs', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
