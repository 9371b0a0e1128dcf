/** Runs a pgtrail subcommand in-process, as bin/pgtrail.ts would, capturing its output and exit code. */
import { Writable } from 'node:stream';
import { ExitCode } from '../../bin/cli.js';
import { commands } from '../../bin/commands/index.js';

/** What a command printed and returned; `thrown` is the error bin/pgtrail.ts would print (exit 2). */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly thrown: (Error & { code?: string }) | null;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `pgtrail NAME ...argv`. */
export async function runCommand(name: string, argv: readonly string[]): Promise<CommandResult> {
  const command = commands.find((c) => c.name === name);
  if (!command) throw new Error(`no command ${name}`);
  const out = collector();
  const err = collector();
  try {
    const code = await command.run({ argv, env: {}, stdout: out.stream, stderr: err.stream });
    return { code, stdout: out.text(), stderr: err.text(), thrown: null };
  } catch (e) {
    return { code: ExitCode.usage, stdout: out.text(), stderr: err.text(), thrown: e as Error & { code?: string } };
  }
}
