import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { recordedSwitches } from '../../bench/drivers/playwright';
import { webDriverFlags, webDriverPageBase } from '../../bench/drivers/webdriver';
import { appendStepSummary, extraFormatNames, formatSuffix, outStem, prepareEnding } from '../../bench/ending';
import { endpointLabel, errorText, redactEndpoint } from '../../bench/fleet';
import { type FleetEntry, fleetMarkdown, fleetRows, fleetText } from '../../bench/fleet-report';
import { resultMarkdown } from '../../src/result/formats';
import { validResultWithWorkload } from './fixtures';

describe('endpoints in results and reports', () => {
  test.each([
    ['ws://gpu-a:3000/6f1c0ffee', 'ws://gpu-a:3000/…'],
    ['wss://farm.example/abc?token=x', 'wss://farm.example/…'],
    ['ws://127.0.0.1:3000', 'ws://127.0.0.1:3000'],
    ['https://user:secret@hub.example.com/wd/hub?x=1#y', 'https://hub.example.com/wd/hub'],
    ['http://127.0.0.1:9515', 'http://127.0.0.1:9515'],
    ['nonsense', '(invalid URL)'],
  ])('%s is recorded as %s (no path key, credentials or query)', (url, want) => {
    expect(redactEndpoint(url)).toBe(want);
  });

  test('labels number endpoints in command-line order', () => {
    expect(endpointLabel(1, 'ws://b:1/x')).toBe('#2 ws://b:1/…');
  });

  test('errors are one line, without terminal colours or the call log', () => {
    const e = new Error('browserType.connect: WebSocket error: connect ECONNREFUSED 127.0.0.1:1\nCall log:\n\x1b[2m  - <ws connecting> ws://127.0.0.1:1/x\x1b[22m\n');
    expect(errorText(e)).toBe('browserType.connect: WebSocket error: connect ECONNREFUSED 127.0.0.1:1');
  });

  test("the remote browser's command line keeps switches, not profile paths or the debugging pipe", () => {
    expect(recordedSwitches(['/usr/lib/chromium/chromium', '--enable-unsafe-webgpu', '--user-data-dir=/tmp/p', '--remote-debugging-pipe', '--enable-automation', 'about:blank'])).toEqual([
      '--enable-unsafe-webgpu',
    ]);
  });
});

describe('WebDriver page server and flags', () => {
  test.each([
    [{ serveBind: '127.0.0.1', serveHost: null }, 'http://127.0.0.1:8123/'],
    [{ serveBind: '0.0.0.0', serveHost: 'bench.lan' }, 'http://bench.lan:8123/'],
    [{ serveBind: '10.0.0.5', serveHost: null }, 'http://10.0.0.5:8123/'],
    [{ serveBind: '::', serveHost: 'fd00::1' }, 'http://[fd00::1]:8123/'],
  ])('%j → %s', (o, want) => {
    expect(webDriverPageBase(o, 8123)).toBe(want);
  });

  test('a loopback page needs no insecure-origin exception; --no-sandbox only for a local endpoint as root', () => {
    const f = webDriverFlags({ profiles: ['swiftshader'], flags: [] }, 'http://127.0.0.1:9515', 'http://127.0.0.1:8123/', true);
    expect(f).toContain('--use-webgpu-adapter=swiftshader');
    expect(f).toContain('--no-sandbox');
    expect(f.some((x) => x.startsWith('--unsafely-treat-insecure-origin-as-secure'))).toBe(false);
  });

  test('a remote page origin is marked secure for WebGPU; no --no-sandbox for a remote endpoint', () => {
    const f = webDriverFlags({ profiles: ['nvidia'], flags: [] }, 'http://grid:4444/wd/hub', 'http://bench.lan:8123/', true);
    expect(f).toContain('--unsafely-treat-insecure-origin-as-secure=http://bench.lan:8123');
    expect(f).not.toContain('--no-sandbox');
  });
});

function entries(): FleetEntry[] {
  const a = validResultWithWorkload();
  const b = validResultWithWorkload();
  const m = b.phases[0]?.measurements[0];
  if (m?.state === 'ok') m.timing.samplesNs = m.timing.samplesNs.map((x) => x / 2);
  return [
    { label: '#1 ws://a:1/…', endpoint: 'ws://a:1/…', driver: 'playwright', result: a, error: null, file: 'f.1.json' },
    { label: '#2 http://b:2', endpoint: 'http://b:2', driver: 'webdriver', result: b, error: null, file: 'f.2.json' },
    { label: '#3 ws://c:3/…', endpoint: 'ws://c:3/…', driver: 'playwright', result: null, error: 'the browser server disconnected', file: null },
  ];
}

