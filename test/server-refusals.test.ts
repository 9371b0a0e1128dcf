/**
 * Where the server answers with an error before or instead of running what the client asked, on every
 * PostgreSQL major of the run: startup parameters it refuses, a database or role it does not know, a
 * fastpath FunctionCall that fails, COPY refused once it started (the client's CopyFail, a bad row).
 * Each reaches the client as the server's own ErrorResponse and is on the record with its SQLSTATE:
 * a session.auth_failed for a startup, a statement with the error for the others.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionAuthFailed, StatementFinished, StatementStarted } from '../recorder/events.js';
import { copyIn } from './support/pg-copy.js';
import { RawClient, frontendMessage, sqlstateOf, startupMessage } from './support/raw-client.js';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

const login = { user: testRoles.scram.user, password: testRoles.scram.password, database: 'app' };

/** What the server said to the client, as node-postgres reports it. */
interface ServerError {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
}

/** A FunctionCall body: the function's OID and int4 arguments in binary, a binary result. */
function functionCall(oid: number, args: readonly number[]): Buffer {
  const body = Buffer.alloc(4 + 2 + 2 + 2 + args.length * 8 + 2);
  let o = body.writeInt32BE(oid, 0);
  o = body.writeInt16BE(1, o); // one format code for all arguments: binary
  o = body.writeInt16BE(1, o);
  o = body.writeInt16BE(args.length, o);
  for (const a of args) {
    o = body.writeInt32BE(4, o);
    o = body.writeInt32BE(a, o);
  }
  body.writeInt16BE(1, o);
  return body;
}

/** The ErrorResponse's M field. */
function messageOf(body: Buffer): string {
  for (let o = 0; o < body.length && body[o] !== 0; ) {
    const end = body.indexOf(0, o + 1);
    if (body[o] === 0x4d) return body.subarray(o + 1, end).toString();
    o = end + 1;
  }
  return '';
}

