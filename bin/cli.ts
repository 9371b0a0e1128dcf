import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes PRODUCT.md defines: 0 success, 1 the check failed, 2 usage, configuration or I/O error. */
export const ExitCode = { ok: 0, checkFailed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A wrong invocation: printed as one line on stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

/** What a command gets from bin/pgtrail.ts: its arguments and the process's environment and streams. */
export interface CommandContext {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** One `pgtrail` subcommand. */
export interface Command {
  readonly name: string;
  /** One line for `pgtrail --help`. */
  readonly summary: string;
  /** Full text for `pgtrail NAME --help`. */
  readonly usage: string;
  run(ctx: CommandContext): Promise<ExitCode>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict flag parsing: unknown flags, missing values and stray arguments are UsageErrors in
 * lowercase words. A value that looks like a negative number (`--limit -1`) is taken as the flag's
 * value, so that the flag's own check says what is wrong with it.
 */
export function parseFlags<T extends Options>(argv: readonly string[], options: T, allowPositionals = false) {
  const args = joinNegativeValues(argv, options);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, args));
  }
}

function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** node:util parseArgs' messages (`Unknown option '--x'. To specify ...`) as one lowercase line. */
function parseArgsMessage(err: unknown, args: readonly string[]): string {
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag = quoted.replace(/ <value>$/, '');
  if (/^Unknown option/.test(message)) return `unknown option ${flag}`;
  if (/argument missing/.test(message)) return `option ${flag} needs a value`;
  if (/argument is ambiguous/.test(message)) {
    const next = args[args.indexOf(flag) + 1] ?? '';
    return `option ${flag} needs a value, and ${next} looks like an option (write ${flag}=${next} if it is the value)`;
  }
  if (/does not take an argument/.test(message)) return `option ${flag} takes no value`;
  if (/^Unexpected argument/.test(message)) return `unexpected argument ${JSON.stringify(quoted)}`;
  return message.split('\n')[0]?.replace(/\.$/, '').toLowerCase() ?? 'bad arguments';
}
