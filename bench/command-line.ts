/**
 * Every subcommand's arguments, read against a table of option declarations (src/runtime/options.ts for
 * the run options, bench/args.ts for those of the command line only): node:util parseArgs splits the
 * arguments with a configuration derived from the table, each option's `set` takes its value, and --help
 * is generated from the same declarations. Errors are one line for a usage error (exit 2).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type HelpSection, type OptionSpec, helpText } from '../src/runtime/options';

/** An option of a command, with what it does to the command's settings `S`. */
export interface CliOption<S> extends OptionSpec {
  /**
   * Takes one occurrence into the settings: the text of a string option; for a boolean, true (or false for
   * `--no-NAME`). Returns a message when the value is bad. `flag` is the option as typed (`--preset`, `-h`).
   */
  set(s: S, value: string | boolean, flag: string): string | null;
}

/** The node:util parseArgs configuration of a table: `--no-NAME` for options on by default. */
export function parseArgsConfig(options: readonly OptionSpec[]): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    options.map((o) =>
      o.negatable
        ? [`no-${o.name}`, { type: 'boolean' as const }]
        : [o.name, { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }],
    ),
  );
}

/**
 * Reads `argv` into `settings`, option by option in command-line order. Arguments that are not options go
 * to `positional` (none allowed without it). Returns the first problem, or null.
 */
export function readCommandLine<S>(
  argv: readonly string[],
  options: readonly CliOption<S>[],
  settings: S,
  positional?: (s: S, arg: string) => string | null,
): string | null {
  const byName = new Map(options.map((o) => [o.negatable ? `no-${o.name}` : o.name, o]));
  // Not strict: a value may start with a dash (--flags "--a --b"), and our messages name the option.
  const { tokens } = parseArgs({ args: [...argv], options: parseArgsConfig(options), strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      const error = positional ? positional(settings, t.value) : `unexpected argument "${t.value}"`;
      if (error) return error;
      continue;
    }
    const o = byName.get(t.name);
    if (!o) return `unknown option "${t.rawName}"`;
    if (o.type === 'boolean' && t.value !== undefined) return `${t.rawName} takes no value`;
    if (o.type === 'string' && t.value === undefined) return `${t.rawName} needs a value`;
    const error = o.set(settings, o.type === 'boolean' ? !o.negatable : (t.value as string), t.rawName);
    if (error) return error;
  }
  return null;
}

/** A command's --help: what it is, its options by section (generated), then the closing lines. */
export interface CommandHelp {
  usage: string;
  about: string;
  sections: readonly HelpSection[];
  footer: string;
}

export function commandHelp(h: CommandHelp, options: readonly OptionSpec[]): string {
  return `${h.usage}\n\n${h.about}\n\n${helpText(options, h.sections)}\n\n${h.footer}`;
}

/** Prints help (exit 0) or a usage error (exit 2); null when the command should go on. */
export function helpOrError(command: string, outcome: { kind: string; message?: string }, help: string): number | null {
  if (outcome.kind === 'help') {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (outcome.kind === 'error') {
    process.stderr.write(`${command}: ${outcome.message}\n\n${help}\n`);
    return 2;
  }
  return null;
}
