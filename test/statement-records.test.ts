/**
 * Statement records from real clients through the real proxy: node-postgres (simple and extended
 * protocol), postgres.js (named statements, binary parameters, cursors with a row limit) and psql
 * (multi-statement strings, COPY, SET ROLE, LISTEN/NOTIFY, password scrubbing downstream).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import type { SessionOpened, StatementFinished, StatementStarted, TrailEvent } from '../recorder/events.js';
import { createRedactor } from '../recorder/redaction.js';
import { RawClient, frontendMessage, startupMessage } from './support/raw-client.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';
import { testRoles } from './support/test-roles.js';

const run = promisify(execFile);

/** One statement as recorded: its start and its outcome. */
interface Recorded {
  readonly started: StatementStarted;
  readonly finished: StatementFinished | undefined;
}

describe('statement records through the proxy', () => {
  const server = inject('postgres');
  let p: TestProxy;
  const internalErrors: unknown[] = [];

  beforeAll(async () => {
    const observe = createStatementObserver({
      recording: { ...defaultConfig.recording, captureRows: 3 },
      clock: systemClock,
      onInternalError: (e) => internalErrors.push(e),
    });
    p = await startTestProxy(server, { observe });
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'app',
    });
    await admin.connect();
    await admin.query(
      'CREATE TABLE IF NOT EXISTS rec_items (id int PRIMARY KEY, name text, price numeric, at timestamptz, tag uuid)',
    );
    await admin.query('GRANT ALL ON rec_items TO PUBLIC');
    await admin.query(`DO $$ BEGIN CREATE ROLE rec_auditor; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await admin.query(`GRANT rec_auditor TO ${testRoles.scram.user}`);
    await admin.query('DROP DATABASE IF EXISTS rec_bench');
    await admin.query(`CREATE DATABASE rec_bench OWNER ${testRoles.scram.user}`);
    await admin.end();
  });

  afterAll(async () => {
    await p.close();
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS rec_bench WITH (FORCE)');
    await admin.end();
    expect(internalErrors).toEqual([]);
  });

  /** The statements of the session whose upstream backend is `pid`, once that session has closed. */
  async function sessionOf(pid: number): Promise<{ events: TrailEvent[]; statements: Recorded[] }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const opened = p.events.find((e): e is SessionOpened => e.type === 'session.opened' && e.backendPid === pid);
      if (opened !== undefined && p.events.some((e) => e.type === 'session.closed' && e.session === opened.session)) {
        const events = p.events.filter((e) => e.session === opened.session);
        const statements = events
          .filter((e): e is StatementStarted => e.type === 'statement.started')
          .map((s) => ({
            started: s,
            finished: events.find(
              (e): e is StatementFinished => e.type === 'statement.finished' && e.statement === s.statement,
            ),
          }));
        return { events, statements };
      }
      if (Date.now() > deadline) throw new Error('session did not close');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const pgClient = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
    });
    await c.connect();
    return c;
  };

  it('records node-postgres simple and extended statements once each, in order, with their outcome', async () => {
    const c = await pgClient();
    const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await c.query('DELETE FROM rec_items; INSERT INTO rec_items (id, name) VALUES (1, $$a;b$$), (2, NULL)');
    await c.query('INSERT INTO rec_items (id, name, price) VALUES ($1, $2, $3)', [3, 'three', '1.50']);
    await expect(c.query('SELECT 1/0; SELECT 2')).rejects.toThrow('division by zero');
    await expect(c.query('SELECT $1::int', ['x'])).rejects.toThrow();
    const named = { name: 'by-id', text: 'SELECT id, name FROM rec_items WHERE id = $1' };
    const row = await c.query({ ...named, values: [1] });
    await c.query({ ...named, values: [2] });
    await c.end();

    const { statements } = await sessionOf(pid);
    const summary = statements.map(({ started: s, finished: f }) => [
      s.protocol,
      s.sql,
      s.params,
      f?.command ?? null,
      f?.rows ?? null,
      f?.error?.code ?? null,
      f?.notExecuted,
      f?.txStatus,
    ]);
    expect(summary).toEqual([
      ['simple', 'SELECT pg_backend_pid() AS pid', null, 'SELECT 1', 1, null, false, 'I'],
      [
        'simple',
        'DELETE FROM rec_items',
        null,
        expect.stringMatching(/^DELETE \d+$/),
        expect.any(Number),
        null,
        false,
        'I',
      ],
      [
        'simple',
        'INSERT INTO rec_items (id, name) VALUES (1, $$a;b$$), (2, NULL)',
        null,
        'INSERT 0 2',
        2,
        null,
        false,
        'I',
      ],
      [
        'extended',
        'INSERT INTO rec_items (id, name, price) VALUES ($1, $2, $3)',
        ['3', 'three', '1.50'],
        'INSERT 0 1',
        1,
        null,
        false,
        'I',
      ],
      ['simple', 'SELECT 1/0', null, null, null, '22012', false, 'I'],
      ['simple', 'SELECT 2', null, null, null, null, true, 'I'],
      // The Bind was refused (the value is not an int): not executed, with the error and the value.
      ['extended', 'SELECT $1::int', ['x'], null, null, '22P02', true, 'I'],
      ['extended', named.text, ['1'], 'SELECT 1', 1, null, false, 'I'],
      ['extended', named.text, ['2'], 'SELECT 1', 1, null, false, 'I'],
    ]);
    expect(statements.map((s) => s.started.statement)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(statements[7]?.started.preparedName).toBe('by-id');
    expect(statements[7]?.finished?.capturedRows).toEqual([['1', 'a;b']]);
    expect(row.rows).toEqual([{ id: 1, name: 'a;b' }]);
    // The digest is SHA-256 over the DataRow bodies: Int16 column count, then Int32 length + bytes per column.
    const body = Buffer.from([0, 2, 0, 0, 0, 1, 0x31, 0, 0, 0, 3, 0x61, 0x3b, 0x62]);
    expect(statements[7]?.finished?.resultDigest).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('records postgres.js parameters and aggregates a cursor read with a row limit', async () => {
    const sql = postgres({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      max: 1,
      onnotice: () => {},
    });
    const [{ pid }] = (await sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const at = new Date('2024-05-06T07:08:09.123Z');
    await sql`INSERT INTO rec_items (id, name, price, at, tag) VALUES (${10}, ${'ten'}, ${'10.25'}, ${at}, ${'0b8a1c2d-1111-4222-8333-444455556666'})`;
    await sql`INSERT INTO rec_items (id, name) SELECT g, 'n' || g FROM generate_series(100, 104) g`;
    const seen: number[] = [];
    for await (const rows of sql`SELECT id FROM rec_items WHERE id >= 100 ORDER BY id`.cursor(2))
      for (const r of rows) seen.push(r.id as number);
    await sql.end();
    expect(seen).toEqual([100, 101, 102, 103, 104]);

    const { statements } = await sessionOf(pid);
    const insert = statements.find(
      (s) =>
        typeof s.started.sql === 'string' &&
        s.started.sql.startsWith('INSERT INTO rec_items (id, name, price, at, tag)'),
    );
    expect(insert?.started.params?.[0]).toBe('10');
    expect(insert?.started.params?.[1]).toBe('ten');
    expect(insert?.started.params?.[2]).toBe('10.25');
    expect(insert?.started.params?.[3]).toBe(at.toISOString()); // postgres.js sends text
    expect(insert?.started.params?.[4]).toBe('0b8a1c2d-1111-4222-8333-444455556666');
    expect(insert?.finished?.command).toBe('INSERT 0 1');
    const cursor = statements.filter(
      (s) =>
        s.started.sql === 'SELECT id FROM rec_items WHERE id >= 100 ORDER BY id' &&
        s.finished?.notExecuted === false &&
        s.finished.resultDigest !== null,
    );
    expect(cursor).toHaveLength(1);
    expect(cursor[0]?.finished?.rows).toBe(5);
    expect(cursor[0]?.finished?.error).toBeNull();
  });

  it('records every pgbench statement exactly once (COPY of pgbench -i, then -M prepared and -M simple)', async () => {
    const env = { ...process.env, PGPASSWORD: testRoles.scram.password, PGSSLMODE: 'disable' };
    const target = ['-h', p.host, '-p', String(p.port), '-U', testRoles.scram.user];
    const before = p.events.length;
    await run('pgbench', ['-i', '-q', '-s', '1', ...target, 'rec_bench'], { env });
    for (const mode of ['prepared', 'simple'])
      await run('pgbench', ['-n', '-S', '-M', mode, '-c', '4', '-t', '50', ...target, 'rec_bench'], { env });
    const deadline = Date.now() + 10_000;
    const opened = (): number => p.events.slice(before).filter((e) => e.type === 'session.opened').length;
    const closed = (): number => p.events.slice(before).filter((e) => e.type === 'session.closed').length;
    while (closed() < opened() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const events = p.events.slice(before);
    const started = events.filter((e): e is StatementStarted => e.type === 'statement.started');
    const finished = events.filter((e): e is StatementFinished => e.type === 'statement.finished');
    // Exactly one outcome per statement, none without a start.
    expect(new Set(finished.map((f) => `${f.session}/${f.statement}`)).size).toBe(finished.length);
    expect(finished.map((f) => `${f.session}/${f.statement}`).sort()).toEqual(
      started.map((s) => `${s.session}/${s.statement}`).sort(),
    );
    const selects = started.filter(
      (s) => typeof s.sql === 'string' && s.sql.startsWith('SELECT abalance FROM pgbench_accounts WHERE aid = '),
    );
    expect(selects).toHaveLength(2 * 4 * 50);
    expect(selects.filter((s) => s.protocol === 'extended' && s.params?.length === 1)).toHaveLength(200);
    const outcome = new Map(finished.map((f) => [`${f.session}/${f.statement}`, f]));
    for (const s of selects)
      expect(outcome.get(`${s.session}/${s.statement}`)).toMatchObject({
        command: 'SELECT 1',
        rows: 1,
        error: null,
        notExecuted: false,
      });
    const copy = finished.find((f) => f.copy !== null && f.rows === 100_000);
    expect(copy?.copy).toMatchObject({ direction: 'in' });
    expect(copy?.copy?.bytes).toBeGreaterThan(100_000);
  });

  it('records the role PostgreSQL itself reports, through SET ROLE, SET LOCAL ROLE and rollbacks', async () => {
    const c = await pgClient();
    const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const reported: string[] = [];
    const whoami = async (): Promise<void> => {
      reported.push((await c.query('SELECT current_user AS u')).rows[0].u as string);
    };
    const steps = [
      'SET ROLE rec_auditor',
      'RESET ROLE',
      'BEGIN; SET ROLE rec_auditor; ROLLBACK',
      'BEGIN; SET LOCAL ROLE rec_auditor',
      'COMMIT',
      'SET ROLE rec_auditor; SELECT 1/0',
      'SET role TO rec_auditor',
      'BEGIN; SET ROLE NONE; COMMIT',
      'SET ROLE rec_auditor',
      'DISCARD ALL',
    ];
    for (const step of steps) {
      await c.query(step).catch(() => {});
      await whoami();
    }
    await c.end();
    const { statements } = await sessionOf(pid);
    const recorded = statements.filter((s) => s.started.sql === 'SELECT current_user AS u').map((s) => s.started.role);
    expect(recorded).toEqual(reported);
    expect(new Set(reported)).toEqual(new Set([testRoles.scram.user, 'rec_auditor']));
  });

  it('follows SET SESSION AUTHORIZATION through the ParameterStatus the server reports', async () => {
    for (const major of inject('postgresMajors')) {
      const observe = createStatementObserver({
        recording: defaultConfig.recording,
        clock: systemClock,
        onInternalError: (e) => internalErrors.push(e),
      });
      const proxy = await startTestProxy(major, { observe });
      try {
        const c = new pg.Client({
          host: proxy.host,
          port: proxy.port,
          user: testRoles.admin.user,
          password: testRoles.admin.password,
          database: 'app',
        });
        await c.connect();
        await c.query(`SET SESSION AUTHORIZATION ${testRoles.scram.user}`);
        expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(testRoles.scram.user);
        await c.query('BEGIN; RESET SESSION AUTHORIZATION; ROLLBACK');
        await c.query('RESET SESSION AUTHORIZATION');
        await c.end();
        const deadline = Date.now() + 10_000;
        while (!proxy.events.some((e) => e.type === 'session.closed') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        const changes = proxy.events.flatMap((e) => (e.type === 'session.role_changed' ? [[e.statement, e.role]] : []));
        // The server reports session_authorization at ReadyForQuery, net of the transaction: the
        // RESET that was rolled back is never reported, and no statement ran under it.
        expect(changes, `PostgreSQL ${major.major}`).toEqual([
          [1, testRoles.scram.user],
          [6, testRoles.admin.user],
        ]);
        const roles = proxy.events.flatMap((e) => (e.type === 'statement.started' ? [e.role] : []));
        expect(roles).toEqual([
          testRoles.admin.user,
          testRoles.scram.user,
          testRoles.scram.user,
          testRoles.scram.user,
          testRoles.scram.user,
          testRoles.scram.user,
        ]);
      } finally {
        await proxy.close();
      }
    }
  });

  it('keeps pipelined postgres.js queries in step, an error affecting only its own batch', async () => {
    const sql = postgres({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      max: 1,
      onnotice: () => {},
    });
    const [{ pid }] = (await sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const results = await Promise.allSettled([
      sql`SELECT ${1}::int AS a`,
      sql`SELECT ${1}::int / ${0}::int AS b`,
      sql`SELECT ${'x'}::text AS c, generate_series(1, 3) AS d`,
      sql`SELECT ${2}::int AS e`,
    ]);
    await sql.end();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);

    const { statements } = await sessionOf(pid);
    // The division is folded while planning at Bind: refused, so not executed, and it carries the error.
    const executed = statements.filter(
      (s) => (s.finished?.notExecuted === false || s.finished?.error) && s.started.params !== null,
    );
    expect(
      executed.map((s) => [
        s.started.params,
        s.finished?.command ?? null,
        s.finished?.rows ?? null,
        s.finished?.error?.code ?? null,
      ]),
    ).toEqual([
      [['1'], 'SELECT 1', 1, null],
      [['1', '0'], null, null, '22012'],
      [['x'], 'SELECT 3', 3, null],
      [['2'], 'SELECT 1', 1, null],
    ]);
  });

  it('links a CancelRequest to the statement it cancelled', async () => {
    const sql = postgres({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      max: 1,
      onnotice: () => {},
    });
    const [{ pid }] = (await sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const sleeping = sql`SELECT pg_sleep(30)`;
    const outcome = sleeping.then(
      () => 'finished',
      (e: { code?: string }) => e.code,
    );
    // Cancel once the statement has left pgtrail (its record exists), and give the server a moment to start it.
    while (!p.events.some((e) => e.type === 'statement.started' && e.sql === 'SELECT pg_sleep(30)'))
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    await sleeping.cancel();
    expect(await outcome).toBe('57014');
    await sql.end();

    const { events, statements } = await sessionOf(pid);
    const sleep = statements.find((s) => s.started.sql === 'SELECT pg_sleep(30)' && s.finished?.error !== null);
    expect(sleep?.finished?.error?.code).toBe('57014');
    const cancels = events.filter((e) => e.type === 'statement.cancel_requested');
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toMatchObject({ statement: sleep?.started.statement });
  });

  it('decodes binary parameters exactly as PostgreSQL prints them', async () => {
    const values = binaryParameters();
    const { pid, frames } = await rawExtendedQuery(p.host, p.port, values);
    expect(frames).toContain(0x5a);
    const { statements } = await sessionOf(pid);
    const probe = statements.find((s) => s.started.protocol === 'extended');
    // The same values, selected back in text format, are PostgreSQL's own text output of them.
    expect(probe?.finished?.error).toBeNull();
    expect(probe?.started.params).toEqual(probe?.finished?.capturedRows?.[0]);
    expect(probe?.started.params).toContain('\\xdeadbeef');
  });

  it('decodes binary parameters as every PostgreSQL major prints them', async () => {
    for (const major of inject('postgresMajors')) {
      const observe = createStatementObserver({
        recording: { ...defaultConfig.recording, captureRows: 1 },
        clock: systemClock,
        onInternalError: (e) => internalErrors.push(e),
      });
      const proxy = await startTestProxy(major, { observe });
      try {
        await rawExtendedQuery(proxy.host, proxy.port, binaryParameters());
        const deadline = Date.now() + 10_000;
        while (!proxy.events.some((e) => e.type === 'session.closed') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        const started = proxy.events.find((e): e is StatementStarted => e.type === 'statement.started');
        const finished = proxy.events.find((e): e is StatementFinished => e.type === 'statement.finished');
        expect(finished?.error, `PostgreSQL ${major.major}`).toBeNull();
        expect(started?.params, `PostgreSQL ${major.major}`).toEqual(finished?.capturedRows?.[0]);
      } finally {
        await proxy.close();
      }
    }
  });

  it('resolves a protocol Bind to a statement made by SQL PREPARE (one namespace on the server)', async () => {
    const raw = await RawClient.open(p.host, p.port);
    raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
    await raw.untilReady();
    raw.write(frontendMessage('Q', 'SELECT pg_backend_pid()\0'));
    const pidRow = (await raw.untilReady()).find((m) => m.code === 0x44);
    const pid = Number(pidRow?.body.subarray(6).toString());
    raw.write(frontendMessage('Q', 'PREPARE Plus_One (int) AS SELECT $1 + 1 AS n\0'));
    await raw.untilReady();
    raw.write(
      Buffer.concat([
        serialize.bind({ statement: 'plus_one', values: ['41'] }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    );
    const answer = await raw.untilReady();
    expect(
      answer
        .find((m) => m.code === 0x44)
        ?.body.subarray(6)
        .toString(),
    ).toBe('42');
    raw.write(frontendMessage('X'));
    raw.end();

    const { statements } = await sessionOf(pid);
    const bound = statements.find((s) => s.started.protocol === 'extended');
    expect(bound?.started).toMatchObject({ sql: 'SELECT $1 + 1 AS n', preparedName: 'plus_one', params: ['41'] });
    expect(bound?.finished).toMatchObject({ command: 'SELECT 1', rows: 1, error: null });
  });

  it('records psql COPY, SET ROLE, NOTIFY and scrubs the password of ALTER ROLE', async () => {
    const env = { ...process.env, PGPASSWORD: testRoles.scram.password, PGAPPNAME: 'rec-psql', PGSSLMODE: 'disable' };
    const args = [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      p.host,
      '-p',
      String(p.port),
      '-U',
      testRoles.scram.user,
      '-d',
      'app',
    ];
    // Each -c is one Query message: multi-statement strings go as psql users send them.
    const commands = [
      'SELECT pg_backend_pid()',
      'COPY rec_items (id, name) FROM STDIN',
      'SET ROLE rec_auditor; SELECT current_user',
      'RESET ROLE',
      "LISTEN rec_channel; NOTIFY rec_channel, 'hello'",
      `ALTER ROLE ${testRoles.scram.user} PASSWORD '${testRoles.scram.password}'`,
    ];
    const child = run('psql', [...args, '-At', ...commands.flatMap((c) => ['-c', c])], { env });
    child.child.stdin?.end('200\ttwo hundred\n201\t\\N\n\\.\n');
    const { stdout } = await child;
    const pid = Number(stdout.split('\n')[0]);

    const { events, statements } = await sessionOf(pid);
    const copy = statements.find((s) => s.started.sql === 'COPY rec_items (id, name) FROM STDIN');
    // psql 15 (on PATH) sends the end-of-data line `\.` as CopyData too: it is part of the stream as sent.
    const data = Buffer.from('200\ttwo hundred\n201\t\\N\n\\.\n');
    expect(copy?.finished?.copy).toEqual({
      direction: 'in',
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    expect(copy?.finished?.rows).toBe(2);
    const roles = events.flatMap((e) => (e.type === 'session.role_changed' ? [e.role] : []));
    expect(roles).toEqual(['rec_auditor', testRoles.scram.user]);
    const whoami = statements.find((s) => s.started.sql === 'SELECT current_user');
    expect(whoami?.started.role).toBe(testRoles.scram.user); // sent in the same string as SET ROLE
    const reset = statements.find((s) => s.started.sql === 'RESET ROLE');
    expect(reset?.started.role).toBe('rec_auditor');
    const notified = events.filter((e) => e.type === 'session.notified');
    expect(notified).toMatchObject([
      { channel: 'rec_channel', payloadSha256: createHash('sha256').update('hello').digest('hex') },
    ]);

    // The observer records what was sent; the recorder's redactor scrubs it before the journal.
    const redactor = await createRedactor([]);
    const alter = statements.find((s) => typeof s.started.sql === 'string' && s.started.sql.startsWith('ALTER ROLE'));
    expect(alter?.finished?.command).toBe('ALTER ROLE');
    const written = JSON.stringify(redactor.redact(alter?.started as StatementStarted));
    expect(written).not.toContain(testRoles.scram.password);
    expect(written).toContain('"redaction":"password"');
  });
});

/** One binary value per common type, with the OIDs Parse declares for them. */
function binaryParameters(): { oid: number; value: Buffer }[] {
  const b = (size: number, write: (buf: Buffer) => void): Buffer => {
    const buf = Buffer.alloc(size);
    write(buf);
    return buf;
  };
  const numeric = Buffer.from([0, 3, 0, 1, 0x40, 0, 0, 6, 0, 12, 0x0d, 0x80, 0x04, 0xd2]); // -12.3456,1234 -> digits 12|3456|1234, weight 1
  const interval = Buffer.alloc(16);
  interval.writeBigInt64BE(3_723_000_500n, 0);
  interval.writeInt32BE(3, 8);
  interval.writeInt32BE(14, 12);
  return [
    { oid: 21, value: b(2, (x) => x.writeInt16BE(-32768)) },
    { oid: 23, value: b(4, (x) => x.writeInt32BE(42)) },
    { oid: 20, value: b(8, (x) => x.writeBigInt64BE(-9007199254740993n)) },
    { oid: 700, value: b(4, (x) => x.writeFloatBE(3.14)) },
    { oid: 701, value: b(8, (x) => x.writeDoubleBE(-2.5e-7)) },
    { oid: 1700, value: numeric },
    { oid: 16, value: Buffer.from([1]) },
    { oid: 25, value: Buffer.from('héllo') },
    { oid: 1043, value: Buffer.from('varchar') },
    { oid: 2950, value: Buffer.from('0b8a1c2d11114222833344445555666a', 'hex') },
    { oid: 1082, value: b(4, (x) => x.writeInt32BE(8825)) },
    { oid: 1083, value: b(8, (x) => x.writeBigInt64BE(45_296_789_000n)) },
    { oid: 1114, value: b(8, (x) => x.writeBigInt64BE(768_000_000_123_456n)) },
    { oid: 1184, value: b(8, (x) => x.writeBigInt64BE(-1_000_000n)) },
    { oid: 1186, value: interval },
    { oid: 17, value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
    { oid: 701, value: b(8, (x) => x.writeDoubleBE(1e15)) },
    { oid: 701, value: b(8, (x) => x.writeDoubleBE(0.00001)) },
    { oid: 701, value: b(8, (x) => x.writeDoubleBE(123456789012345.6)) },
    { oid: 700, value: b(4, (x) => x.writeFloatBE(1e6)) },
    { oid: 700, value: b(4, (x) => x.writeFloatBE(123456)) },
    { oid: 1082, value: b(4, (x) => x.writeInt32BE(-800_000)) },
    { oid: 1114, value: b(8, (x) => x.writeBigInt64BE(0x7fffffffffffffffn)) },
    { oid: 1700, value: Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]) },
    { oid: 1700, value: Buffer.from([0, 0, 0, 0, 0xc0, 0, 0, 0]) },
    {
      oid: 1186,
      value: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x9c, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe]),
    },
  ];
}

/**
 * A minimal client speaking the protocol with pg-protocol's serializer (node-postgres and postgres.js
 * send parameters in text, so binary ones need a client that sends them): trust authentication,
 * TimeZone UTC, then Parse with type OIDs, Bind with binary values, Execute, Sync.
 */
async function rawExtendedQuery(
  host: string,
  port: number,
  params: { oid: number; value: Buffer }[],
): Promise<{ pid: number; frames: number[] }> {
  const { connect } = await import('node:net');
  const { serialize } = await import('pg-protocol');
  const socket = connect({ host, port });
  let buffer = Buffer.alloc(0);
  const frames: number[] = [];
  let pid = 0;
  let waiting: (() => void) | null = null;
  let readyCount = 0;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
      const code = buffer[0] as number;
      const length = buffer.readInt32BE(1);
      if (code === 0x4b) pid = buffer.readInt32BE(5); // BackendKeyData
      frames.push(code);
      if (code === 0x5a) {
        readyCount++;
        waiting?.();
      }
      buffer = buffer.subarray(1 + length);
    }
  });
  const ready = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (readyCount >= n) resolve();
      };
      waiting = check;
      check();
    });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(serialize.startup({ user: testRoles.trust.user, database: 'app', TimeZone: 'UTC' }));
  await ready(1);
  const placeholders = params.map((_x, i) => `$${i + 1}`).join(', ');
  socket.write(
    Buffer.concat([
      serialize.parse({ text: `SELECT ${placeholders}`, types: params.map((x) => x.oid) }),
      serialize.bind({ values: params.map((x) => x.value), binary: false }),
      serialize.execute(),
      serialize.sync(),
    ]),
  );
  await ready(2);
  socket.end(serialize.end());
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { pid, frames };
}
