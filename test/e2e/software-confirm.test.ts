/**
 * The standard suite on a software adapter from the command line, without --yes and without a terminal:
 * refused once the runtime has described SwiftShader, before anything runs or is written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli, tempDir } from './helpers';

test.for([
  ['the local browser', []],
  ['the Node runner', ['run', '--runtime', 'node']],
] as const)('%s: --suite standard on SwiftShader, no --yes, no terminal → exit 2, no result file', async ([, runtime]) => {
  const out = join(tempDir(), 'refused.json');
  const t0 = Date.now();
  const run = await runCli([...runtime, '--suite', 'standard', '--profile', 'swiftshader', '--out', out]);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(/WARNING: software adapter: .*swiftshader/i);
  expect(run.stderr).toMatch(/CPU emulation of a GPU/);
  expect(run.stderr).toMatch(/not running the standard suite on a software adapter without confirmation \(no terminal to ask on\): pass --yes to run it anyway, or --suite smoke/);
  // Refused before the run: no phase started.
  expect(run.stderr).not.toMatch(/execute\(|window\.tokenbench\.run\(/);
  expect(existsSync(out)).toBe(false);
  expect(Date.now() - t0).toBeLessThan(120_000);
});
