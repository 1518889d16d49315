import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { redactEndpoint } from '../../bench/fleet';
import type { FleetReport } from '../../bench/fleet-report';
import { resultOk } from '../../src/result/verdict';
import { SMALL, type Served, freePort, readResult, startServeBrowser } from './fleet-helpers';
import { runCli, tempDir } from './helpers';

describe('fleet run over Playwright browser servers (loopback)', () => {
  let plain: Served;
  let tuned: Served;
  let doomed: Served;
  beforeAll(async () => {
    [plain, tuned, doomed] = await Promise.all([
      startServeBrowser(['--profile', 'swiftshader']),
      startServeBrowser(['--profile', 'swiftshader,unquantized,no-throttle']),
      startServeBrowser(['--profile', 'swiftshader']),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tuned?.stop(), doomed?.stop()]);
  });

  test('serve-browser prints a loopback endpoint with a random path', () => {
    expect(plain.endpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{16,}$/);
    expect(plain.stderr()).toMatch(/--use-webgpu-adapter=swiftshader/);
  });

  test('runs every endpoint in parallel; a refused and a disconnected endpoint are reported, the others finish', async () => {
    const dir = tempDir();
    const out = join(dir, 'fleet.json');
    const summary = join(dir, 'summary.md');
    const refused = `ws://127.0.0.1:${await freePort()}/nothing`;
    let killed = false;
    const run = await runCli(
      ['run', '--connect', plain.endpoint, '--connect', tuned.endpoint, '--connect', doomed.endpoint, '--connect', refused, ...SMALL, '--out', out],
      { ...process.env, GITHUB_STEP_SUMMARY: summary },
      (soFar) => {
        // Once the third machine is running, stop its browser server: it disconnects mid-run.
        if (!killed && /\[#3 [^\]]*%\]/.test(soFar)) {
          killed = true;
          void doomed.stop();
        }
      },
    );
    expect(killed).toBe(true);
    expect(await doomed.exited).toBe(0);
    expect(run.code, run.stderr).toBe(1);

    const a = readResult(join(dir, 'fleet.1.json'));
    const b = readResult(join(dir, 'fleet.2.json'));
    for (const [r, served] of [[a, plain], [b, tuned]] as const) {
      expect(resultOk(r)).toBe(true);
      expect(r.runtime.endpoint).toBe(redactEndpoint(served.endpoint));
      expect(r.runtime.endpoint).not.toContain(served.endpoint.split('/').pop());
      // The remote browser's real command line, read over CDP.
      expect(r.runtime.flags).toContain('--use-webgpu-adapter=swiftshader');
      expect(r.environment?.software.isSoftware).toBe(true);
    }
    // Profiles take effect on the server side: developer features give exact timestamps.
    expect(b.runtime.flags).toEqual(expect.arrayContaining(['--enable-webgpu-developer-features', '--disable-dawn-features=timestamp_quantization', '--disable-hang-monitor']));
    expect(b.timer?.quantized).toBe(false);

    const report = JSON.parse(readFileSync(out, 'utf8')) as FleetReport;
    expect(report.schema).toBe('tokenbench/fleet');
    expect(report.endpoints.map((e) => e.ok)).toEqual([true, true, false, false]);
    expect(report.endpoints[0]?.file).toBe(join(dir, 'fleet.1.json'));
    expect(report.endpoints[2]?.error).toMatch(/closed|disconnected/i);
    expect(report.endpoints[3]?.error).toMatch(/ECONNREFUSED/);
    expect(report.metrics.find((m) => m.id === 'read-bandwidth')?.values).toEqual([expect.any(Number), expect.any(Number), null, null]);
    expect(report.metrics.map((m) => m.id)).toEqual(expect.arrayContaining(['matmul-f32-127x129x131', 'tiny-q4_0 pp16 TTFT', 'tiny-q4_0 tg3 TPOT']));
    expect(report.comparison.results).toHaveLength(2);

    expect(run.stdout).toMatch(/fleet: 4 endpoint\(s\), 2 ok/);
    expect(run.stdout).toMatch(/#3 ws:\/\/127\.0\.0\.1:\d+\/… \[playwright\]: FAILED: /);
    expect(run.stdout).toMatch(/read-bandwidth \(GB\/s\)/);
    expect(readFileSync(summary, 'utf8')).toMatch(/### tokenbench fleet/);
    // Every endpoint got the same request through the page's automation API, the page over the connection.
    expect(run.stderr.match(/\] page http:\/\/tokenbench\.localhost\/ \(tokenbench [^)]+\): window\.tokenbench\.run\(\{"suite":"smoke"/g)?.length).toBeGreaterThanOrEqual(2);
  });
});
