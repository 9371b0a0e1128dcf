import { execFile } from 'node:child_process';

/** Where pgbench connects: one of the targets under comparison. */
export interface PgbenchTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** One pgbench run's settings. `mode` is pgbench's -M (query protocol). */
export interface PgbenchRun {
  readonly mode: 'simple' | 'prepared';
  readonly clients: number;
  readonly seconds: number;
  /** pgbench worker threads (-j); never more than clients. */
  readonly threads: number;
  /** Transactions per second to aim at (pgbench -R); absent: as fast as possible. */
  readonly rate?: number;
}

/** What one pgbench run reported. */
export interface PgbenchResult {
  /** Transactions per second, without initial connection time. */
  readonly tps: number;
  readonly latencyAvgMs: number;
  readonly transactions: number;
  readonly failed: number;
  /** pgbench's "initial connection time": how long opening all the sessions took. */
  readonly connectMs: number | null;
}

/** pgbench failed or printed something this parser does not understand. */
export class PgbenchError extends Error {
  override readonly name = 'PgbenchError';
  constructor(
    readonly code: 'PGBENCH_FAILED' | 'PGBENCH_OUTPUT_UNPARSED',
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

// The client leg is plaintext for every target, so that TLS cost never differs between them.
function pgbenchEnv(target: PgbenchTarget): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    PGPASSWORD: target.password,
    PGSSLMODE: 'disable',
    PGCONNECT_TIMEOUT: '10',
  };
}

function connectionArgs(target: PgbenchTarget): string[] {
  return ['-h', target.host, '-p', String(target.port), '-U', target.user, target.database];
}

function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('pgbench', [...args], { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(
          new PgbenchError(
            'PGBENCH_FAILED',
            `pgbench exited with ${String(err.code ?? err.signal ?? 'an error')}`,
            stderr,
          ),
        );
      else resolve({ stdout, stderr });
    });
  });
}

/** Creates pgbench's tables at the given scale (pgbench -i), direct to the database. */
export async function initPgbench(target: PgbenchTarget, scale: number): Promise<void> {
  await run(['-i', '-q', '-s', String(scale), ...connectionArgs(target)], pgbenchEnv(target), 600_000);
}

function number(output: string, pattern: RegExp): number | null {
  const match = pattern.exec(output);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** Runs the select-only script (pgbench -S) and parses TPS, average latency and the counts. */
export async function runPgbench(target: PgbenchTarget, settings: PgbenchRun): Promise<PgbenchResult> {
  const args = [
    '-S',
    '-n',
    '-M',
    settings.mode,
    '-c',
    String(settings.clients),
    '-j',
    String(Math.min(settings.threads, settings.clients)),
    '-T',
    String(settings.seconds),
    ...(settings.rate === undefined ? [] : ['-R', String(settings.rate)]),
    ...connectionArgs(target),
  ];
  const { stdout, stderr } = await run(args, pgbenchEnv(target), (settings.seconds + 120) * 1000);
  const tps = number(stdout, /^tps = ([\d.]+) \(without initial connection time\)/m);
  const latencyAvgMs = number(stdout, /^latency average = ([\d.]+) ms/m);
  const transactions = number(stdout, /^number of transactions actually processed: (\d+)/m);
  const failed = number(stdout, /^number of failed transactions: (\d+)/m) ?? 0;
  // A run too short for its connections to finish processes nothing and prints neither tps nor latency.
  const connectMs = number(stdout, /^initial connection time = ([\d.]+) ms/m);
  if (transactions === 0) return { tps: 0, latencyAvgMs: Number.NaN, transactions: 0, failed, connectMs };
  if (tps === null || latencyAvgMs === null || transactions === null) {
    throw new PgbenchError(
      'PGBENCH_OUTPUT_UNPARSED',
      'pgbench output lacks tps, latency or transaction count',
      `${stdout}\n${stderr}`,
    );
  }
  return { tps, latencyAvgMs, transactions, failed, connectMs };
}
