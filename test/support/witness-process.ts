/** A `pgtrail witness` started as a real process from dist/, for integration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A running witness process: its vkey, URL and a way to stop it. */
export interface WitnessProcess {
  readonly vkey: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `pgtrail witness --state DIR --listen 127.0.0.1:PORT --log ...` (port 0: any free port). */
export async function startWitnessProcess(
  stateDir: string,
  logs: readonly string[],
  port = 0,
  name?: string,
): Promise<WitnessProcess> {
  const bin = join(process.cwd(), 'dist/bin/pgtrail.js');
  const args = ['witness', '--state', stateDir, '--listen', `127.0.0.1:${port}`, ...logs.flatMap((l) => ['--log', l])];
  if (name !== undefined) args.push('--name', name);
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  let vkey = '';
  let url = '';
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('witness vkey: ')) vkey = line.slice('witness vkey: '.length);
      const m = /^witness listening on (.+):(\d+)$/.exec(line);
      if (m !== null) {
        url = `http://${m[1]}:${m[2]}`;
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`witness exited with ${code}: ${stderr}`)));
  });
  await ready;
  return {
    vkey,
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
