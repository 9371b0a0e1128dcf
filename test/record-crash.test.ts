/**
 * Crash under load (issue 4): pgtrail in strict durability is killed with SIGKILL while pgbench runs
 * through it. After a restart, every pgbench_history row PostgreSQL committed must have its INSERT on
 * the record (matched by the exact values pgbench generated), and the journal must verify.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, superuser, type PostgresInfo } from '../embedded/postgres-server.js';
import { readJournal } from '../recorder/journal-reader.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

function startPgtrail(args: readonly string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [pgtrailBin, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pgtrail did not start: ${out}`)), 20_000);
    child.stdout?.on('data', () => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pgtrail exited with ${code}: ${out}`));
    });
  });
}

function stopped(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The (tid, bid, aid, delta) of a pgbench_history INSERT as pgbench sends it in simple protocol. */
const historyInsert =
  /^INSERT INTO pgbench_history \(tid, bid, aid, delta, mtime\) VALUES \((-?\d+), (-?\d+), (-?\d+), (-?\d+), CURRENT_TIMESTAMP\)/i;

/** Waits until pgbench has committed at least `count` transactions (each adds a pgbench_history row). */
async function untilCommitted(server: PostgresInfo, database: string, count: number): Promise<void> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: superuser.user,
    password: superuser.password,
    database,
  });
  await client.connect();
  try {
    const deadline = Date.now() + 50_000;
    for (;;) {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pgbench_history');
      if ((rows[0]?.n ?? 0) >= count) return;
      if (Date.now() > deadline) throw new Error('pgbench committed nothing through pgtrail');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.end();
  }
}

describe('crash under load in strict durability', () => {
  const server = inject('postgres');
  const database = 'crash_load';
  const env = { ...process.env, PGPASSWORD: superuser.password };
  let journal: string;

  beforeAll(async () => {
    journal = mkdtempSync(join(tmpdir(), 'pgtrail-crash-'));
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: superuser.user,
      password: superuser.password,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const init = spawnSync(
      'pgbench',
      ['-i', '-s', '1', '-q', '-h', server.host, '-p', String(server.port), '-U', superuser.user, database],
      { env, encoding: 'utf8' },
    );
    expect(init.status, init.stderr).toBe(0);
  });

  afterAll(() => {
    rmSync(journal, { recursive: true, force: true });
    rmSync(`${journal}.signing-key`, { force: true });
  });

  it('keeps a record of every statement that reached PostgreSQL, and the journal verifies after restart', async () => {
    const port = await freePort();
    const args = [
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `postgres://${server.host}:${server.port}/?sslmode=disable`,
      '--journal',
      journal,
      '--durability',
      'strict',
    ];
    const first = await startPgtrail(args);
    const bench = spawn(
      'pgbench',
      ['-c', '8', '-j', '2', '-T', '60', '-n', '-h', '127.0.0.1', '-p', String(port), '-U', superuser.user, database],
      { env, stdio: 'ignore' },
    );
    // Let the load build up (transactions are committing), then pull the plug on pgtrail mid-flight.
    await untilCommitted(server, database, 100);
    first.child.kill('SIGKILL');
    await stopped(first.child);
    await stopped(bench);

    // Restart on the same journal: recovery runs (a torn final write is cut and recorded), then stop cleanly.
    const second = await startPgtrail(args);
    second.child.kill('SIGTERM');
    expect(await stopped(second.child)).toBe(0);

    const recorded = new Set<string>();
    let started = 0;
    for await (const entry of readJournal(journal)) {
      const event = entry.event;
      if (event?.type !== 'statement.started' || typeof event.sql !== 'string') continue;
      started++;
      const m = historyInsert.exec(event.sql);
      if (m) recorded.add(m.slice(1, 5).join(','));
    }
    const direct = new pg.Client({
      host: server.host,
      port: server.port,
      user: superuser.user,
      password: superuser.password,
      database,
    });
    await direct.connect();
    const { rows } = await direct.query<{ key: string }>(
      `SELECT concat_ws(',', tid, bid, aid, delta) AS key FROM pgbench_history`,
    );
    await direct.end();

    expect(rows.length).toBeGreaterThan(0);
    expect(started).toBeGreaterThanOrEqual(rows.length);
    const missing = rows.filter((r) => !recorded.has(r.key));
    expect(missing).toEqual([]);

    const verify = spawnSync(process.execPath, [pgtrailBin, 'verify', '--journal', journal], { encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });
});
