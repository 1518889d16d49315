import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseResultText } from '../../src/schema/result';
import { runCli, tempDir } from './helpers';

describe('CLI interrupted with Ctrl-C', () => {
  test('SIGINT cancels the run and still writes a valid partial result, atomically', async () => {
    const out = join(tempDir(), 'partial.json');
    let sent = false;
    const run = await runCli(['--suite', 'smoke', '--profile', 'swiftshader', '--out', out], process.env, (soFar, child) => {
      // Interrupt once the second roofline step has started: the first one is complete by then.
      if (!sent && /copy bandwidth/.test(soFar)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(run.stderr).toMatch(/cancelling; completed phases will be written/);
    expect(run.code).toBe(1);
    expect(existsSync(out)).toBe(true);
    // No temporary file left behind.
    expect(readdirSync(dirname(out))).toEqual(['partial.json']);
    const parsed = parseResultText(readFileSync(out, 'utf8'));
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.result.status).toBe('cancelled');
    const roofline = parsed.result.phases[0];
    expect(roofline?.state).toBe('cancelled');
    expect(roofline?.measurements[0]).toMatchObject({ id: 'read-bandwidth', state: 'ok' });
    expect(parsed.result.phases.slice(1).every((p) => p.state === 'skipped')).toBe(true);
  });
});
