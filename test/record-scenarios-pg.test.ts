/**
 * Every transparency scenario of test/clients-pg.test.ts, run with node-postgres through a recording
 * pgtrail (batched durability, the real statement observer and journal writer), then read back from
 * the journal: each statement exactly once, in order, with its identity, command tag, rows, SQLSTATE,
 * parameters, result digest and COPY stream; the journal verifies and `search --json` returns it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JournalSession } from './support/journal-statements.js';
import {
  readJournalSessions,
  statementSummary,
  waitForClosedEvents,
  waitForClosedSessions,
} from './support/journal-statements.js';
import { copyIn, copyOut } from './support/pg-copy.js';
import { sendCancel } from './support/raw-cancel.js';
import { oneColumnDigest, rawResultDigest, sha256Hex } from './support/raw-result-digest.js';
import {
  startRecordingProxy,
  startThreadRecordingProxy,
  type ThreadRecordingProxy,
} from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';
import { waitForRunningQuery } from './support/wait-for-query.js';

type Login = { readonly user: string; readonly password: string };

// Recorded on the forwarding thread and on a recording thread (recording.thread): the same journal.
describe.each([
  ['on the forwarding thread', false],
  ['on a recording thread', true],
])('node-postgres scenarios, as the journal records them %s', (_where, thread) => {
  const server = inject('postgres');
  let rec: ThreadRecordingProxy;

  const connect = async (application: string, login: Login = testRoles.scram): Promise<pg.Client> => {
    const c = new pg.Client({
      host: rec.proxy.host,
      port: rec.proxy.port,
      user: login.user,
      password: login.password,
      database: 'app',
      application_name: application,
    });
    await c.connect();
    return c;
  };

  /** The one closed session of `application`, after checking its identity and that each statement is there once, in order. */
  const recorded = async (application: string, login: Login = testRoles.scram): Promise<JournalSession> => {
    await waitForClosedEvents(rec.proxy.events, application);
    const [s, ...more] = await waitForClosedSessions(rec.journal, application);
    expect(more).toEqual([]);
    expectSession(s!, application, login.user);
    return s!;
  };

  beforeAll(async () => {
    rec = thread ? await startThreadRecordingProxy(server) : await startRecordingProxy(server);
    const c = await connect('rec-pg-setup');
    await c.query('create table if not exists rec_pg_items (id int primary key, name text)');
    await c.query('truncate rec_pg_items');
    await c.end();
  });
  afterAll(async () => {
    await rec?.stop();
    rec?.remove();
  });

  it('records each statement of a multi-statement Query, and an empty query', async () => {
    const c = await connect('rec-pg-multi');
    await c.query('select 1 as a; select 2 as b; ;');
    await c.query('');
    await c.end();
    const s = await recorded('rec-pg-multi');
    expect(statementSummary(s)).toEqual([
      ['select 1 as a', null, 'SELECT 1', 1, null, false, 'I'],
      ['select 2 as b', null, 'SELECT 1', 1, null, false, 'I'],
      // The empty Query reached the server (EmptyQueryResponse): a record with no command tag and no error.
      ['', null, null, null, null, false, 'I'],
    ]);
    expect(s.statements.map((x) => x.finished?.resultDigest)).toEqual([
      oneColumnDigest(['1']),
      oneColumnDigest(['2']),
      null,
    ]);
  });

  it('records errors and recovery in and out of a transaction with their SQLSTATEs', async () => {
    const c = await connect('rec-pg-errors');
    await expect(c.query('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
    await c.query('select 1 as ok');
    await c.query('begin');
    await c.query("insert into rec_pg_items values (1, 'one')");
    await expect(c.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
    await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('rollback');
    await expect(c.query('select 1; select 1/0; select 3')).rejects.toMatchObject({ code: '22012' });
    await c.query('select count(*)::int as n from rec_pg_items');
    await c.end();
    const s = await recorded('rec-pg-errors');
    expect(statementSummary(s)).toEqual([
      ['select * from no_such_table', null, null, null, '42P01', false, 'I'],
      ['select 1 as ok', null, 'SELECT 1', 1, null, false, 'I'],
      ['begin', null, 'BEGIN', null, null, false, 'T'],
      ["insert into rec_pg_items values (1, 'one')", null, 'INSERT 0 1', 1, null, false, 'T'],
      ['select 1/0', null, null, null, '22012', false, 'E'],
      ['select 1', null, null, null, '25P02', false, 'E'],
      ['rollback', null, 'ROLLBACK', null, null, false, 'I'],
      ['select 1', null, 'SELECT 1', 1, null, false, 'I'],
      ['select 1/0', null, null, null, '22012', false, 'I'],
      ['select 3', null, null, null, null, true, 'I'],
      ['select count(*)::int as n from rec_pg_items', null, 'SELECT 1', 1, null, false, 'I'],
    ]);
  });

  it('records each of 300 executions of a named prepared statement with its parameter and digest', async () => {
    const c = await connect('rec-pg-prepared');
    for (let i = 0; i < 300; i++) await c.query({ name: 'add_one', text: 'select $1::int + 1 as v', values: [i] });
    await c.end();
    const s = await recorded('rec-pg-prepared');
    expect(s.statements).toHaveLength(300);
    s.statements.forEach(({ started, finished }, i) => {
      expect(started).toMatchObject({
        protocol: 'extended',
        sql: 'select $1::int + 1 as v',
        params: [String(i)],
        preparedName: 'add_one',
      });
      expect(finished).toMatchObject({
        command: 'SELECT 1',
        rows: 1,
        error: null,
        notExecuted: false,
        resultDigest: oneColumnDigest([String(i + 1)]),
      });
    });
  });

  it('records binary parameters decoded, and the digest of binary results', async () => {
    const blob = randomBytes(4096);
    const c = await connect('rec-pg-binary');
    await c.query({ text: 'select $1::bytea as b, length($1::bytea) as n', values: [blob] });
    await c.query({
      text: 'select 42::int4 as v, length($1::bytea)::int4 as n',
      values: [blob],
      binary: true,
    } as pg.QueryConfig);
    await c.end();
    const s = await recorded('rec-pg-binary');
    const hex = `\\x${blob.toString('hex')}`;
    expect(statementSummary(s)).toEqual([
      ['select $1::bytea as b, length($1::bytea) as n', [hex], 'SELECT 1', 1, null, false, 'I'],
      ['select 42::int4 as v, length($1::bytea)::int4 as n', [hex], 'SELECT 1', 1, null, false, 'I'],
    ]);
    // Binary result row: Int16 2, then Int32 4 and int4 42, Int32 4 and int4 4096.
    const row = Buffer.alloc(18);
    row.writeInt16BE(2, 0);
    row.writeInt32BE(4, 2);
    row.writeInt32BE(42, 6);
    row.writeInt32BE(4, 10);
    row.writeInt32BE(4096, 14);
    expect(s.statements[1]?.finished?.resultDigest).toBe(sha256Hex(row));
  });

  it('records COPY in and out with direction, bytes and the SHA-256 of the data', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `${i + 10}\tname ${i}\n`).join('');
    const data = Buffer.from(lines);
    const c = await connect('rec-pg-copy');
    await copyIn(c, 'copy rec_pg_items from stdin', [data.subarray(0, 1000), data.subarray(1000)]);
    const out = await copyOut(c, 'copy (select * from rec_pg_items order by id) to stdout');
    await c.end();
    expect(out.toString()).toBe(lines);
    const s = await recorded('rec-pg-copy');
    expect(statementSummary(s)).toEqual([
      ['copy rec_pg_items from stdin', null, 'COPY 2000', 2000, null, false, 'I'],
      ['copy (select * from rec_pg_items order by id) to stdout', null, 'COPY 2000', 2000, null, false, 'I'],
    ]);
    expect(s.statements.map((x) => x.finished?.copy)).toEqual([
      { direction: 'in', bytes: data.length, sha256: sha256Hex(data) },
      { direction: 'out', bytes: out.length, sha256: sha256Hex(out) },
    ]);
  });

  it('records a 100,000-row result with its row count and the digest of its rows', async () => {
    const query = 'select g, md5(g::text) as h from generate_series(1, 100000) g';
    const c = await connect('rec-pg-rows');
    const r = await c.query(query);
    await c.end();
    expect(r.rows.length).toBe(100000);
    const s = await recorded('rec-pg-rows');
    const direct = await rawResultDigest(server, 'app', query);
    expect(direct.rows).toBe(100000);
    expect(statementSummary(s)).toEqual([[query, null, 'SELECT 100000', 100000, null, false, 'I']]);
    expect(s.statements[0]?.finished?.resultDigest).toBe(direct.digest);
  });

  it('records LISTEN/NOTIFY: the notification with its sender and the SHA-256 of its payload', async () => {
    const listener = await connect('rec-pg-listen');
    const notifier = await connect('rec-pg-notify');
    const received = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
    await listener.query('listen rec_pg_channel');
    await notifier.query("select pg_notify('rec_pg_channel', 'hello')");
    await received;
    await listener.end();
    await notifier.end();
    const l = await recorded('rec-pg-listen');
    const n = await recorded('rec-pg-notify');
    expect(statementSummary(l)).toEqual([['listen rec_pg_channel', null, 'LISTEN', null, null, false, 'I']]);
    expect(statementSummary(n)).toEqual([
      ["select pg_notify('rec_pg_channel', 'hello')", null, 'SELECT 1', 1, null, false, 'I'],
    ]);
    expect(l.notified).toMatchObject([
      { channel: 'rec_pg_channel', senderPid: n.opened?.backendPid, payloadSha256: sha256Hex('hello') },
    ]);
    expect(n.notified).toEqual([]);
  });

  it('links a cancel to the pg_sleep it cancelled (57014), and records the next statement', async () => {
    const c = await connect('rec-pg-cancel');
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    const sleeping = c.query('select pg_sleep(30) as rec_pg_cancel_marker');
    await waitForRunningQuery(server, 'rec_pg_cancel_marker');
    await sendCancel(rec.proxy.host, rec.proxy.port, processID, secretKey);
    await expect(sleeping).rejects.toMatchObject({ code: '57014' });
    await c.query('select 7 as v');
    await c.end();
    const s = await recorded('rec-pg-cancel');
    expect(statementSummary(s)).toEqual([
      ['select pg_sleep(30) as rec_pg_cancel_marker', null, null, null, '57014', false, 'I'],
      ['select 7 as v', null, 'SELECT 1', 1, null, false, 'I'],
    ]);
    expect(s.cancels).toMatchObject([{ statement: 1, client: { address: '127.0.0.1' } }]);
  });

  it('records 50 concurrent connections of four roles: 50 sessions, each with its own id, identity and statement', async () => {
    const logins: Login[] = [testRoles.scram, testRoles.md5, testRoles.password, testRoles.trust];
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => connect('rec-pg-50', logins[i % 4])));
    const pids = await Promise.all(
      clients.map(
        async (c, i) => (await c.query('select pg_backend_pid() as pid, $1::int as i', [i])).rows[0].pid as number,
      ),
    );
    await Promise.all(clients.map((c) => c.end()));
    await waitForClosedEvents(rec.proxy.events, 'rec-pg-50', 50);
    const sessions = await waitForClosedSessions(rec.journal, 'rec-pg-50', 50);
    expect(sessions).toHaveLength(50);
    expect(new Set(sessions.map((s) => s.session)).size).toBe(50);
    const byPid = new Map(sessions.map((s) => [s.opened?.backendPid, s]));
    pids.forEach((pid, i) => {
      const s = byPid.get(pid);
      expect(s, `client ${i}`).toBeDefined();
      expectSession(s!, 'rec-pg-50', logins[i % 4]!.user);
      expect(statementSummary(s!)).toEqual([
        ['select pg_backend_pid() as pid, $1::int as i', [String(i)], 'SELECT 1', 1, null, false, 'I'],
      ]);
    });
  });

  // Last before the journal checks: every later read of the journal parses the 20 MB record.
  it('records a single 20 MB value both ways: the result digest down, the parameter up', async () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const c = await connect('rec-pg-20mb');
    await c.query('select repeat($1::text, 20 * 1024 * 1024) as v', ['x']);
    const up = await c.query('select length($1::text) as n, md5($1::text) as h', [big]);
    await c.end();
    expect(up.rows[0].n).toBe(big.length);
    const s = await recorded('rec-pg-20mb');
    expect(s.statements.map((x) => [x.finished?.command, x.finished?.rows, x.finished?.error])).toEqual([
      ['SELECT 1', 1, null],
      ['SELECT 1', 1, null],
    ]);
    expect(s.statements[0]?.started.params).toEqual(['x']);
    expect(s.statements[0]?.finished?.resultDigest).toBe(oneColumnDigest([big]));
    // The 20 MB parameter is recorded as sent: the journal line holding it reads back whole.
    expect(s.statements[1]?.started.params?.length).toBe(1);
    expect(s.statements[1]?.started.params?.[0]?.length).toBe(big.length);
    expect(s.statements[1]?.started.params?.[0] === big).toBe(true);
  });

  it('leaves a journal that verifies and that search --json returns in full', async () => {
    await rec.stop();
    const verify = await runCommand('verify', ['--journal', rec.journal, '--json']);
    expect(verify.thrown).toBeNull();
    const summary = JSON.parse(verify.stdout.trim().split('\n').at(-1) ?? '{}') as {
      intact?: boolean;
      findings?: number;
      records?: number;
    };
    expect(summary).toMatchObject({ intact: true, findings: 0 });
    expect(verify.code).toBe(0);

    const sessions = [...(await readJournalSessions(rec.journal)).values()];
    for (const s of sessions) expect(s.problems, s.opened?.application).toEqual([]);
    const all = sessions.flatMap((s) => s.statements).sort((a, b) => a.index - b.index);
    const search = await runCommand('search', ['--journal', rec.journal, '--json']);
    expect(search.thrown).toBeNull();
    expect(search.code).toBe(0);
    const rows = search.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.seq, r.session, r.statement])).toEqual(
      all.map((x) => [x.index, x.started.session, x.started.statement]),
    );
    const fields = [
      'ts',
      'seq',
      'session',
      'user',
      'database',
      'role',
      'client',
      'application',
      'sql',
      'params',
      'command',
      'rows',
      'error',
      'duration_ms',
    ];
    for (const r of rows) expect(Object.keys(r)).toEqual(expect.arrayContaining(fields));
    const prepared = rows.filter((r) => r.application === 'rec-pg-prepared');
    expect(prepared).toHaveLength(300);
    expect(prepared[299]).toMatchObject({
      user: 'app',
      database: 'app',
      role: 'app',
      sql: 'select $1::int + 1 as v',
      params: ['299'],
      command: 'SELECT 1',
      rows: 1,
      error: null,
    });
    expect(
      rows.find((r) => r.application === 'rec-pg-errors' && r.sql === 'select * from no_such_table'),
    ).toMatchObject({ command: null, error: { code: '42P01' } });
  });
});

/** The session is closed, its identity is the role PostgreSQL accepted, and its records hold each statement once, in order. */
function expectSession(s: JournalSession, application: string, user: string): void {
  expect(s.problems).toEqual([]);
  expect(s.opened).toMatchObject({
    identity: { user, method: { kind: 'passthrough' } },
    database: 'app',
    role: user,
    application,
    client: { address: '127.0.0.1' },
  });
  expect(s.opened?.backendPid).toBeGreaterThan(0);
  for (const st of s.statements) expect(st.started).toMatchObject({ user, role: user });
  expect(s.closed).toMatchObject({ reason: 'client_quit', statements: s.statements.length });
}
