/** A suite other than smoke on a software adapter: the CLI's decision (go, ask, refuse) and what it says. */
import { describe, expect, test } from 'vitest';
import { parseArgs } from '../../bench/args';
import { RunNotConfirmed, type SoftwareRunCase, type SoftwareRunDecision, isYes, softwareAdmission, softwareRunDecision } from '../../bench/software-run';
import type { Environment } from '../../src/schema/result';
import { validResult } from './fixtures';

const hardware = validResult().environment as Environment;
const swiftshader: Environment = {
  ...hardware,
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: false },
  software: { isSoftware: true, reason: 'adapter architecture "swiftshader" names a software implementation' },
};

describe('softwareRunDecision', () => {
  const cases: Array<[SoftwareRunCase, SoftwareRunDecision]> = [];
  for (const suite of ['smoke', 'standard'] as const) {
    for (const software of [false, true]) {
      for (const yes of [false, true]) {
        for (const interactive of [false, true]) {
          const decision = suite === 'smoke' || !software || yes ? 'go' : interactive ? 'ask' : 'refuse';
          cases.push([{ suite, software, yes, interactive }, decision]);
        }
      }
    }
  }
  test.each(cases)('%j → %s', (c, decision) => {
    expect(softwareRunDecision(c)).toBe(decision);
  });
});

describe('softwareAdmission', () => {
  const run = async (suite: 'smoke' | 'standard', env: Environment, o: { yes?: boolean; interactive?: boolean; fleet?: boolean; answer?: string }) => {
    const lines: string[] = [];
    const asked: string[] = [];
    const admit = softwareAdmission({
      suite,
      yes: o.yes ?? false,
      interactive: o.interactive ?? false,
      fleet: o.fleet ?? false,
      log: (l) => lines.push(l),
      ask: async (q) => (asked.push(q), o.answer ?? ''),
    });
    let error: unknown = null;
    try {
      await admit?.(env);
    } catch (e) {
      error = e;
    }
    return { admit, lines, asked, error };
  };

  test('smoke needs no check: no admission, so the drivers do not even describe the adapter', async () => {
    expect((await run('smoke', swiftshader, {})).admit).toBeUndefined();
  });

  test('a hardware adapter goes on silently', async () => {
    expect(await run('standard', hardware, {})).toMatchObject({ lines: [], asked: [], error: null });
  });

  test('with --yes: the warning, then the run', async () => {
    const r = await run('standard', swiftshader, { yes: true });
    expect(r.error).toBeNull();
    expect(r.asked).toEqual([]);
    expect(r.lines.join('\n')).toMatch(/WARNING: software adapter: google \/ swiftshader \/ SwiftShader Device \(Subzero\) \(adapter architecture "swiftshader"/);
    expect(r.lines.join('\n')).toMatch(/CPU emulation of a GPU.*takes hours here.*--suite smoke/s);
    expect(r.lines.at(-1)).toMatch(/--yes: running the standard suite on it anyway/);
  });

  test.each([['y'], ['Y'], ['yes'], [' YES ']])('on a terminal, %j goes on', async (answer) => {
    const r = await run('standard', swiftshader, { interactive: true, answer });
    expect(r.asked).toEqual(['Run the standard suite on this software adapter anyway? [y/N] ']);
    expect(r.error).toBeNull();
  });

  test.each([[''], ['n'], ['no'], ['yep']])('on a terminal, %j stops it: not confirmed, nothing written', async (answer) => {
    const r = await run('standard', swiftshader, { interactive: true, answer });
    expect(r.lines[0]).toMatch(/WARNING: software adapter/);
    expect(r.error).toBeInstanceOf(RunNotConfirmed);
    expect((r.error as Error).message).toMatch(/the standard suite was not run \(not confirmed\); nothing was written/);
  });

  test('without a terminal: warned, refused, told what to pass', async () => {
    const r = await run('standard', swiftshader, {});
    expect(r.asked).toEqual([]);
    expect(r.lines[0]).toMatch(/WARNING: software adapter/);
    expect((r.error as Error).message).toMatch(/no terminal to ask on\): pass --yes to run it anyway, or --suite smoke/);
  });

  test('a fleet never asks, even from a terminal', async () => {
    const r = await run('standard', swiftshader, { interactive: true, fleet: true });
    expect(r.asked).toEqual([]);
    expect((r.error as Error).message).toMatch(/a fleet does not ask\): pass --yes/);
  });
});

test.each([['y'], ['yes']])('isYes(%j)', (a) => expect(isYes(a)).toBe(true));

test.each([['--yes'], ['-y']])('%s is parsed into the options', (flag) => {
  const p = parseArgs(['--suite', 'standard', flag]);
  expect(p.kind === 'run' && p.options.yes).toBe(true);
  expect(parseArgs(['--yes=1'])).toEqual({ kind: 'error', message: '--yes takes no value' });
});