describe('merged comparison of a fleet run', () => {
  test('one row per headline metric, one value per endpoint, null where not measured', () => {
    const rows = fleetRows(entries());
    expect(rows.map((r) => r.id)).toEqual(['read-bw-64MiB', 'tiny-q4_0 pp16 tok/s', 'tiny-q4_0 pp16 TTFT', 'tiny-q4_0 tg8 b4 tok/s', 'tiny-q4_0 tg8 b4 TPOT']);
    const bw = rows[0];
    expect(bw?.values[2]).toBeNull();
    expect((bw?.values[1] as number) / (bw?.values[0] as number)).toBeCloseTo(2, 6);
  });

  test('text: each endpoint with its outcome or error, the table with the best marked', () => {
    const t = fleetText(entries());
    expect(t).toMatch(/fleet: 3 endpoint\(s\)/);
    expect(t).toMatch(/#3 ws:\/\/c:3\/… \[playwright\]: FAILED: the browser server disconnected/);
    expect(t).toMatch(/#2 http:\/\/b:2 \[webdriver\]: completed/);
    expect(t).toMatch(/read-bw-64MiB \(GB\/s\)\s+\S+\s+\S+ \*\s+—/);
  });

  test('Markdown for the step summary', () => {
    const md = fleetMarkdown(entries());
    expect(md).toMatch(/^### tokenbench fleet/);
    expect(md).toMatch(/\| #3 ws:\/\/c:3\/… \| playwright \| FAILED: the browser server disconnected \|/);
    expect(md).toMatch(/\| metric \| #1 ws:\/\/a:1\/… \| #2 http:\/\/b:2 \| #3 ws:\/\/c:3\/… \|/);
  });
});

describe('CI outputs', () => {
  test('result Markdown (the md format is the step summary) names status, adapter and every headline metric', () => {
    const md = resultMarkdown(validResultWithWorkload());
    expect(md).toMatch(/^### tokenbench smoke/);
    expect(md).toMatch(/- \*\*status:\*\* completed/);
    expect(md).toMatch(/NVIDIA H100/);
    // TPOT from the run's own median time over its 8 tokens (one sample per repetition).
    expect(md).toMatch(/\| tiny-q4_0 tg8 b4 TPOT \(ms\) \| 12\.5 ms \| 3 \| wall \|/);
    expect(md).toMatch(/\| read-bw-64MiB \(GB\/s\) \|/);
  });

  test('the step summary is appended only when GITHUB_STEP_SUMMARY is set', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tokenbench-summary-')), 'summary.md');
    expect(appendStepSummary('# one', {})).toBe(false);
    expect(appendStepSummary('# one', { GITHUB_STEP_SUMMARY: file })).toBe(true);
    expect(appendStepSummary('# two\n', { GITHUB_STEP_SUMMARY: file })).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('# one\n# two\n');
  });

  test.each([
    ['github-bigger', '.github-bigger.json'],
    ['github-smaller', '.github-smaller.json'],
    ['csv', '.csv'],
    ['md', '.md'],
    ['text', '.txt'],
  ])('--format %s is written beside the result as r%s', (name, suffix) => {
    expect(extraFormatNames()).toContain(name);
    expect(`${outStem('out/r.json')}${formatSuffix(name)}`).toBe(`out/r${suffix}`);
  });

  test('unknown formats and unreadable baselines are usage errors before anything runs', () => {
    const o = { out: null, baseline: null, maxRegression: 0.05, alpha: 0.05, allow: [], tuneCache: '/t.json', request: { tune: { enabled: true } } };
    expect(prepareEnding({ ...o, outputFormats: ['nope'] })).toMatchObject({ ok: false, error: expect.stringMatching(/unknown format "nope"/) });
    expect(prepareEnding({ ...o, baseline: '/nonexistent/b.json', outputFormats: [] })).toMatchObject({ ok: false, error: expect.stringMatching(/no such file/) });
    expect(prepareEnding({ ...o, outputFormats: ['github-bigger'] })).toEqual({
      ok: true,
      ending: { out: null, outputFormats: ['github-bigger'], baseline: null, maxRegression: 0.05, alpha: 0.05, allow: [], tuneCache: '/t.json', submit: null },
    });
    // No tuning, no cache file to keep choices in.
    expect(prepareEnding({ ...o, outputFormats: [], request: { tune: { enabled: false } } })).toMatchObject({ ok: true, ending: { tuneCache: null } });
  });
});