describe.each(inject('postgresMajors').map((s) => [s.major, s] as const))(
  'the server refuses, PostgreSQL %i',
  (_major, server) => {
    let rec: RecordingProxy;
    beforeAll(async () => {
      rec = await startRecordingProxy(server);
    });
    afterAll(async () => {
      await rec.stop();
      rec.remove();
    });

    /** Connects through pgtrail with `extra` startup settings; resolves with the error the client got. */
    async function refusedStartup(extra: pg.ClientConfig): Promise<ServerError> {
      const c = new pg.Client({ host: rec.proxy.host, port: rec.proxy.port, ...login, ...extra });
      const err = await c.connect().then(
        () => null,
        (e: unknown) => e as ServerError,
      );
      await c.end().catch(() => {});
      if (err === null) throw new Error('the server accepted the startup');
      return err;
    }
    const authFailed = (match: (e: SessionAuthFailed) => boolean) =>
      rec.proxy.events.filter((e): e is SessionAuthFailed => e.type === 'session.auth_failed' && match(e));

    /** The records of the one statement whose SQL is `sql`, read back from the journal by search. */
    async function statementRecords(sql: string): Promise<{ started: StatementStarted; finished: StatementFinished }> {
      await rec.writer.flush();
      const started = rec.proxy.events.filter(
        (e): e is StatementStarted => e.type === 'statement.started' && e.sql === sql,
      );
      expect(started).toHaveLength(1);
      const s = started[0] as StatementStarted;
      const finished = rec.proxy.events.filter(
        (e): e is StatementFinished =>
          e.type === 'statement.finished' && e.session === s.session && e.statement === s.statement,
      );
      expect(finished).toHaveLength(1);
      return { started: s, finished: finished[0] as StatementFinished };
    }

    /** `pgtrail search --error CODE` over the journal: the SQL of what it finds. */
    async function searchError(code: string): Promise<string[]> {
      await rec.writer.flush();
      const r = await runCommand('search', ['--journal', rec.journal, '--json', '--error', code]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { sql: string }).sql);
    }

    it('options=-c with a setting the server does not know: its FATAL 42704, recorded as auth_failed', async () => {
      const err = await refusedStartup({ options: '-c nosuchsetting=1' });
      expect(err).toMatchObject({
        code: '42704',
        severity: 'FATAL',
        message: 'unrecognized configuration parameter "nosuchsetting"',
      });
      expect(authFailed((e) => e.code === '42704')).toEqual([
        expect.objectContaining({ user: login.user, database: 'app', method: 'passthrough', reason: err.message }),
      ]);
    });

    it('options=-c with a value the server refuses: its FATAL 22023, recorded as auth_failed', async () => {
      const err = await refusedStartup({ options: '-c work_mem=lots' });
      expect(err).toMatchObject({ code: '22023', severity: 'FATAL' });
      expect(err.message).toContain('work_mem');
      expect(authFailed((e) => e.code === '22023')).toEqual([
        expect.objectContaining({ user: login.user, database: 'app', reason: err.message }),
      ]);
    });

    it('options that are not a command line the server takes: its FATAL, recorded as auth_failed', async () => {
      const err = await refusedStartup({ options: '--no-such-switch' });
      expect(err.severity).toBe('FATAL');
      expect(err.code).toMatch(/^[0-9A-Z]{5}$/);
      expect(authFailed((e) => e.reason === err.message)).toEqual([
        expect.objectContaining({ user: login.user, code: err.code }),
      ]);
    });

    it('a database the server does not know, found after authentication: 3D000, recorded as auth_failed', async () => {
      const err = await refusedStartup({ database: 'no_such_database' });
      expect(err).toMatchObject({ code: '3D000', message: 'database "no_such_database" does not exist' });
      expect(authFailed((e) => e.database === 'no_such_database')).toEqual([
        expect.objectContaining({ code: '3D000', user: login.user, reason: err.message }),
      ]);
    });

    it('a role the server does not know: the server refuses it as a wrong password, recorded as auth_failed', async () => {
      const err = await refusedStartup({ user: 'no_such_role' });
      expect(err).toMatchObject({ code: '28P01', message: 'password authentication failed for user "no_such_role"' });
      expect(authFailed((e) => e.user === 'no_such_role')).toEqual([
        expect.objectContaining({ code: '28P01', reason: err.message }),
      ]);
    });

    describe('after the session opened', () => {
      let raw: RawClient;
      beforeAll(async () => {
        raw = await RawClient.open(rec.proxy.host, rec.proxy.port);
        raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
        await raw.untilReady();
        raw.write(frontendMessage('Q', 'create temp table refusal_copy (v int)\0'));
        await raw.untilReady();
      });
      afterAll(() => {
        raw.end();
      });

      it('a FunctionCall that fails (int4div by zero): the server error, a statement with 22012', async () => {
        raw.write(frontendMessage('F', functionCall(154, [1, 0]))); // int4div(int4, int4)
        const reply = await raw.untilReady();
        expect(reply.map((m) => String.fromCharCode(m.code)).join('')).toBe('EZ');
        expect(sqlstateOf(reply[0]?.body as Buffer)).toBe('22012');
        const { started, finished } = await statementRecords('FunctionCall 154');
        expect(started).toMatchObject({ protocol: 'function_call', params: ['\\x00000001', '\\x00000000'] });
        expect(finished).toMatchObject({
          error: { code: '22012', message: 'division by zero' },
          command: null,
          resultDigest: null,
        });
        expect(await searchError('22012')).toContain('FunctionCall 154');
      });

      it('a FunctionCall of a function that does not exist: refused, a statement with 42883', async () => {
        raw.write(frontendMessage('F', functionCall(999_999_999, [])));
        const reply = await raw.untilReady();
        expect(sqlstateOf(reply[0]?.body as Buffer)).toBe('42883');
        const { finished } = await statementRecords('FunctionCall 999999999');
        expect(finished.error).toEqual({ code: '42883', message: messageOf(reply[0]?.body as Buffer) });
        expect(await searchError('42883')).toEqual(['FunctionCall 999999999']);
      });

      it('COPY FROM STDIN that the client abandons with CopyFail: 57014 on the COPY statement', async () => {
        const sql = 'copy refusal_copy from stdin -- copyfail';
        raw.write(frontendMessage('Q', `${sql}\0`));
        while ((await raw.next()).code !== 0x47); // CopyInResponse
        raw.write(Buffer.concat([frontendMessage('d', '1\n2\n'), frontendMessage('f', 'changed my mind\0')]));
        const reply = await raw.untilReady();
        expect(sqlstateOf(reply[0]?.body as Buffer)).toBe('57014');
        const message = messageOf(reply[0]?.body as Buffer);
        expect(message).toContain('changed my mind');
        const { started, finished } = await statementRecords(sql);
        expect(started.protocol).toBe('simple');
        expect(finished).toMatchObject({ error: { code: '57014', message }, command: null, rows: null });
        expect(finished.copy).toMatchObject({ direction: 'in', bytes: 4 });
        expect(await searchError('57014')).toEqual([sql]);
      });

      it('COPY FROM STDIN with a bad row: the server stops it with 22P02, on the COPY statement', async () => {
        const c = new pg.Client({ host: rec.proxy.host, port: rec.proxy.port, ...login });
        await c.connect();
        const sql = 'copy refusal_rows from stdin';
        try {
          await c.query('create temp table refusal_rows (v int)');
          await expect(copyIn(c, sql, [Buffer.from('1\n2\nthree\n4\n')])).rejects.toMatchObject({
            code: '22P02',
            message: 'invalid input syntax for type integer: "three"',
          });
          expect((await c.query('select count(*)::int as n from refusal_rows')).rows).toEqual([{ n: 0 }]);
        } finally {
          await c.end();
        }
        const { finished } = await statementRecords(sql);
        expect(finished).toMatchObject({
          error: { code: '22P02', message: 'invalid input syntax for type integer: "three"' },
          command: null,
          rows: null,
        });
        expect(finished.copy?.direction).toBe('in');
        expect(await searchError('22P02')).toEqual([sql]);
      });

      it('COPY TO STDOUT that fails after rows went out: 22012 on the COPY statement, the bytes sent counted', async () => {
        const sql = 'copy (select 10 / (2 - v) from generate_series(1, 3) v) to stdout';
        raw.write(frontendMessage('Q', `${sql}\0`));
        const reply = await raw.untilReady();
        const codes = reply.map((m) => String.fromCharCode(m.code)).join('');
        expect(codes).toMatch(/^Hd*EZ$/);
        const error = reply.find((m) => m.code === 0x45)?.body as Buffer;
        expect(sqlstateOf(error)).toBe('22012');
        const sent = reply.filter((m) => m.code === 0x64).reduce((n, m) => n + m.body.length, 0);
        const { finished } = await statementRecords(sql);
        expect(finished).toMatchObject({ error: { code: '22012', message: 'division by zero' }, command: null });
        expect(finished.copy).toMatchObject({ direction: 'out', bytes: sent });
        expect(await searchError('22012')).toContain(sql);
      });
    });
  },
);
