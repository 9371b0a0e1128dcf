/**
 * replay of sessions recorded through pgtrail: the timeline, --follow on a live session, and
 * re-execution into a fresh database (same outcomes, digests equal to the recorder's) and into one
 * that differs (a divergence reported at the right statement, exit 1).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

interface StepJson {
  seq: number;
  statement: number;
  sql: string;
  recorded: { command: string | null; rows: number | null; error: string | null; result_digest: string | null };
  replayed: { command: string | null; rows: number | null; error: string | null; result_digest: string | null } | null;
  skipped: string | null;
  divergences: { field: string; recorded: unknown; replayed: unknown }[];
}

const session = [
  ['create table if not exists replay_items (id int primary key, name text)'],
  ['insert into replay_items values ($1, $2)', '1', 'apple'],
  ['insert into replay_items values ($1, $2)', '2', 'banana'],
  ['insert into replay_items values ($1, $2)', '3', 'cherry'],
  ['select * from replay_items order by id'],
  ['update replay_items set name = upper(name) where id = $1', '2'],
  ['insert into replay_items values (1, $1)', 'duplicate'],
  ['select name from replay_items where id = 2'],
  ['begin'],
  ['delete from replay_items where id = 3'],
  ['commit'],
  ['select count(*) from replay_items'],
] as const;

describe('replay of a recorded session', () => {
  const server = inject('postgres');
  const suffix = `${process.pid}_${Date.now() % 100000}`;
  const fresh = `replay_fresh_${suffix}`;
  const differing = `replay_diff_${suffix}`;
  const overTls = `replay_tls_${suffix}`;
  let rec: RecordingProxy;
  let id = '';
  let admin: pg.Client;
  const target = (db: string) =>
    `postgres://${testRoles.scram.user}:${testRoles.scram.password}@${server.host}:${server.port}/${db}`;

  beforeAll(async () => {
    admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'app',
    });
    await admin.connect();
    await admin.query('drop table if exists replay_items');
    rec = await startRecordingProxy(server, { captureRows: 2 });
    const c = new pg.Client({
      host: rec.proxy.host,
      port: rec.proxy.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      application_name: 'replay-source',
    });
    await c.connect();
    for (const [sql, ...params] of session) await c.query(sql, params.length > 0 ? params : undefined).catch(() => {});
    await c.end();
    await rec.stop();
    const list = await runCommand('sessions', ['--journal', rec.journal, '--json']);
    expect(list.thrown).toBeNull();
    id = (JSON.parse(list.stdout.trim().split('\n').at(-1) ?? '{}') as { session: string }).session;
    await admin.query(`create database ${fresh} owner app`);
    await admin.query(`create database ${differing} owner app`);
    await admin.query(`create database ${overTls} owner app`);
    const diff = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: differing,
    });
    await diff.connect();
    // The only difference: one extra row that the recorded session never saw.
    await diff.query('create table replay_items (id int primary key, name text)');
    await diff.query("insert into replay_items values (4, 'durian')");
    await diff.end();
  });
  afterAll(async () => {
    await admin.query('drop table if exists replay_items').catch(() => {});
    await admin.query(`drop database if exists ${fresh} with (force)`).catch(() => {});
    await admin.query(`drop database if exists ${differing} with (force)`).catch(() => {});
    await admin.query(`drop database if exists ${overTls} with (force)`).catch(() => {});
    await admin.end();
    await rec?.stop();
    rec?.remove();
  });

  it('shows the timeline: offsets, statements, parameters, outcomes, digests and captured rows', async () => {
    const r = await runCommand('replay', [id, '--journal', rec.journal]);
    expect(r.thrown).toBeNull();
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      new RegExp(
        `^session ${id}: app on app as role app\\n  from 127\\.0\\.0\\.1:\\d+ \\(replay-source\\) to ${server.host}:${server.port}`,
      ),
    );
    expect(out).toMatch(
      /\+\d+\.\d{3}s #2 {2}insert into replay_items values \(\$1, \$2\)\n {11}params: \["1","apple"\]\n {11}-> INSERT 0 1 \([\d.]+ ms\)\n/,
    );
    expect(out).toMatch(
      /#5 {2}select \* from replay_items order by id\n {11}-> SELECT 3 \([\d.]+ ms\)\n {11}result sha256 [0-9a-f]{64}\n {11}\| 1 \| apple \|\n {11}\| 2 \| banana \|\n/,
    );
    expect(out).toMatch(
      /#7 {2}insert into replay_items values \(1, \$1\)\n {11}params: \["duplicate"\]\n {11}-> ERROR 23505: duplicate key/,
    );
    expect(out).toMatch(/session closed: client_quit\n$/);
    const json = await runCommand('replay', [id, '--journal', rec.journal, '--json', '--speed', '1000']);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset_ms: number; statement: number });
    expect(rows.map((x) => x.statement)).toEqual(session.map((_, i) => i + 1));
    expect(rows.every((x, i) => i === 0 || x.offset_ms >= (rows[i - 1]?.offset_ms ?? 0))).toBe(true);
  });

  it('reproduces every outcome in a fresh database, result digests included', async () => {
    const r = await runCommand('replay', [id, '--journal', rec.journal, '--to', target(fresh), '--force', '--json']);
    expect(r.thrown).toBeNull();
    expect(r.code).toBe(0);
    const steps = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StepJson);
    expect(steps).toHaveLength(session.length);
    for (const s of steps) {
      expect(s.divergences, `statement ${s.statement}`).toEqual([]);
      expect(s.replayed, `statement ${s.statement}`).toEqual(s.recorded);
    }
    expect(steps[4]?.recorded.result_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(steps[6]?.replayed?.error).toBe('23505');
    expect(r.stderr).toContain(`${session.length} statements: 0 diverged, 0 skipped`);
  });

  it('reads outcomes beside a TLS connection as well (the digest is over the decrypted messages)', async () => {
    const r = await runCommand('replay', [
      id,
      '--journal',
      rec.journal,
      '--to',
      `${target(overTls)}?sslmode=no-verify`,
      '--force',
    ]);
    expect(r.thrown).toBeNull();
    expect(r.stdout).toMatch(/12 statements: 0 diverged, 0 skipped\n$/);
    expect(r.code).toBe(0);
  });

  it('reports a database that differs as diverging, at the first statement that sees the difference', async () => {
    const r = await runCommand('replay', [id, '--journal', rec.journal, '--to', target(differing), '--force']);
    expect(r.thrown).toBeNull();
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const first = lines.findIndex((l) => l.endsWith('DIVERGES'));
    expect(lines[first]).toMatch(/^#5 \(seq \d+\) {2}select \* from replay_items order by id {2}-> DIVERGES$/);
    expect(lines[first + 1]).toMatch(/^ {4}command: recorded "SELECT 3", replayed "SELECT 4"$/);
    expect(lines.slice(1, first).every((l) => l.endsWith('-> same'))).toBe(true);
    expect(r.stdout).toMatch(
      /#12 \(seq \d+\) {2}select count\(\*\) from replay_items {2}-> DIVERGES\n {4}result_digest: recorded "[0-9a-f]{64}", replayed "[0-9a-f]{64}"/,
    );
    expect(r.stdout).toMatch(/12 statements: [1-9]\d* diverged, 0 skipped\n$/);
  });

  it('refuses the recorded upstream itself unless --force', async () => {
    const r = await runCommand('replay', [id, '--journal', rec.journal, '--to', target(fresh)]);
    expect(r.code).toBe(2);
    expect(r.thrown?.code).toBe('REPLAY_TARGET_IS_UPSTREAM');
    expect(r.thrown?.message).not.toContain(testRoles.scram.password);
    const missing = await runCommand('replay', ['no-such-session', '--journal', rec.journal]);
    expect(missing.thrown?.code).toBe('REPLAY_SESSION_NOT_FOUND');
  });
});

describe('replay --follow', () => {
  const server = inject('postgres');
  let rec: RecordingProxy;
  beforeAll(async () => {
    rec = await startRecordingProxy(server);
  });
  afterAll(async () => {
    await rec?.stop();
    rec?.remove();
  });

  it('plays a live session as it happens, until it closes', async () => {
    const c = new pg.Client({
      host: rec.proxy.host,
      port: rec.proxy.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      application_name: 'live',
    });
    await c.connect();
    await c.query("select 'first' as step");
    await rec.writer.flush();
    const list = await runCommand('sessions', ['--journal', rec.journal, '--json']);
    const id = (JSON.parse(list.stdout.trim()) as { session: string }).session;
    const following = runCommand('replay', [id, '--journal', rec.journal, '--follow']);
    await new Promise((r) => setTimeout(r, 300));
    await c.query("select 'second' as step");
    await c.query('select $1::int + 1 as step', ['2']);
    await c.end();
    const r = await following;
    expect(r.thrown).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /#1 {2}select 'first' as step\n[\s\S]*#2 {2}select 'second' as step\n[\s\S]*#3 {2}select \$1::int \+ 1 as step\n {11}params: \["2"\]\n {11}-> SELECT 1/,
    );
    expect(r.stdout).toMatch(/session closed: client_quit\n$/);
  });
});
