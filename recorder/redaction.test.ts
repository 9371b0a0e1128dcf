import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RedactionRule } from '../config/config.js';
import type { SessionOpened, StatementFinished, StatementStarted } from './events.js';
import { createRedactor } from './redaction.js';
import { replaceLiterals } from './sql-literals.js';

const opened = (session: string, database: string, user: string): SessionOpened => ({
  type: 'session.opened',
  ts: 1,
  session,
  identity: { user, method: { kind: 'passthrough' } },
  database,
  role: user,
  client: { address: '127.0.0.1', port: 1 },
  upstream: { address: '127.0.0.1', port: 5432 },
  application: 'psql',
  clientTls: null,
  upstreamTls: null,
  backendPid: 1,
  serverVersion: '18.0',
});

const started = (
  session: string,
  statement: number,
  sql: string,
  params: (string | null)[] | null = null,
): StatementStarted => ({
  type: 'statement.started',
  ts: 2,
  session,
  statement,
  user: 'u',
  role: 'u',
  protocol: params === null ? 'simple' : 'extended',
  sql,
  params,
  preparedName: null,
  portal: null,
  redaction: null,
});

const finished = (session: string, statement: number, message: string): StatementFinished => ({
  type: 'statement.finished',
  ts: 3,
  session,
  statement,
  command: null,
  rows: null,
  error: { code: '42601', message },
  durationMs: 1,
  txStatus: 'I',
  resultDigest: null,
  notExecuted: false,
  copy: null,
  capturedRows: null,
});

const rule = (
  name: string,
  action: RedactionRule['action'],
  database: string | null = null,
  user: string | null = null,
): RedactionRule => ({ name, action, database, user });

describe('createRedactor', () => {
  it('applies drop-params only to the sessions whose database and user match', async () => {
    const r = await createRedactor([rule('pii', 'drop-params', 'app', 'alice')]);
    r.redact(opened('a', 'app', 'alice'));
    r.redact(opened('b', 'app', 'bob'));
    r.redact(opened('c', 'other', 'alice'));
    expect(r.redact(started('a', 1, 'SELECT $1', ['x', null]))).toMatchObject({
      params: [null, null],
      redaction: 'pii',
      sql: 'SELECT $1',
    });
    expect(r.redact(started('b', 1, 'SELECT $1', ['x']))).toMatchObject({ params: ['x'], redaction: null });
    expect(r.redact(started('c', 1, 'SELECT $1', ['x']))).toMatchObject({ params: ['x'], redaction: null });
  });

  it('normalizes SQL with the parser, and with the lexer when it cannot parse', async () => {
    const r = await createRedactor([rule('norm', 'normalize-sql', 'app')]);
    r.redact(opened('a', 'app', 'alice'));
    expect(r.redact(started('a', 1, "SELECT * FROM t WHERE email = 'a@b.c' AND n > 42"))).toMatchObject({
      sql: 'SELECT * FROM t WHERE email = $1 AND n > $2',
      redaction: 'norm',
    });
    expect(r.redact(started('a', 2, "SELEC * FROM t WHERE email = 'a@b.c' AND n > $1 AND m = 4.5e3"))).toMatchObject({
      sql: 'SELEC * FROM t WHERE email = $2 AND n > $1 AND m = $3',
    });
  });

  it('always scrubs passwords, drops their parameters and says so', async () => {
    const r = await createRedactor([]);
    r.redact(opened('a', 'app', 'alice'));
    expect(r.redact(started('a', 1, `ALTER ROLE x PASSWORD 'hunter2'`))).toMatchObject({
      sql: `ALTER ROLE x PASSWORD '***'`,
      redaction: 'password',
    });
    expect(r.redact(started('a', 2, 'CREATE USER x PASSWORD $1', ['hunter2']))).toMatchObject({
      params: [null],
      redaction: 'password',
    });
  });

  it('drops a parameter value that carries credentials, and only that one', async () => {
    const r = await createRedactor([]);
    expect(r.redact(started('a', 1, 'SELECT dblink_connect($1, $2)', ['c', 'host=h password=hunter2']))).toMatchObject({
      params: ['c', null],
      redaction: 'password',
    });
    expect(r.redact(started('a', 2, 'SELECT $1', ['postgres://u:hunter2@h/db']))).toMatchObject({
      params: [null],
      redaction: 'password',
    });
    expect(r.redact(started('a', 3, 'SELECT $1', ['https://example.com/x']))).toMatchObject({
      params: ['https://example.com/x'],
      redaction: null,
    });
  });

  it('drops captured values that are password verifiers or carry credentials', async () => {
    const r = await createRedactor([]);
    const scram = 'SCRAM-SHA-256$4096:c2FsdHNhbHQ=$c3RvcmVka2V5:c2VydmVya2V5';
    const event: StatementFinished = {
      ...finished('a', 1, ''),
      error: null,
      capturedRows: [
        ['app', scram],
        ['md5_user', 'md5d41d8cd98f00b204e9800998ecf8427e'],
        ['x', 'plain'],
        ['m', '{user=u,password=hunter2}'],
      ],
    };
    expect(r.redact(event)).toMatchObject({
      capturedRows: [
        ['app', null],
        ['md5_user', null],
        ['x', 'plain'],
        ['m', null],
      ],
    });
  });

  it('removes an error message that quotes a scrubbed password', async () => {
    const r = await createRedactor([]);
    r.redact(started('a', 1, `ALTER ROLE x PASSWORD 'hunter2-secret'`));
    const f = r.redact(finished('a', 1, 'password "hunter2-secret" is too weak'));
    expect(JSON.stringify(f)).not.toContain('hunter2-secret');
    expect(r.redact(finished('a', 2, 'hunter2-secret'))).toMatchObject({ error: { message: 'hunter2-secret' } });
  });

  it('combines scrubbing with the rules and never lets a generated password through', async () => {
    const r = await createRedactor([rule('norm', 'normalize-sql'), rule('drop', 'drop-params')]);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 6, maxLength: 30 }).filter((s) => /^[\x20-\x7e]+$/.test(s) && !/^\s|\s$/.test(s)),
        async (pw) => {
          const literal = `'${pw.replaceAll("'", "''")}'`;
          const out = r.redact(started('a', 1, `ALTER USER "${'u'}" WITH PASSWORD ${literal}`, [pw]));
          const text = JSON.stringify(out);
          expect(out).toMatchObject({ redaction: 'password,norm,drop', params: [null] });
          expect(text.includes(JSON.stringify(pw).slice(1, -1))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('replaceLiterals', () => {
  it('replaces what is a literal under either standard_conforming_strings setting', () => {
    // Read with the setting on, the literal is 'a\' and an open quote runs to the end; off, it is 'a\'b'.
    expect(replaceLiterals(`SELECT 'a\\'b' FROM t`)).toBe('SELECT $1');
    expect(replaceLiterals(`SELECT 'a\\'b', 'c' FROM t WHERE x = 'd'`)).toBe(`SELECT $1`);
  });

  it('replaces strings and numbers but not identifiers or parameters', () => {
    expect(replaceLiterals(`SELECT t1.a, 'x', E'y\\'', $$z$$, 3, .5 FROM t1 WHERE b = $2`)).toBe(
      'SELECT t1.a, $3, $4, $5, $6, $7 FROM t1 WHERE b = $2',
    );
  });
});
