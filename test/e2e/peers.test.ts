/**
 * llama.cpp in the page (the `webgpu` peer, wllama) beside tokenbench, in headless Chromium on SwiftShader:
 * the page's first load fetches neither wllama nor its wasm; ticking the checkbox writes the synthetic model
 * to a GGUF file, runs tokenbench then llama.cpp on it, and `window.tokenbench.run`'s result (what the CLI
 * gets) carries the peer's figures, ratios and agreement, shown in the page. One tiny workload keeps it short.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StaticServer } from '../../bench/serve';
import { KERNEL_LIMITED_NOTE } from '../../src/result/peers';
import { WLLAMA_VERSION } from '../../src/runtime/peers/names';
import { launch, onProgress, pageResult, servePage } from './helpers';

let server: StaticServer;
beforeAll(async () => {
  server = await servePage();
});
afterAll(async () => {
  await server.close();
});

/** The smallest smoke run: the tiny preset in f32, pp8 and tg4, one repetition, no tuning. */
const SMALL = 'suite=smoke&formats=f32&prompt=8&gen=4&depths=0&batches=1&gen-reps=1&tune=0';

describe('llama.cpp WebGPU peer in the page', () => {
  test('loads lazily; the checkbox runs it on the same file; the result and the page carry its figures', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${server.url}?${SMALL}`);
      await page.locator('#device').getByText('swiftshader').first().waitFor({ timeout: 60_000 });
      await page.evaluate(() => window.tokenbench.ready);
      // The first load: the page and its worker, nothing of llama.cpp.
      expect(requests.filter((u) => /wllama/i.test(u))).toEqual([]);
      expect(requests.some((u) => /\/assets\/worker-/.test(u))).toBe(true);

      // Automation (the CLI's drivers) hears the peer's steps as one more phase.
      const peerSteps: string[] = [];
      await onProgress(page, (p) => p.phaseId === 'peers' && peerSteps.push(p.step));
      await page.locator('#peer-webgpu').check();
      await page.locator('#run').click();
      const result = await pageResult(page);
      expect(result.status).toBe('completed');
      expect(result.config.peers).toEqual({ engines: ['webgpu'], native: 'auto' });
      const w = result.phases.flatMap((p) => p.workloads ?? []).find((x) => x.id === 'tiny-f32');
      expect(w?.state).toBe('ok');
      expect(w?.source).toMatchObject({ kind: 'gguf', file: 'tiny-f32.gguf' });
      const peer = w?.peers?.find((p) => p.engine === 'webgpu');
      expect(peer, JSON.stringify(w?.peers)).toBeDefined();
      expect(peer).toMatchObject({ state: 'ok', version: WLLAMA_VERSION, backend: 'cpu' });
      // SwiftShader has no shader-f16: ggml-webgpu does not register and llama.cpp runs on its WebAssembly CPU path.
      expect(peer?.backendNote).toMatch(/shader-f16/);
      expect(peer?.tests.map((t) => [t.name, t.tokens])).toEqual([
        ['pp8', 8],
        ['tg4', 4],
      ]);
      for (const t of peer?.tests ?? []) expect(t.rate.median).toBeGreaterThan(0);
      expect(peer?.agreement?.method).toBe('token-ids');
      expect(peer?.agreement?.compared).toBe(4);
      expect(peer?.ratios?.map((x) => x.test)).toEqual(['pp8', 'tg4']);
      for (const x of peer?.ratios ?? []) {
        expect(x.ratio).toBeGreaterThan(0);
        // llama.cpp ran on the CPU, not on tokenbench's adapter: no kernel-limited verdict.
        expect(x.kernelLimited).toBe(false);
      }

      // The page shows it: % of llama.cpp per test, the peer's backend, differences and agreement.
      await expect(page.locator('#tokens-body .peer-ratio').first().textContent()).resolves.toMatch(/\d+ % of llama\.cpp WebGPU/);
      await expect(page.locator('#tokens-body').textContent()).resolves.not.toContain(KERNEL_LIMITED_NOTE);
      const block = (await page.locator('#model-outputs .peer[data-engine="webgpu"]').textContent()) ?? '';
      expect(block).toMatch(/llama\.cpp WebGPU: ok/);
      expect(block).toMatch(/cpu — ggml-webgpu needs the shader-f16 feature/);
      expect(block).toMatch(/Differences.*tokenbench on the GPU/);
      expect(block).toMatch(/of 4 greedy tokens agree/);
      await expect(page.locator('#progress-text').textContent()).resolves.toMatch(/Finished/);
      expect(peerSteps).toContain('llama.cpp WebGPU · tiny-f32 · pp8 1/1');
      // Under the page's CSP (header and meta), from its own origin only, without a refusal in the console.
      const origin = new URL(server.url).origin;
      expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:'))).toEqual([]);
      expect(requests.filter((u) => /wllama.*\.wasm$/.test(u)).length).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
