/**
 * `npm run bench -- gate RESULT.json --baseline OLD.json [--max-regression 5%] [--alpha 0.05]`: the
 * baseline gate on results that already exist (a run elsewhere, a fleet member, a re-check in CI).
 * Exit codes: 0 no significant regression · 1 a metric regressed · 2 usage error or unreadable file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseResultText } from '../src/schema/result';
import { parsePercentOption } from './args';
import { DEFAULT_MAX_REGRESSION, describeResult, gate, gateMarkdown, gateText } from '../src/result/gate';
import { loadBaseline } from './report';
import { appendStepSummary } from './summary';

export const GATE_USAGE = `Usage: npm run bench -- gate RESULT.json --baseline OLD.json [--max-regression 5%] [--alpha 0.05]

Compares every headline metric of RESULT.json (kernel GB/s and GFLOP/s, tok/s, TTFT, TPOT) with OLD.json
on the raw samples (Mann–Whitney rank-sum test) and fails when one got worse by more than the threshold
and the change is significant. With $GITHUB_STEP_SUMMARY set, appends the table as Markdown.

Exit codes: 0 no significant regression · 1 a metric regressed · 2 usage error or unreadable file.`;

export interface GateArgs {
  result: string;
  baseline: string;
  maxRegression: number;
  alpha: number;
}

export type ParsedGateArgs = { kind: 'gate'; options: GateArgs } | { kind: 'help' } | { kind: 'error'; message: string };

/** Parses the gate subcommand's arguments (after `gate`). Pure. */
export function parseGateArgs(argv: readonly string[]): ParsedGateArgs {
  let result: string | null = null;
  let baseline: string | null = null;
  let maxRegression = DEFAULT_MAX_REGRESSION;
  let alpha = 0.05;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const name = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--baseline': {
        const v = value();
        if (!v) return { kind: 'error', message: '--baseline needs a result file' };
        baseline = v;
        break;
      }
      case '--max-regression': {
        const v = value() ?? '';
        const f = parsePercentOption(v);
        if (f === null) return { kind: 'error', message: `--max-regression: expected a percentage such as 5%, got "${v}"` };
        maxRegression = f;
        break;
      }
      case '--alpha': {
        const v = value() ?? '';
        const a = Number(v);
        if (!(a > 0 && a < 1)) return { kind: 'error', message: `--alpha: expected a significance level between 0 and 1, got "${v}"` };
        alpha = a;
        break;
      }
      default:
        if (raw.startsWith('-')) return { kind: 'error', message: `unknown option "${raw}"` };
        if (result !== null) return { kind: 'error', message: `unexpected argument "${raw}" (one result file)` };
        result = raw;
    }
  }
  if (!result) return { kind: 'error', message: 'gate needs a result file' };
  if (!baseline) return { kind: 'error', message: 'gate needs --baseline FILE' };
  return { kind: 'gate', options: { result, baseline, maxRegression, alpha } };
}

export function gateMain(argv: readonly string[]): number {
  const parsed = parseGateArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${GATE_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`tokenbench gate: ${parsed.message}\n\n${GATE_USAGE}\n`);
    return 2;
  }
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
  const report = gate(base.baseline.result, current.result, { maxRegression: o.maxRegression, alpha: o.alpha });
  process.stdout.write(`result: ${describeResult(current.result, o.result)}\n`);
  process.stdout.write(gateText(report, base.baseline.label));
  appendStepSummary(gateMarkdown(report, base.baseline.label));
  return report.ok ? 0 : 1;
}
