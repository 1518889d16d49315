/**
 * `npm run bench -- compare a.json b.json ... [--format md|csv|json|github-bigger|github-smaller]`:
 * validates each result file (untrusted: size limit, schema, the JSON path of the first bad field) and
 * prints the comparison to stdout. Exit codes: 0 printed · 2 usage error or a file that is not a valid result.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { COMPARE_FORMATS, type CompareFormat, type LabelledResult, compareFormats, isCompareFormat, uniqueLabels } from '../src/result/compare';
import { checkIntegrity, integrityMessage } from '../src/result/integrity';
import { MAX_IMPORT_BYTES, parseResultText } from '../src/schema/result';
import { HELP_OPTION } from './args';
import { type CliOption, commandHelp, readCommandLine } from './command-line';

type Reading = { files: string[]; format: CompareFormat; help: boolean };

const COMPARE_OPTIONS: ReadonlyArray<CliOption<Reading>> = [
  {
    name: 'format', type: 'string', value: 'F', section: 'Options',
    help: 'md (default, llama-bench-like Markdown), csv, json, github-bigger, github-smaller (github-action-benchmark customBiggerIsBetter / customSmallerIsBetter)',
    set: (s, v) => (isCompareFormat(v as string) ? ((s.format = v as CompareFormat), null) : `--format must be one of ${COMPARE_FORMATS.join(', ')}, got "${v}"`),
  },
  HELP_OPTION,
];

export const COMPARE_USAGE = commandHelp(
  {
    usage: `Usage: npm run bench -- compare A.json B.json ... [--format ${COMPARE_FORMATS.join('|')}]`,
    about:
      'Compares tokenbench results: a table of every token test (device, runtime, tok/s, % of bound, $/1M tokens,\n' +
      'J/token, verification, software-adapter label) and the diff of each result against the first, with the\n' +
      '% change and a Mann–Whitney rank test on the raw samples. Printed to stdout.',
    sections: [{ title: 'Options' }],
    footer: 'Exit codes: 0 ok · 2 usage error, or a file that is missing or not a valid tokenbench result.',
  },
  COMPARE_OPTIONS,
);

export type CompareArgs = { kind: 'compare'; files: string[]; format: CompareFormat } | { kind: 'help' } | { kind: 'error'; message: string };

export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  const r: Reading = { files: [], format: 'md', help: false };
  const error = readCommandLine(argv, COMPARE_OPTIONS, r, (s, file) => (s.files.push(file), null));
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  if (r.files.length === 0) return { kind: 'error', message: 'compare needs at least one result file' };
  return { kind: 'compare', files: r.files, format: r.format };
}

/** Reads and validates one result file; the error names the file. */
export function loadResult(path: string): { ok: true; result: LabelledResult['result'] } | { ok: false; error: string } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return { ok: false, error: `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  if (size > MAX_IMPORT_BYTES) return { ok: false, error: `${path}: file too large (${size} bytes > ${MAX_IMPORT_BYTES})` };
  const parsed = parseResultText(readFileSync(path, 'utf8'));
  return parsed.ok ? parsed : { ok: false, error: `${path}: ${parsed.error}` };
}

export function runCompare(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  const args = parseCompareArgs(argv);
  if (args.kind === 'help') {
    out(`${COMPARE_USAGE}\n`);
    return 0;
  }
  if (args.kind === 'error') {
    err(`tokenbench compare: ${args.message}\n\n${COMPARE_USAGE}\n`);
    return 2;
  }
  const loaded: LabelledResult['result'][] = [];
  const errors: string[] = [];
  for (const f of args.files) {
    const r = loadResult(f);
    if (r.ok) loaded.push(r.result);
    else errors.push(r.error);
  }
  if (errors.length) {
    for (const e of errors) err(`tokenbench compare: ${e}\n`);
    return 2;
  }
  // Compared all the same, but said: a figure its own samples do not give was edited after the run.
  loaded.forEach((result, i) => {
    const integrity = checkIntegrity(result);
    if (!integrity.ok) err(`tokenbench compare: warning: ${args.files[i]}: ${integrityMessage(integrity.problems)}\n`);
  });
  const labels = uniqueLabels(args.files.map((f) => basename(f)));
  out(compareFormats[args.format](loaded.map((result, i) => ({ label: labels[i] as string, result }))));
  return 0;
}
