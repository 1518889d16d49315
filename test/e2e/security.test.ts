import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StaticServer } from '../../bench/serve';
import { CSP_HEADER, CSP_META } from '../../src/csp';
import { launch, pageResult, servePage } from './helpers';

let server: StaticServer;
beforeAll(async () => {
  server = await servePage();
});
afterAll(async () => {
  await server.close();
});

/** The policy's directives by name, each with its sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name = '', ...sources]) => [name, sources]));
}

/**
 * Same origin only: every source of every fetch directive is 'self', 'none', or a scheme whose URLs only
 * this origin's own script can make (blob:, and data: for images); the only keyword beyond them is
 * 'wasm-unsafe-eval' (llama.cpp's wasm in the page: WebAssembly compilation, not JavaScript eval).
 */
function expectSameOriginOnly(policy: string): void {
  const d = directives(policy);
  expect(d.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(d.get('worker-src')).toEqual(["'self'", 'blob:']);
  expect(d.get('connect-src')).toEqual(["'self'"]);
  expect(d.get('default-src')).toEqual(["'self'"]);
  expect(d.get('object-src')).toEqual(["'none'"]);
  const allowed = new Set(["'self'", "'none'", "'wasm-unsafe-eval'", 'blob:', 'data:']);
  for (const [name, sources] of d) {
    if (name === 'frame-ancestors') continue;
    expect(sources.filter((s) => !allowed.has(s)), name).toEqual([]);
  }
}

const HOSTILE = '<img src=x onerror="globalThis.pwned=1"><script>globalThis.pwned=1</script>';

describe('page security', () => {
  test('hostile strings in an imported result are shown as text, never as HTML', async () => {
    const { validResultWithWorkload } = await import('../unit/fixtures');
    const r = validResultWithWorkload();
    r.phases[0]!.title = HOSTILE;
    r.phases[0]!.measurements[0]!.label = HOSTILE;
    r.phases.at(-1)!.workloads![0]!.arch.name = HOSTILE;
    r.environment!.adapter.vendor = HOSTILE;
    r.errors.push({ source: 'phase', message: HOSTILE, at: r.startedAt });
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.locator('#import-json').setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(r)) });
      await page.locator('#results-summary').getByText(/imported hostile\.json/).waitFor();
      await expect(page.locator('#results img, #tokens img, #results-summary img, #results script').count()).resolves.toBe(0);
      await expect(page.locator('#results-body').textContent()).resolves.toContain(HOSTILE);
      await expect(page.locator('#tokens-body').textContent()).resolves.toContain(HOSTILE);
      await expect(page.evaluate(() => (globalThis as { pwned?: number }).pwned)).resolves.toBeUndefined();
    } finally {
      await browser.close();
    }
  });

  test('the built page carries a CSP, runs under it, and requests nothing beyond its own origin', async () => {
    const browser = await launch(['swiftshader']);
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${server.url}?suite=smoke&autorun=1&formats=q4_0&gen=2&batches=1`);
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(csp).toBe(CSP_META);
      expectSameOriginOnly(csp ?? '');
      expectSameOriginOnly(CSP_HEADER);
      expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*|https?:/);
      const result = await pageResult(page);
      expect(result.status).toBe('completed');
      // An inline script must be refused under the policy.
      const inlineRan = await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 1';
        document.body.appendChild(s);
        return (window as unknown as { __inline?: number }).__inline === 1;
      });
      expect(inlineRan).toBe(false);
      const origin = new URL(server.url).origin;
      const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
      expect(foreign).toEqual([]);
      expect(requests.length).toBeGreaterThan(2);
      // llama.cpp (wllama and its wasm) loads only for a run that asks for the peer.
      expect(requests.filter((u) => /wllama/i.test(u))).toEqual([]);
      // The only console error allowed is the refused inline script above.
      expect(problems.filter((p) => !/inline script/i.test(p))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
