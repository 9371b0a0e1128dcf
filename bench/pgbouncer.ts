import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../embedded/postgres-server.js';

/** Where pgbouncer's executable is installed by the Debian package. */
const pgbouncerPath = '/usr/sbin/pgbouncer';

/** How long pgbouncer keeps an idle server connection; wait longer than this to get its slots back. */
export const serverIdleTimeoutSeconds = 2;

/** pgbouncer could not be installed or started. */
export class PgbouncerError extends Error {
  override readonly name = 'PgbouncerError';
  constructor(
    readonly code: 'PGBOUNCER_MISSING' | 'PGBOUNCER_START_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** A running pgbouncer in session mode. */
export interface Pgbouncer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** How pgbouncer reaches PostgreSQL and which one role it lets through. */
export interface PgbouncerOptions {
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  readonly database: string;
  readonly user: string;
  /** The role's SCRAM-SHA-256 verifier from pg_authid: pgbouncer authenticates clients with it and reuses their proof upstream. */
  readonly scramVerifier: string;
  readonly maxClients: number;
}

/**
 * Makes sure pgbouncer is installed: as root, installs the Debian package; otherwise fails with the
 * command that would install it.
 */
export function ensurePgbouncer(log: (line: string) => void): void {
  if (existsSync(pgbouncerPath)) return;
  const howTo = 'apt-get update && apt-get install -y pgbouncer';
  if (process.getuid?.() !== 0)
    throw new PgbouncerError('PGBOUNCER_MISSING', `pgbouncer is not installed; install it with: ${howTo}`);
  log('installing pgbouncer (Debian package)');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'pgbouncer'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    throw new PgbouncerError('PGBOUNCER_MISSING', `installing pgbouncer failed; install it with: ${howTo}`);
  }
  if (!existsSync(pgbouncerPath))
    throw new PgbouncerError('PGBOUNCER_MISSING', `pgbouncer is not installed; install it with: ${howTo}`);
}

// pgbouncer refuses to run as root; the embedded PostgreSQL already runs as `postgres`.
function unprivilegedUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new PgbouncerError('PGBOUNCER_START_FAILED', 'no unprivileged user (postgres or nobody) to run pgbouncer as');
}

/** Starts pgbouncer (pool_mode=session, auth_type=scram-sha-256, plaintext both legs) on a free port of 127.0.0.1. */
export async function startPgbouncer(options: PgbouncerOptions): Promise<Pgbouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-bench-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const userlist = join(dir, 'userlist.txt');
  writeFileSync(userlist, `"${options.user}" "${options.scramVerifier}"\n`, { mode: 0o644 });
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `${options.database} = host=${options.upstreamHost} port=${options.upstreamPort} dbname=${options.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'pool_mode = session',
      'auth_type = scram-sha-256',
      `auth_file = ${userlist}`,
      `max_client_conn = ${options.maxClients}`,
      `default_pool_size = ${options.maxClients}`,
      // Idle server connections close soon, so that the pool does not hold PostgreSQL's connection slots
      // while other targets are measured (the memory check opens hundreds of sessions).
      `server_idle_timeout = ${serverIdleTimeoutSeconds}`,
      'server_tls_sslmode = disable',
      'client_tls_sslmode = disable',
      'log_connections = 0',
      'log_disconnections = 0',
      'log_pooler_errors = 1',
      'stats_period = 3600',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const owner = unprivilegedUser();
  const child = spawn(pgbouncerPath, [ini], { ...(owner ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  try {
    await waitListening(port, child, () => log);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) throw new PgbouncerError('PGBOUNCER_START_FAILED', 'pgbouncer has no pid');
  return { host: '127.0.0.1', port, pid, stop: () => stopChild(child, dir) };
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new PgbouncerError('PGBOUNCER_START_FAILED', `pgbouncer exited with ${child.exitCode}: ${log().trim()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new PgbouncerError('PGBOUNCER_START_FAILED', `pgbouncer did not listen: ${log().trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
