#!/usr/bin/env node
/**
 * The `pgtrail` command: dispatches to one subcommand, maps errors to exit codes (PRODUCT.md):
 * 0 success, 1 a check failed, 2 usage, configuration or I/O error with one line on stderr.
 */
import { ConfigError } from '../config/config-error.js';
import { describeConfigError } from '../config/load-config.js';
import { ExitCode, UsageError, type Command, type CommandContext } from './cli.js';
import { commands } from './commands/index.js';
import { describeSystemError } from './system-error-message.js';
import { packageVersion } from './version.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'pgtrail: a PostgreSQL access proxy that keeps evidence',
    '',
    'usage: pgtrail COMMAND [flags]   (pgtrail COMMAND --help, or pgtrail help COMMAND, for its flags)',
    '       pgtrail --version',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...more] = argv;
  // `pgtrail help search` is `pgtrail search --help`.
  const [name, ...rest] = first === 'help' && more.length > 0 ? [...more, '--help'] : argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`pgtrail ${packageVersion()}\n`);
    return ExitCode.ok;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`pgtrail: unknown command ${JSON.stringify(name)} (see pgtrail --help) [USAGE]\n`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage.trimEnd()}\n`);
    return ExitCode.ok;
  }
  const ctx: CommandContext = { argv: rest, env: process.env, stdout: process.stdout, stderr: process.stderr };
  try {
    return await command.run(ctx);
  } catch (err) {
    process.stderr.write(`${describe(command, err)}\n`);
    return ExitCode.usage;
  }
}

/** One line for stderr: `pgtrail COMMAND: what went wrong [CODE]` (docs/errors.md). */
function describe(command: Command, err: unknown): string {
  const prefix = `pgtrail ${command.name}:`;
  if (err instanceof ConfigError) return `${prefix} ${describeConfigError(err)}`;
  if (err instanceof UsageError) return `${prefix} ${err.message} (see pgtrail ${command.name} --help) [${err.code}]`;
  const system = describeSystemError(err);
  if (system !== null) return `${prefix} ${system}`;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${prefix} ${err.message}${typeof code === 'string' ? ` [${code}]` : ''}`;
  }
  return `${prefix} ${String(err)}`;
}

// A reader that goes away (`pgtrail search --json | head -3`) is not an error of the command: its
// output is dropped and its exit code still says what it found (verify | head still exits 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pgtrail: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = ExitCode.usage;
  },
);
