import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { PostgresBinaries } from './postgres-binaries.js';
import { makeTlsFiles } from './tls-files.js';

/** How to reach a running server. Plain data: it crosses from vitest's globalSetup to tests. */
export interface PostgresInfo {
  readonly major: number;
  readonly host: string;
  readonly port: number;
  /** Whether the server accepts TLS (`ssl = on`); the test servers do unless started with `ssl: false`. */
  readonly ssl: boolean;
  /** CA that signed the server's certificate (used only when `ssl` is true). */
  readonly caFile: string;
  readonly dataDir: string;
  readonly binDir: string;
}

/** A server started by startPostgres. */
export interface PostgresServer extends PostgresInfo {
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  // PostgreSQL refuses to run as root; a fresh machine without the Debian package has no such user.
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/false', 'postgres']);
  return lookup();
}

function chownTree(path: string, owner: { uid: number; gid: number }): void {
  chownSync(path, owner.uid, owner.gid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), owner);
}

/** The superuser every server started here has, with SCRAM-SHA-256 over TCP. */
export const superuser = { user: 'postgres', password: 'admin-secret' } as const;

/** How startPostgres sets a server up. */
export interface StartPostgresOptions {
  /** TLS on (the default) or off, as the stock `postgres` container image starts it. */
  readonly ssl?: boolean;
}

/**
 * Starts a throwaway PostgreSQL server of the given installation on a free port of 127.0.0.1, with
 * TLS on (a fresh CA, see tls-files.ts) unless `ssl: false`, pg_stat_statements loaded where
 * available, and `superuser`. It is tuned for speed, not safety (fsync off): for the demo, tests and
 * benchmarks only. `stop()` shuts it down and deletes its folder.
 */
export async function startPostgres(
  binaries: PostgresBinaries,
  options: StartPostgresOptions = {},
): Promise<PostgresServer> {
  const ssl = options.ssl ?? true;
  const base = mkdtempSync(join(tmpdir(), `pgtrail-pg${binaries.major}-`));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  const owner = postgresUser();
  const tls = makeTlsFiles(join(base, 'tls'), 'localhost');
  const pwfile = join(base, 'pwfile');
  writeFileSync(pwfile, `${superuser.password}\n`);
  if (owner) chownTree(base, owner);
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  execFileSync(
    join(binaries.binDir, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ],
    { ...asOwner, stdio: 'pipe', env: { ...process.env, LC_ALL: 'C' } },
  );
  const port = await freePort();
  const hasStatements = hasExtension(binaries, 'pg_stat_statements');
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${base}'`,
      ssl ? `ssl = on` : `ssl = off`,
      `ssl_cert_file = '${tls.certFile}'`,
      `ssl_key_file = '${tls.keyFile}'`,
      `max_connections = 300`,
      `fsync = off`,
      `synchronous_commit = off`,
      `full_page_writes = off`,
      `shared_buffers = '64MB'`,
      `wal_level = 'logical'`,
      `max_wal_senders = 4`,
      hasStatements ? `shared_preload_libraries = 'pg_stat_statements'` : '',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all trust_user 127.0.0.1/32 trust',
      'host all md5_user 127.0.0.1/32 md5',
      'host all password_user 127.0.0.1/32 password',
      'host all all 127.0.0.1/32 scram-sha-256',
      'host replication all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  if (owner) chownTree(base, owner);
  const child = spawn(join(binaries.binDir, 'postgres'), ['-D', dataDir], {
    ...asOwner,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  await waitReady(port, child, () => log);
  const info: PostgresInfo = {
    major: binaries.major,
    host: '127.0.0.1',
    port,
    ssl,
    caFile: tls.caFile,
    dataDir,
    binDir: binaries.binDir,
  };
  return {
    ...info,
    stop: () => stopServer(child, base),
  };
}

function hasExtension(binaries: PostgresBinaries, name: string): boolean {
  try {
    const sharedir = execFileSync(join(binaries.binDir, 'pg_config'), ['--sharedir']).toString().trim();
    return readdirSync(join(sharedir, 'extension')).some((f) => f === `${name}.control`);
  } catch {
    return false;
  }
}

async function waitReady(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${log()}`);
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password: superuser.password,
      database: 'postgres',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`postgres did not start: ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stopServer(child: ChildProcess, base: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // fast shutdown
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(base, { recursive: true, force: true });
}
