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

/** Strict flag parsing: unknown flags and missing values are UsageErrors. */
export function parseFlags<T extends Options>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]?.replace(/\.$/, '') ?? 'bad arguments');
  }
}
