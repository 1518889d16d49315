/**
 * A suite larger than smoke on a software adapter (SwiftShader, llvmpipe, WARP, a fallback adapter). The
 * page switches to smoke by itself (src/ui/main.ts); the command line, once the runtime has described its
 * adapter and before anything runs or is written, warns, then goes on with --yes, asks on a terminal, and
 * refuses anywhere else (exit 2). A fleet never asks: an endpoint on a software adapter is refused, and
 * recorded as failed, unless --yes was given. No npm imports: the Node runner's bundle uses it.
 */
import { createInterface } from 'node:readline/promises';
import { adapterName } from '../src/result/figures';
import type { Environment, SuiteName } from '../src/schema/result';

/** Suites meant for software adapters: they run on any adapter without a question. */
const ANY_ADAPTER_SUITES: readonly SuiteName[] = ['smoke'];

/** Exit code of a run that was not confirmed: nothing ran, nothing was written. */
export const NOT_CONFIRMED_EXIT = 2;

export type SoftwareRunDecision = 'go' | 'ask' | 'refuse';

export interface SoftwareRunCase {
  suite: SuiteName;
  /** The adapter is a software one (environment.software.isSoftware). */
  software: boolean;
  /** --yes was given. */
  yes: boolean;
  /** There is a person to ask: a terminal on stdin and stderr, and not a fleet. */
  interactive: boolean;
}

/** Whether a run goes on, is put to the user, or is refused. Pure. */
export function softwareRunDecision(c: SoftwareRunCase): SoftwareRunDecision {
  if (ANY_ADAPTER_SUITES.includes(c.suite) || !c.software || c.yes) return 'go';
  return c.interactive ? 'ask' : 'refuse';
}

/** The run stopped before it started: the suite on a software adapter was not confirmed. */
export class RunNotConfirmed extends Error {
  override name = 'RunNotConfirmed';
}

/** What the user is told before the question (or the refusal, or the run with --yes). */
export function softwareWarning(suite: SuiteName, env: Environment): string[] {
  return [
    `WARNING: software adapter: ${adapterName(env.adapter)} (${env.software.reason}).`,
    `Figures on it measure a CPU emulation of a GPU: they check the harness, never the hardware. The ${suite} suite ` +
      'takes hours here (smoke takes minutes); --suite smoke is the suite for software adapters.',
  ];
}

export const confirmQuestion = (suite: SuiteName): string => `Run the ${suite} suite on this software adapter anyway? [y/N] `;

/** y or yes, any case; everything else (an empty line included) is no. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** A person can answer: stdin and stderr (where the question goes) are both a terminal. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Asks on the terminal; Ctrl-C or Ctrl-D at the question is a no. */
async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((answer) => {
      rl.once('SIGINT', () => answer(''));
      rl.once('close', () => answer(''));
      rl.question(question).then(answer, () => answer(''));
    });
  } finally {
    rl.close();
  }
}

export interface Admission {
  suite: SuiteName;
  yes: boolean;
  interactive: boolean;
  /** A fleet run: it never asks, and its refusal says so. */
  fleet?: boolean;
  log: (line: string) => void;
  /** How the question is put (tests); default: the terminal. */
  ask?: (question: string) => Promise<string>;
}

/**
 * The check a driver makes once its runtime has described the adapter, before the run (DriveContext.admit):
 * resolves to go on, rejects with RunNotConfirmed to stop. Undefined for suites that run anywhere, so that
 * drivers need not describe the adapter at all.
 */
export function softwareAdmission(a: Admission): ((env: Environment) => Promise<void>) | undefined {
  if (ANY_ADAPTER_SUITES.includes(a.suite)) return undefined;
  return async (env) => {
    if (!env.software.isSoftware) return;
    const decision = softwareRunDecision({ suite: a.suite, software: true, yes: a.yes, interactive: a.interactive && !a.fleet });
    for (const line of softwareWarning(a.suite, env)) a.log(line);
    if (decision === 'go') {
      a.log(`--yes: running the ${a.suite} suite on it anyway`);
      return;
    }
    if (decision === 'refuse') {
      throw new RunNotConfirmed(
        `not running the ${a.suite} suite on a software adapter without confirmation (${a.fleet ? 'a fleet does not ask' : 'no terminal to ask on'}): ` +
          'pass --yes to run it anyway, or --suite smoke',
      );
    }
    const answer = await (a.ask ?? askOnTerminal)(confirmQuestion(a.suite));
    if (!isYes(answer)) throw new RunNotConfirmed(`the ${a.suite} suite was not run (not confirmed); nothing was written. --suite smoke checks the harness here`);
  };
}
