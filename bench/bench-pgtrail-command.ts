/** `node dist/bin/pgtrail.js ...` as a child process for the benchmarks, waiting for the line it prints when ready. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../embedded/postgres-server.js';

const pgtrailBin = fileURLToPath(new URL('../bin/pgtrail.js', import.meta.url));

/** A running pgtrail command. */
export interface BenchCommand {
  readonly process: ChildProcess;
  readonly pid: number;
  /** The first match of the ready pattern. */
  readonly ready: RegExpMatchArray;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `pgtrail ...args` and resolves once its output matches `ready` (rejects after `timeoutMs`,
 * 60 s by default, or on exit). With `wrapper` (e.g. valgrind and its options), node runs under it,
 * with `nodeOptions` before the script.
 */
export function startPgtrailCommand(
  args: readonly string[],
  ready: RegExp,
  wrapper: readonly string[] = [],
  timeoutMs = 60_000,
  nodeOptions: readonly string[] = [],
): Promise<BenchCommand> {
  const command = [...wrapper, process.execPath, ...nodeOptions, pgtrailBin, ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pgtrail ${args[0]} did not start: ${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const match = ready.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve({
        process: child,
        pid: child.pid ?? 0,
        ready: match,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`pgtrail ${args[0]} exited: ${out}`)));
  });
}

/** The token the benchmarks' recorders accept. */
export const benchRecorderToken = 'bench-recorder-token-0123456789abcdef';

/** A `pgtrail recorder` started for a benchmark, with where proxies reach it. */
export interface BenchRecorder {
  readonly command: BenchCommand;
  /** Its ws:// URL. */
  readonly url: string;
  /** The token file it reads (holding benchRecorderToken), for proxies' --recorder-token-file. */
  readonly tokenFile: string;
}

/** Starts `pgtrail recorder` on a free port with its journal and token file in `dir`. */
export async function startBenchRecorder(dir: string): Promise<BenchRecorder> {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${benchRecorderToken}\n`);
  const port = await freePort();
  const command = await startPgtrailCommand(
    [
      'recorder',
      '--listen',
      `127.0.0.1:${port}`,
      '--journal',
      join(dir, 'recorder-journal'),
      '--token-file',
      tokenFile,
    ],
    /recorder listening on (ws:\/\/\S+)/,
  );
  return { command, url: command.ready[1] ?? '', tokenFile };
}
