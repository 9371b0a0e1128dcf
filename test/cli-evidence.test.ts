/**
 * What the command line shows of a journal recorded by a real `pgtrail start`: COPY's bytes and
 * SHA-256 and the redaction applied (search --json, --expanded, replay), failed logins with their
 * method, SQLSTATE and reason (sessions --failed), and sessions named by prefix or ID#N. Clients
 * are psql and node-postgres; every pgtrail command runs as its own process.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { testRoles } from './support/test-roles.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

/** Runs `pgtrail ...args` as a process, not on a terminal, 80 columns wide. */
function pgtrail(...args: string[]) {
  const r = spawnSync(process.execPath, [pgtrailBin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '80' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the command line on a journal that pgtrail start recorded', () => {
  const server = inject('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-cli-evidence-'));
  const journal = join(dir, 'journal');
  let copyOut = '';

  beforeAll(async () => {
    const config = join(dir, 'pgtrail.yaml');
    writeFileSync(
      config,
      [
        'log: { level: silent }',
        'limits: { shutdownGraceMs: 200 }',
        'recording:',
        '  redaction:',
        '    - { name: pii, action: drop-params, database: app }',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const upstream = `postgres://${server.host}:${server.port}/?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}`;
    const child: ChildProcess = spawn(
      process.execPath,
      [
        pgtrailBin,
        'start',
        '--config',
        config,
        '--journal',
        journal,
        '--listen',
        `127.0.0.1:${port}`,
        '--upstream',
        upstream,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let printed = '';
    child.stdout?.on('data', (d: Buffer) => (printed += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (printed += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    for (let i = 0; i < 300 && !printed.includes('listening'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(printed).toContain('listening');
    try {
      const env = {
        ...process.env,
        PGHOST: '127.0.0.1',
        PGPORT: String(port),
        PGUSER: testRoles.scram.user,
        PGDATABASE: 'app',
        PGSSLMODE: 'disable',
      };
      const psql = (sql: string, input = '') =>
        spawnSync('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
          encoding: 'utf8',
          input,
          env: { ...env, PGPASSWORD: testRoles.scram.password },
        });
      expect(psql('drop table if exists cli_copy; create table cli_copy (id int, name text)').status).toBe(0);
      expect(psql('copy cli_copy from stdin', '1\tone\n2\ttwo\n3\tthree\n').status).toBe(0);
      const out = psql('copy cli_copy to stdout');
      expect(out.status).toBe(0);
      copyOut = out.stdout;
      const wrong = spawnSync('psql', ['-X', '-c', 'select 1'], {
        encoding: 'utf8',
        env: { ...env, PGPASSWORD: 'not-the-password', PGAPPNAME: 'intruder' },
      });
      expect(wrong.status).not.toBe(0);
      const c = new pg.Client({
        host: '127.0.0.1',
        port,
        user: testRoles.scram.user,
        password: testRoles.scram.password,
        database: 'app',
      });
      await c.connect();
      await c.query('select $1::text as secret', ['card 4111 1111 1111 1111']);
      await c.end();
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('search --json carries COPY bytes and SHA-256, and the redaction applied', () => {
    const r = pgtrail('search', '--journal', journal, '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = jsonLines(r.stdout);
    const copyIn = rows.find((row) => row.sql === 'copy cli_copy from stdin');
    expect(copyIn?.copy).toEqual({
      direction: 'in',
      bytes: Buffer.byteLength('1\tone\n2\ttwo\n3\tthree\n'),
      sha256: createHash('sha256').update('1\tone\n2\ttwo\n3\tthree\n').digest('hex'),
    });
    const copyOutRow = rows.find((row) => row.sql === 'copy cli_copy to stdout');
    expect(copyOutRow?.copy).toEqual({
      direction: 'out',
      bytes: Buffer.byteLength(copyOut),
      sha256: createHash('sha256').update(copyOut).digest('hex'),
    });
    const secret = rows.find((row) => row.sql === 'select $1::text as secret');
    expect(secret).toMatchObject({ redaction: 'pii', params: [null] });
    // The rule matches database app, so it is named on every statement recorded there.
    expect(rows.every((row) => row.redaction === 'pii')).toBe(true);
  });

  it('search --expanded and replay show the same evidence', () => {
    const expanded = pgtrail('search', '--journal', journal, '--grep', '^copy', '--expanded');
    expect(expanded.code, expanded.stderr).toBe(0);
    expect(expanded.stdout).toMatch(/^copy +\| in, 20 bytes$/m);
    expect(expanded.stdout).toMatch(/^copy sha256 +\| [0-9a-f]{64}$/m);
    expect(expanded.stdout).toContain('(2 statements)');
    const [secret] = jsonLines(pgtrail('search', '--journal', journal, '--grep', 'secret', '--json').stdout);
    const replay = pgtrail('replay', String(secret?.session), '--journal', journal);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('redacted by rule "pii" before recording');
    const [copyIn] = jsonLines(pgtrail('search', '--journal', journal, '--grep', 'from stdin', '--json').stdout);
    const copyReplay = pgtrail(
      'replay',
      `${String(copyIn?.session)}#${String(copyIn?.statement)}`,
      '--journal',
      journal,
    );
    expect(copyReplay.code, copyReplay.stderr).toBe(0);
    expect(copyReplay.stdout).toContain(
      `copy in: 20 bytes, sha256 ${(copyIn?.copy as { sha256: string } | undefined)?.sha256 ?? 'missing'}`,
    );
  });

  it('sessions --failed lists the failed login with user, client, method, SQLSTATE and reason', () => {
    const r = pgtrail('sessions', '--journal', journal, '--failed', '--json');
    expect(r.code, r.stderr).toBe(0);
    const [failed, ...more] = jsonLines(r.stdout);
    expect(more).toEqual([]);
    expect(failed).toMatchObject({
      user: 'app',
      database: 'app',
      application: 'intruder',
      method: 'passthrough',
      code: '28P01',
      reason: 'password authentication failed for user "app"',
    });
    expect(failed?.client).toMatch(/^127\.0\.0\.1:\d+$/);
    const table = pgtrail('sessions', '--journal', journal, '--failed');
    expect(table.stdout).toMatch(/^TIME \(UTC\) +SESSION +USER +DATABASE +CLIENT +METHOD +CODE/);
    expect(table.stdout).toContain('passthrough  28P01');
    expect(table.stdout).toContain('password authentication failed for user "app"');
    expect(table.stdout.trimEnd().endsWith('(1 failed login)')).toBe(true);
    // A failed login is not a session: the plain listing leaves it out.
    const sessions = jsonLines(pgtrail('sessions', '--journal', journal, '--json').stdout);
    expect(sessions.map((s) => s.session)).not.toContain(failed?.session);
    const replay = pgtrail('replay', String(failed?.session), '--journal', journal);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toBe(
      `pgtrail replay: "${String(failed?.session)}" is a failed login, not a session: see pgtrail sessions --failed [REPLAY_SESSION_NOT_FOUND]\n`,
    );
    expect(pgtrail('sessions', '--journal', journal, '--failed', '--user', 'nobody').stdout).toContain(
      '(0 failed logins)',
    );
  });

  it('names a session by a prefix of its id, and by ID#N as the table prints it', () => {
    const sessions = jsonLines(pgtrail('sessions', '--journal', journal, '--json').stdout);
    const id = String(sessions[0]?.session);
    const table = pgtrail('sessions', '--journal', journal);
    const short = new RegExp(`^\\S+ \\S+  (${id.slice(0, 8)}\\S*) `, 'm').exec(table.stdout)?.[1] ?? '';
    expect(id.startsWith(short) && short.length < id.length).toBe(true);
    const byPrefix = jsonLines(pgtrail('search', '--journal', journal, '--session', short, '--json').stdout);
    expect(byPrefix.length).toBeGreaterThan(0);
    expect(byPrefix.every((r) => r.session === id)).toBe(true);
    // In search, ID#N as the table prints it picks that one statement of the session.
    const one = jsonLines(pgtrail('search', '--journal', journal, '--session', `${short}#1`, '--json').stdout);
    expect(one.map((r) => [r.session, r.statement])).toEqual([[id, 1]]);
    const replay = pgtrail('replay', `${short}#1`, '--journal', journal);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout.split('\n')[0]).toBe(`session ${id}: app on app as role app`);
    // Every session of this run opened within seconds: their first characters are shared.
    const ambiguous = pgtrail('replay', id.slice(0, 4), '--journal', journal);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(
      new RegExp(
        `^pgtrail replay: session prefix "${id.slice(0, 4)}" matches ${sessions.length + 1} sessions; give more of the id \\[SEARCH_SESSION_AMBIGUOUS\\]\\n$`,
      ),
    );
  });
});
