/**
 * `npm run bench -- submit r.json [more.json ...] --to URL [--token T]`: sends result files that already
 * exist to a results board (bench/board), each file's bytes as they are. A file is checked against the
 * schema first (the board would refuse it anyway); a board that cannot be reached stops the rest.
 * Exit codes: 0 every file is on the board (new or already there) · 1 a file was invalid or refused, or the
 * board could not be reached · 2 usage error.
 */
import { readFileSync, statSync } from 'node:fs';
import { MAX_IMPORT_BYTES, parseResultText } from '../src/schema/result';
import { HELP_OPTION } from './args';
import { type CliOption, commandHelp, readCommandLine } from './command-line';
import { SUBMIT_TOKEN_ENV, type SubmitTarget, boardUrlProblem, outcomeLine, submitText } from '../src/result/submit';

type Reading = { files: string[]; to: string | null; token: string | null; help: boolean };

const SUBMIT_OPTIONS: ReadonlyArray<CliOption<Reading>> = [
  {
    name: 'to', type: 'string', value: 'URL', section: 'Options', help: 'the board: http://host:8787 (its /api/results is added)',
    set: (s, v, flag) => {
      const problem = boardUrlProblem(v as string);
      return problem ? `${flag}: ${problem}` : ((s.to = v as string), null);
    },
  },
  {
    name: 'token', type: 'string', value: 'T', section: 'Options', help: `the board's submit token (default $${SUBMIT_TOKEN_ENV})`,
    set: (s, v) => (v ? ((s.token = v as string), null) : '--token needs a value'),
  },
  { ...HELP_OPTION, section: 'Options' } as CliOption<Reading>,
];

export const SUBMIT_USAGE = commandHelp(
  {
    usage: 'Usage: npm run bench -- submit RESULT.json [MORE.json ...] --to URL [--token T]',
    about:
      'Sends result files to a tokenbench results board (npm run board). Each file is checked against the\n' +
      'result schema, then sent as it is: the board stores it under the SHA-256 of its bytes, and a file it\n' +
      'already has gets its existing id. One line per file on stdout; problems on stderr.',
    sections: [{ title: 'Options' }],
    footer: 'Exit codes: 0 every file is on the board · 1 a file was invalid or refused, or the board unreachable · 2 usage error.',
  },
  SUBMIT_OPTIONS,
);

export type ParsedSubmitArgs = { kind: 'submit'; files: string[]; target: SubmitTarget } | { kind: 'help' } | { kind: 'error'; message: string };

/** Parses `submit`'s arguments; the token falls back to `env`. Pure. */
export function parseSubmitArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedSubmitArgs {
  const r: Reading = { files: [], to: null, token: null, help: false };
  const error = readCommandLine(argv, SUBMIT_OPTIONS, r, (s, file) => (s.files.push(file), null));
  if (r.help) return { kind: 'help' };
  if (error) return { kind: 'error', message: error };
  if (!r.files.length) return { kind: 'error', message: 'submit needs at least one result file' };
  if (!r.to) return { kind: 'error', message: 'submit needs --to URL (the board)' };
  return { kind: 'submit', files: r.files, target: { url: r.to, token: r.token ?? (env[SUBMIT_TOKEN_ENV] || null) } };
}

/** A file's text when it is a valid result, else why not. */
function readResultFile(path: string): { ok: true; text: string } | { ok: false; error: string } {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_IMPORT_BYTES) return { ok: false, error: `file too large (${size} bytes > ${MAX_IMPORT_BYTES})` };
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, error: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  const parsed = parseResultText(text);
  return parsed.ok ? { ok: true, text } : { ok: false, error: parsed.error };
}

export async function submitMain(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const parsed = parseSubmitArgs(argv, env);
  if (parsed.kind !== 'submit') {
    if (parsed.kind === 'help') out(`${SUBMIT_USAGE}\n`);
    else err(`tokenbench submit: ${parsed.message}\n\n${SUBMIT_USAGE}\n`);
    return parsed.kind === 'help' ? 0 : 2;
  }
  let failed = 0;
  for (const [i, file] of parsed.files.entries()) {
    const read = readResultFile(file);
    if (!read.ok) {
      err(`tokenbench submit: ${file}: ${read.error}\n`);
      failed++;
      continue;
    }
    const outcome = await submitText(read.text, parsed.target);
    if (outcome.ok) {
      out(`${file}: ${outcomeLine(outcome)}\n`);
      continue;
    }
    err(`tokenbench submit: ${file}: ${outcome.error}\n`);
    failed++;
    if (outcome.status === null) {
      const rest = parsed.files.length - i - 1;
      if (rest) err(`tokenbench submit: ${rest} more file(s) not sent\n`);
      break;
    }
  }
  return failed ? 1 : 0;
}
