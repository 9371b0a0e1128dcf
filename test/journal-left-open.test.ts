/**
 * What a crash leaves, and a journal directory pgtrail cannot use. After `kill -9` of `pgtrail
 * start` with a session open, the next start closes that session in the journal (reason
 * proxy_stopped, its statements counted) and the journal verifies. A journal directory that cannot
 * be made (/proc/nope, where Node's recursive mkdir spins for ever) stops `pgtrail start` at once
 * with exit 2 and one line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { testRoles } from './support/test-roles.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function startPgtrail(args: readonly string[]): Promise<Started> {
  const child = spawn(process.execPath, [pgtrailBin, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pgtrail did not start: ${out}`)), 20_000);
    child.stdout?.on('data', () => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve({ child, output: () => out, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pgtrail exited with ${code}: ${out}`));
    });
  });
}

describe('sessions a crash left open', () => {
  const server = inject('postgres');
  const journal = mkdtempSync(join(tmpdir(), 'pgtrail-left-open-'));
  afterAll(() => {
    rmSync(journal, { recursive: true, force: true });
    rmSync(`${journal}.signing-key`, { force: true });
  });

  it('are closed with reason proxy_stopped on the next start, with their statements, and the journal verifies', async () => {
    const port = await freePort();
    const args = [
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `postgres://${server.host}:${server.port}/?sslmode=disable`,
      '--journal',
      journal,
    ];
    const first = await startPgtrail(args);
    const client = new pg.Client({ host: '127.0.0.1', port, ...testRoles.scram, database: 'app' });
    client.on('error', () => {});
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    await client.query('select 2');
    await client.query('select 3');
    first.child.kill('SIGKILL');
    await first.exited;
    await client.end().catch(() => {});

    const second = await startPgtrail(args);
    expect(second.output()).toContain('closed 1 session(s) a previous run left open (reason proxy_stopped)');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const sessions = spawnSync(process.execPath, [pgtrailBin, 'sessions', '--journal', journal, '--json'], {
      encoding: 'utf8',
    });
    expect(sessions.status, sessions.stderr).toBe(0);
    const listed = sessions.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string | null; statements: number; closed: string | null });
    expect(listed).toEqual([expect.objectContaining({ reason: 'proxy_stopped', statements: 3 })]);
    expect(listed[0]?.closed).not.toBeNull();
    expect(rows[0]?.pid).toBeGreaterThan(0);

    const verify = spawnSync(process.execPath, [pgtrailBin, 'verify', '--journal', journal], { encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);

    // Closed once: a third start finds nothing left open.
    const third = await startPgtrail(args);
    expect(third.output()).not.toContain('left open');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });
});

describe('a journal directory pgtrail cannot use', () => {
  it('pgtrail start --journal /proc/nope exits 2 at once with one line', async () => {
    const port = await freePort();
    const r = spawnSync(
      process.execPath,
      [
        pgtrailBin,
        'start',
        '--listen',
        `127.0.0.1:${port}`,
        '--journal',
        '/proc/nope',
        '--upstream',
        'postgres://127.0.0.1:1/',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['pgtrail start: cannot create directory /proc/nope [ENOENT]']);
  });
});
