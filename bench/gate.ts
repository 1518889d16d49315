/**
 * `npm run bench -- gate RESULT.json --baseline OLD.json [--max-regression 5%] [--alpha 0.05]`: the
 * baseline gate on results that already exist (a run elsewhere, a fleet member, a re-check in CI).
 * Exit codes: 0 no significant regression · 1 a metric regressed · 2 usage error or unreadable file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_ALPHA } from '../src/measure/stats';
import { DEFAULT_MAX_REGRESSION, type Unjudged, describeResult, gate, gateMarkdown, gateText } from '../src/result/gate';
import { parseResultText } from '../src/schema/result';
import { GATE_OPTIONS, HELP_OPTION } from './args';
import { type CliOption, commandHelp, helpOrError, readCommandLine } from './command-line';
import { appendStepSummary, loadBaseline } from './ending';

export interface GateArgs {
  result: string;
  baseline: string;
  maxRegression: number;
  alpha: number;
  allow: Unjudged[];
}

export type ParsedGateArgs = { kind: 'gate'; options: GateArgs } | { kind: 'help' } | { kind: 'error'; message: string };

type Reading = Omit<GateArgs, 'result' | 'baseline'> & { result: string | null; baseline: string | null; help: boolean };

const GATE_COMMAND_OPTIONS: ReadonlyArray<CliOption<Reading>> = [...GATE_OPTIONS, HELP_OPTION];

export const GATE_USAGE = commandHelp(
  {
    usage: 'Usage: npm run bench -- gate RESULT.json --baseline OLD.json [--max-regression 5%] [--alpha 0.05] [--allow LIST]',
    about:
      'Compares every headline metric of RESULT.json (kernel GB/s and GFLOP/s, tok/s, TTFT, TPOT) with OLD.json\n' +
      'on the raw samples (rank-sum test, one sample per repetition) and fails when one got worse by more than\n' +
      'the threshold and the change is significant, when RESULT.json is not valid itself, or when a metric\n' +
      'cannot be judged (missing, invalid, incomparable, inconclusive) unless --allow names that verdict.\n' +
      'With $GITHUB_STEP_SUMMARY set, appends the table as Markdown.',
    sections: [{ title: 'CI' }],
    footer: 'Exit codes: 0 the gate passed · 1 it failed (regression, invalid result, unjudged metric) · 2 usage error or unreadable file.',
  },
  GATE_COMMAND_OPTIONS,
);

/** Parses the gate subcommand's arguments (after `gate`). Pure. */
export function parseGateArgs(argv: readonly string[]): ParsedGateArgs {
  const r: Reading = { result: null, baseline: null, maxRegression: DEFAULT_MAX_REGRESSION, alpha: DEFAULT_ALPHA, allow: [], help: false };
  const error = readCommandLine(argv, GATE_COMMAND_OPTIONS, r, (s, arg) => {
    if (s.result !== null) return `unexpected argument "${arg}" (one result file)`;
    s.result = arg;
    return null;
  });
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  if (!r.result) return { kind: 'error', message: 'gate needs a result file' };
  if (!r.baseline) return { kind: 'error', message: 'gate needs --baseline FILE' };
  return { kind: 'gate', options: { result: r.result, baseline: r.baseline, maxRegression: r.maxRegression, alpha: r.alpha, allow: r.allow } };
}

export function gateMain(argv: readonly string[]): number {
  const parsed = parseGateArgs(argv);
  const code = helpOrError('tokenbench gate', parsed, GATE_USAGE);
  if (code !== null || parsed.kind !== 'gate') return code ?? 2;
  const o = parsed.options;
  const base = loadBaseline(o.baseline);
  if (!base.ok) {
    process.stderr.write(`tokenbench gate: ${base.error}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(resolve(o.result), 'utf8');
  } catch (e) {
    process.stderr.write(`tokenbench gate: ${o.result}: ${(e as Error).message}\n`);
    return 2;
  }
  const current = parseResultText(text);
  if (!current.ok) {
    process.stderr.write(`tokenbench gate: ${o.result}: ${current.error}\n`);
    return 2;
  }
  const report = gate(base.baseline.result, current.result, { maxRegression: o.maxRegression, alpha: o.alpha, allow: o.allow });
  process.stdout.write(`result: ${describeResult(current.result, o.result)}\n`);
  process.stdout.write(gateText(report, base.baseline.label));
  appendStepSummary(gateMarkdown(report, base.baseline.label));
  return report.ok ? 0 : 1;
}
