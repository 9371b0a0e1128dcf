/**
 * `pgtrail passwd USER`: prints the SCRAM-SHA-256 verifier of a password, to paste into
 * identity.users in the config. The password is read from a terminal without echo (typed twice), or
 * as the first line of standard input when that is not a terminal; it is never printed or stored.
 */
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import {
  DEFAULT_SCRAM_ITERATIONS,
  formatScramVerifier,
  makeScramVerifier,
} from '../../proxy/identity/scram-verifier.js';

/** Standard input as passwd needs it: a stream that may be a terminal. */
export type PasswordInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** Longest password or input line accepted, in bytes. */
const MAX_INPUT_BYTES = 64 * 1024;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = [0x08, 0x7f];

const usage = `usage: pgtrail passwd USER [--iterations N]

Prints the SCRAM-SHA-256 verifier of a password for identity.users:

  identity:
    users:
      - name: USER
        verifier: "<the line printed>"

The password is prompted for without echo on a terminal, else read as the first line of stdin.
  --iterations N   PBKDF2 iterations (default ${DEFAULT_SCRAM_ITERATIONS}, as PostgreSQL)
`;

/** Runs passwd with the given input stream (process.stdin from the command; a stream in tests). */
export async function runPasswd(ctx: CommandContext, input: PasswordInput): Promise<ExitCode> {
  const { values, positionals } = parseFlags(ctx.argv, { iterations: { type: 'string' } }, true);
  const [user, ...extra] = positionals;
  if (user === undefined || user.length === 0 || extra.length > 0) throw new UsageError('expected exactly one USER');
  const iterations = values.iterations === undefined ? DEFAULT_SCRAM_ITERATIONS : Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1000 || iterations > 10_000_000)
    throw new UsageError('--iterations must be an integer from 1000 to 10000000');
  // Bytes, not a string: a password that is not UTF-8 is hashed as its raw bytes, as PostgreSQL does.
  let password: Buffer;
  if (input.isTTY && input.setRawMode) {
    password = await promptHidden(input, ctx.stderr, `password for ${user}: `);
    const again = await promptHidden(input, ctx.stderr, 'again: ');
    const same = again.equals(password);
    again.fill(0);
    if (!same) throw new UsageError('the passwords do not match');
  } else {
    password = await firstLine(input);
  }
  if (password.length === 0) throw new UsageError('the password is empty');
  const verifier = makeScramVerifier(password, iterations);
  password.fill(0);
  ctx.stdout.write(`${formatScramVerifier(verifier)}\n`);
  return ExitCode.ok;
}

/** Reads a line from a terminal in raw mode, so nothing typed is echoed. */
function promptHidden(input: PasswordInput, prompt: NodeJS.WritableStream, question: string): Promise<Buffer> {
  prompt.write(question);
  input.setRawMode?.(true);
  input.resume();
  const bytes: number[] = [];
  return new Promise((resolve, reject) => {
    const done = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      prompt.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(bytes));
    };
    const onData = (chunk: Buffer | string) => {
      for (const b of Buffer.from(chunk)) {
        if (b === 0x0d || b === 0x0a || b === CTRL_D) return done(null);
        if (b === CTRL_C) return done(new UsageError('cancelled'));
        if (BACKSPACE.includes(b)) bytes.pop();
        else if (bytes.length < MAX_INPUT_BYTES) bytes.push(b);
      }
    };
    input.on('data', onData);
  });
}

/** The first line of a non-terminal input, without its line ending; reads at most MAX_INPUT_BYTES. */
async function firstLine(input: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buf = Buffer.from(chunk as Buffer | string);
    chunks.push(buf);
    size += buf.length;
    if (buf.includes(0x0a) || size >= MAX_INPUT_BYTES) break;
  }
  const read = Buffer.concat(chunks).subarray(0, MAX_INPUT_BYTES);
  const newline = read.indexOf(0x0a);
  const line = newline < 0 ? read : read.subarray(0, newline);
  const withoutCr = line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
  const password = Buffer.from(withoutCr);
  for (const chunk of chunks) chunk.fill(0);
  return password;
}

/** The `passwd` command. */
export const passwdCommand: Command = {
  name: 'passwd',
  summary: 'print the SCRAM-SHA-256 verifier of a password for identity.users',
  usage,
  run: (ctx) => runPasswd(ctx, process.stdin),
};
