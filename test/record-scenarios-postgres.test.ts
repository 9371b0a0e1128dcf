/**
 * Every transparency scenario of test/clients-postgres.test.ts, run with postgres.js through pgtrail
 * recording as `pgtrail start` does: openRecorder (redaction, then the journal) in strict durability,
 * the real statement observer. Then read back from the journal: each statement exactly once, in
 * order, with its identity, command tag, rows, SQLSTATE, parameters, result digest and COPY stream;
 * the journal verifies and `search --json` returns it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import { openRecorder, type Recorder } from '../recorder/recorder.js';
import type { JournalSession } from './support/journal-statements.js';
import {
  readJournalSessions,
  statementSummary,
  waitForClosedEvents,
  waitForClosedSessions,
} from './support/journal-statements.js';
import { oneColumnDigest, rawResultDigest, sha256Hex } from './support/raw-result-digest.js';
import { runCommand } from './support/run-command.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';
import { testRoles } from './support/test-roles.js';
import { waitForRunningQuery } from './support/wait-for-query.js';

type Login = { readonly user: string; readonly password: string };

describe('postgres.js scenarios, as the journal records them in strict durability', () => {
  const server = inject('postgres');
  const journal = mkdtempSync(join(tmpdir(), 'pgtrail-journal-'));
  const failures: unknown[] = [];
  const internalErrors: unknown[] = [];
  let recorder: Recorder;
  let p: TestProxy;
  let stopped = false;

  const open = (application: string, login: Login = testRoles.scram): postgres.Sql =>
    postgres({
      host: p.host,
      port: p.port,
      user: login.user,
      password: login.password,
      database: 'app',
      max: 1,
      onnotice: () => {},
      connection: { application_name: application },
    });

  /** The closed sessions of `application`, each checked for identity and for each statement once, in order. */
  const recordedAll = async (application: string, count: number, typeLookup = true): Promise<JournalSession[]> => {
    await waitForClosedEvents(p.events, application, count);
    const sessions = await waitForClosedSessions(journal, application, count);
    expect(sessions).toHaveLength(count);
    for (const s of sessions) expectSession(s, application, testRoles.scram.user, typeLookup);
    return sessions;
  };
  const recorded = async (application: string): Promise<JournalSession> => (await recordedAll(application, 1))[0]!;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await p.close();
    await recorder.close();
  };

  beforeAll(async () => {
    recorder = await openRecorder(
      { ...defaultConfig.journal, dir: journal, durability: 'strict' },
      defaultConfig.recording,
      (e) => failures.push(e),
    );
    const observe = createStatementObserver({
      recording: defaultConfig.recording,
      clock: systemClock,
      onInternalError: (e) => internalErrors.push(e),
    });
    p = await startTestProxy(server, { observe, sink: recorder.sink });
    const sql = open('rec-pgjs-setup');
    await sql`create table if not exists rec_pgjs_items (id int primary key, name text)`;
    await sql`truncate rec_pgjs_items`;
    await sql.end();
  });
  afterAll(async () => {
    await stop();
    rmSync(journal, { recursive: true, force: true });
    rmSync(`${journal}.signing-key`, { force: true });
    expect(failures).toEqual([]);
    expect(internalErrors).toEqual([]);
  });

  it('records each statement of a multi-statement simple Query, and an empty query', async () => {
    const sql = open('rec-pgjs-multi');
    await sql.unsafe('select 1 as a; select 2 as b').simple();
    await sql.unsafe('').simple();
    await sql.end();
    const s = await recorded('rec-pgjs-multi');
    expect(statementSummary(s).slice(1)).toEqual([
      ['select 1 as a', null, 'SELECT 1', 1, null, false, 'I'],
      ['select 2 as b', null, 'SELECT 1', 1, null, false, 'I'],
      ['', null, null, null, null, false, 'I'],
    ]);
    expect(s.statements.slice(1).map((x) => x.started.protocol)).toEqual(['simple', 'simple', 'simple']);
  });

  it('records errors and recovery in and out of a transaction with their SQLSTATEs', async () => {
    const sql = open('rec-pgjs-errors');
    await expect(sql`select * from no_such_table`).rejects.toMatchObject({ code: '42P01' });
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into rec_pgjs_items values (1, 'one')`;
        await tx`select 1/0`;
      }),
    ).rejects.toMatchObject({ code: '22012' });
    // In a failed transaction each statement is refused (25P02) until the rollback.
    let refused: unknown = null;
    await sql
      .begin(async (tx) => {
        await tx`select 1/0`.catch(() => {});
        refused = await tx`select 1`.then(
          () => null,
          (e: { code?: string }) => e.code,
        );
      })
      .catch(() => {});
    expect(refused).toBe('25P02');
    await expect(sql.unsafe('select 1; select 1/0; select 3').simple()).rejects.toMatchObject({ code: '22012' });
    await sql`select count(*)::int as n from rec_pgjs_items`;
    await sql.end();
    const s = await recorded('rec-pgjs-errors');
    // Refused before running, so not executed: 42P01 at Parse, 1/0 folded while planning at Bind,
    // 25P02 at Parse in the failed transaction. The simple-protocol 1/0 below ran and failed.
    expect(statementSummary(s).slice(1)).toEqual([
      ['select * from no_such_table', null, null, null, '42P01', true, 'I'],
      ['begin ', null, 'BEGIN', null, null, false, 'T'],
      ["insert into rec_pgjs_items values (1, 'one')", null, 'INSERT 0 1', 1, null, false, 'T'],
      ['select 1/0', null, null, null, '22012', true, 'E'],
      ['rollback', null, 'ROLLBACK', null, null, false, 'I'],
      ['begin ', null, 'BEGIN', null, null, false, 'T'],
      ['select 1/0', null, null, null, '22012', true, 'E'],
      ['select 1', null, null, null, '25P02', true, 'E'],
      ['rollback', null, 'ROLLBACK', null, null, false, 'I'],
      ['select 1', null, 'SELECT 1', 1, null, false, 'I'],
      ['select 1/0', null, null, null, '22012', false, 'I'],
      ['select 3', null, null, null, null, true, 'I'],
      ['select count(*)::int as n from rec_pgjs_items', null, 'SELECT 1', 1, null, false, 'I'],
    ]);
  });

  it('records each of 300 executions of a prepared statement with its parameter and digest', async () => {
    const sql = open('rec-pgjs-prepared');
    for (let i = 0; i < 300; i++) await sql`select ${i}::int + 1 as v`;
    await sql.end();
    const s = await recorded('rec-pgjs-prepared');
    const runs = s.statements.slice(1);
    expect(runs).toHaveLength(300);
    const name = runs[0]?.started.preparedName;
    expect(name).toMatch(/.+/);
    runs.forEach(({ started, finished }, i) => {
      expect(started).toMatchObject({
        protocol: 'extended',
        sql: 'select $1::int + 1 as v',
        params: [String(i)],
        preparedName: name,
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

  it('records 100 pipelined extended-protocol queries in order, the error on its own', async () => {
    const sql = open('rec-pgjs-pipeline');
    const queries = Array.from({ length: 100 }, (_, i) =>
      i === 50 ? sql`select 1/0 as v` : sql`select ${i}::int as v`,
    );
    const settled = await Promise.allSettled(queries);
    await sql.end();
    expect(settled.filter((x) => x.status === 'rejected')).toHaveLength(1);
    const s = await recorded('rec-pgjs-pipeline');
    expect(statementSummary(s).slice(1)).toEqual(
      Array.from({ length: 100 }, (_, i) =>
        i === 50
          ? ['select 1/0 as v', null, null, null, '22012', true, 'I'] // folded at Bind: refused, not run
          : ['select $1::int as v', [String(i)], 'SELECT 1', 1, null, false, 'I'],
      ),
    );
    expect(s.statements[1 + 7]?.finished?.resultDigest).toBe(oneColumnDigest(['7']));
  });

  it('records binary parameters decoded', async () => {
    const blob = randomBytes(8192);
    const sql = open('rec-pgjs-binary');
    await sql`select ${blob}::bytea as b`;
    await sql.end();
    const s = await recorded('rec-pgjs-binary');
    expect(statementSummary(s).slice(1)).toEqual([
      ['select $1::bytea as b', [`\\x${blob.toString('hex')}`], 'SELECT 1', 1, null, false, 'I'],
    ]);
  });

  it('records COPY in and out with direction, bytes and the SHA-256 of the data', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${i + 10}\tname ${i}\n`).join('');
    const data = Buffer.from(lines);
    const sql = open('rec-pgjs-copy');
    await pipeline(Readable.from([data]), await sql`copy rec_pgjs_items from stdin`.writable());
    // Under postgres.js's 16 KB stream buffer (see clients-postgres.test.ts).
    const readable = await sql`copy (select * from rec_pgjs_items where id < 1010 order by id) to stdout`.readable();
    const parts: Buffer[] = [];
    await pipeline(
      readable,
      new Writable({
        write(chunk: Buffer, _e, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
    await sql.end();
    const out = Buffer.concat(parts);
    expect(out.toString()).toBe(`${lines.split('\n').slice(0, 1000).join('\n')}\n`);
    const s = await recorded('rec-pgjs-copy');
    expect(statementSummary(s).slice(1)).toEqual([
      ['copy rec_pgjs_items from stdin', null, 'COPY 3000', 3000, null, false, 'I'],
      [
        'copy (select * from rec_pgjs_items where id < 1010 order by id) to stdout',
        null,
        'COPY 1000',
        1000,
        null,
        false,
        'I',
      ],
    ]);
    expect(s.statements.slice(1).map((x) => x.finished?.copy)).toEqual([
      { direction: 'in', bytes: data.length, sha256: sha256Hex(data) },
      { direction: 'out', bytes: out.length, sha256: sha256Hex(out) },
    ]);
  });

  it('records a 100,000-row result with its row count and the digest of its rows', async () => {
    const query = 'select g from generate_series(1, 100000) g';
    const sql = open('rec-pgjs-rows');
    const rows = await sql.unsafe(query);
    await sql.end();
    expect(rows.length).toBe(100000);
    const s = await recorded('rec-pgjs-rows');
    const direct = await rawResultDigest(server, 'app', query);
    expect(direct.rows).toBe(100000);
    expect(statementSummary(s).slice(1)).toEqual([[query, null, 'SELECT 100000', 100000, null, false, 'I']]);
    expect(s.statements[1]?.finished?.resultDigest).toBe(direct.digest);
  });

  it('records LISTEN/NOTIFY: the notification with its sender and the SHA-256 of its payload', async () => {
    const listener = open('rec-pgjs-listen');
    const notifier = open('rec-pgjs-notify');
    let deliver: (payload: string) => void = () => {};
    const got = new Promise<string>((resolve) => {
      deliver = resolve;
    });
    await listener.listen('rec_pgjs_channel', (payload) => deliver(payload));
    await notifier.notify('rec_pgjs_channel', 'ping');
    expect(await got).toBe('ping');
    await listener.end();
    await notifier.end();
    // postgres.js listens on a connection of its own, without its type lookup.
    const [l] = await recordedAll('rec-pgjs-listen', 1, false);
    const n = await recorded('rec-pgjs-notify');
    expect(statementSummary(l!)).toEqual([['listen "rec_pgjs_channel"', null, 'LISTEN', null, null, false, 'I']]);
    expect(statementSummary(n).slice(1)).toEqual([
      ['select pg_notify($1, $2)', ['rec_pgjs_channel', 'ping'], 'SELECT 1', 1, null, false, 'I'],
    ]);
    expect(l?.notified).toMatchObject([
      { channel: 'rec_pgjs_channel', senderPid: n.opened?.backendPid, payloadSha256: sha256Hex('ping') },
    ]);
    expect(n.notified).toEqual([]);
  });

  it('links a cancel to the pg_sleep it cancelled (57014), and records the next statement on the same connection', async () => {
    const sql = open('rec-pgjs-cancel');
    await sql`select 1 as warm`;
    const sleeping = sql`select pg_sleep(30) as rec_pgjs_cancel_marker`;
    const result = sleeping.then(
      () => 'finished',
      (err: { code?: string }) => err.code,
    );
    await waitForRunningQuery(server, 'rec_pgjs_cancel_marker');
    sleeping.cancel();
    expect(await result).toBe('57014');
    await sql`select 7 as v`;
    await sql.end();
    const s = await recorded('rec-pgjs-cancel');
    expect(statementSummary(s).slice(1)).toEqual([
      ['select 1 as warm', null, 'SELECT 1', 1, null, false, 'I'],
      ['select pg_sleep(30) as rec_pgjs_cancel_marker', null, null, null, '57014', false, 'I'],
      ['select 7 as v', null, 'SELECT 1', 1, null, false, 'I'],
    ]);
    expect(s.cancels).toMatchObject([{ statement: 3, client: { address: '127.0.0.1' } }]);
  });

  it('records 50 concurrent connections of four roles: 50 sessions, each with its own id, identity and statement', async () => {
    const logins: Login[] = [testRoles.scram, testRoles.md5, testRoles.password, testRoles.trust];
    const pools = Array.from({ length: 50 }, (_, i) => open('rec-pgjs-50', logins[i % 4]));
    const pids = await Promise.all(
      pools.map(async (sql, i) => (await sql`select pg_backend_pid() as pid, ${i}::int as i`)[0]?.pid as number),
    );
    await Promise.all(pools.map((sql) => sql.end()));
    await waitForClosedEvents(p.events, 'rec-pgjs-50', 50);
    const sessions = await waitForClosedSessions(journal, 'rec-pgjs-50', 50);
    expect(sessions).toHaveLength(50);
    expect(new Set(sessions.map((s) => s.session)).size).toBe(50);
    const byPid = new Map(sessions.map((s) => [s.opened?.backendPid, s]));
    pids.forEach((pid, i) => {
      const s = byPid.get(pid);
      expect(s, `client ${i}`).toBeDefined();
      expectSession(s!, 'rec-pgjs-50', logins[i % 4]!.user);
      expect(statementSummary(s!).slice(1)).toEqual([
        ['select pg_backend_pid() as pid, $1::int as i', [String(i)], 'SELECT 1', 1, null, false, 'I'],
      ]);
    });
  });

  // Last before the journal checks: every later read of the journal parses the 20 MB record.
  it('records a single 20 MB value both ways: the result digest down, the parameter up', async () => {
    const big = 'y'.repeat(20 * 1024 * 1024);
    const sql = open('rec-pgjs-20mb');
    await sql`select repeat('y', 20 * 1024 * 1024) as v`;
    await sql`select length(${big}::text) as n`;
    await sql.end();
    const s = await recorded('rec-pgjs-20mb');
    const [down, up] = s.statements.slice(1);
    expect([down?.finished?.command, down?.finished?.rows, down?.finished?.resultDigest]).toEqual([
      'SELECT 1',
      1,
      oneColumnDigest([big]),
    ]);
    expect([up?.finished?.command, up?.finished?.rows, up?.finished?.resultDigest]).toEqual([
      'SELECT 1',
      1,
      oneColumnDigest([String(big.length)]),
    ]);
    // The 20 MB parameter is recorded as sent, in strict durability, and reads back whole.
    expect(up?.started.sql).toBe('select length($1::text) as n');
    expect(up?.started.params?.length).toBe(1);
    expect(up?.started.params?.[0] === big).toBe(true);
  });

  it('leaves a journal that verifies and that search --json returns in full', async () => {
    await stop();
    const verify = await runCommand('verify', ['--journal', journal, '--json', '--vkey', recorder.verifierKey]);
    expect(verify.thrown).toBeNull();
    const summary = JSON.parse(verify.stdout.trim().split('\n').at(-1) ?? '{}') as {
      intact?: boolean;
      findings?: number;
    };
    expect(summary).toMatchObject({ intact: true, findings: 0, keyPinned: true });
    expect(verify.code).toBe(0);

    const sessions = [...(await readJournalSessions(journal)).values()];
    for (const s of sessions) expect(s.problems, s.opened?.application).toEqual([]);
    const all = sessions.flatMap((s) => s.statements).sort((a, b) => a.index - b.index);
    const search = await runCommand('search', ['--journal', journal, '--json']);
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
    const pipelined = rows.filter((r) => r.application === 'rec-pgjs-pipeline' && r.sql === 'select $1::int as v');
    expect(pipelined).toHaveLength(99);
    expect(pipelined[98]).toMatchObject({
      user: 'app',
      database: 'app',
      role: 'app',
      params: ['99'],
      command: 'SELECT 1',
      rows: 1,
      error: null,
    });
    const md5 = rows.filter((r) => r.application === 'rec-pgjs-50' && r.user === testRoles.md5.user);
    expect(md5.length).toBeGreaterThan(0);
    for (const r of md5) expect(r).toMatchObject({ role: testRoles.md5.user, database: 'app' });
  });
});

/**
 * The session is closed by the client, its identity is the role PostgreSQL accepted, its records
 * hold each statement once, in order, and (typeLookup) its first statement is postgres.js's own type lookup.
 */
function expectSession(s: JournalSession, application: string, user: string, typeLookup = true): void {
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
  if (!typeLookup) return;
  expect(s.statements[0]?.started.sql).toEqual(expect.stringContaining('pg_catalog.pg_type'));
  expect(s.statements[0]?.finished).toMatchObject({ error: null, notExecuted: false });
}
