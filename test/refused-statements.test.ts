/**
 * Statements the server refuses before running them, sent by the clients that show each path,
 * through a recording proxy on every PostgreSQL major of the run: each is one statement record,
 * marked not executed, with its SQL, its parameters when a Bind got that far, and the server's
 * SQLSTATE and message; `sessions` counts it as an error and `search --error` finds it.
 */
import { execFile } from 'node:child_process';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

interface SearchRow {
  session: string;
  sql: string;
  params: string[] | null;
  command: string | null;
  error: { code: string; message: string } | null;
  not_executed: boolean;
}

const login = { user: testRoles.scram.user, password: testRoles.scram.password, database: 'app' };
/** Debian's python3-asyncpg (the pyenv python on PATH does not see Debian's packages). */
const python = '/usr/bin/python3';

/** Runs an asyncpg script against the proxy; resolves with its stdout. */
function asyncpg(port: number, body: string): Promise<string> {
  const script = [
    'import asyncio, asyncpg, sys',
    'async def main():',
    `    conn = await asyncpg.connect(host='127.0.0.1', port=${port}, user='${login.user}', password='${login.password}', database='app', ssl=False)`,
    ...body.split('\n').map((line) => `    ${line}`),
    '    await conn.close()',
    'asyncio.run(main())',
  ].join('\n');
  return new Promise((resolve, reject) =>
    execFile(python, ['-c', script], { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`asyncpg: ${stderr}`)) : resolve(stdout),
    ),
  );
}

async function searchErrors(journal: string, code: string): Promise<SearchRow[]> {
  const r = await runCommand('search', ['--journal', journal, '--json', '--error', code]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SearchRow);
}

describe.each(inject('postgresMajors').map((s) => [s.major, s] as const))(
  'refused before execution, PostgreSQL %i',
  (_major, server) => {
    let rec: RecordingProxy;
    beforeAll(async () => {
      rec = await startRecordingProxy(server);
    });
    afterAll(async () => {
      await rec.stop();
      rec.remove();
    });
    const flush = () => rec.writer.flush();

    it('asyncpg fetchval of a syntax error (Parse, Describe, Sync and no Execute) is one record', async () => {
      const out = await asyncpg(
        rec.proxy.port,
        [
          'try:',
          "    await conn.fetchval('selec asyncpg_marker_1')",
          'except asyncpg.PostgresSyntaxError as e:',
          '    print(e.sqlstate)',
          'tr = conn.transaction()',
          'await tr.start()',
          'try:',
          "    await conn.execute('select 1/0')",
          'except asyncpg.DivisionByZeroError:',
          '    pass',
          'try:',
          "    await conn.fetchval('select asyncpg_marker_2')",
          'except asyncpg.InFailedSQLTransactionError as e:',
          '    print(e.sqlstate)',
          'await tr.rollback()',
        ].join('\n'),
      );
      expect(out).toContain('42601');
      expect(out).toContain('25P02');
      await flush();
      const syntax = (await searchErrors(rec.journal, '42601')).filter((r) => r.sql.includes('asyncpg_marker_1'));
      expect(syntax).toEqual([
        expect.objectContaining({
          sql: 'selec asyncpg_marker_1',
          params: null,
          command: null,
          error: { code: '42601', message: 'syntax error at or near "selec"' },
          not_executed: true,
        }),
      ]);
      const aborted = (await searchErrors(rec.journal, '25P02')).filter((r) => r.sql.includes('asyncpg_marker_2'));
      expect(aborted).toHaveLength(1);
      expect(aborted[0]).toMatchObject({ sql: 'select asyncpg_marker_2', not_executed: true });
      const sessions = await runCommand('sessions', [
        '--journal',
        rec.journal,
        '--json',
        '--session',
        aborted[0]?.session ?? '',
      ]);
      const row = JSON.parse(sessions.stdout.trim()) as { errors: number };
      // The syntax error, the division by zero and the refused Parse in the failed transaction.
      expect(row.errors).toBe(3);
    });

    it('postgres.js: a syntax error is one record, and a bad parameter keeps its value', async () => {
      const sql = postgres({ host: rec.proxy.host, port: rec.proxy.port, ...login, username: login.user, max: 1 });
      try {
        await expect(sql`selec postgres_js_marker_1, ${1}::int`).rejects.toMatchObject({ code: '42601' });
        await expect(sql`select ${'not a number'}::int as postgres_js_marker_2`).rejects.toMatchObject({
          code: '22P02',
        });
        expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
      } finally {
        await sql.end();
      }
      await flush();
      const syntax = (await searchErrors(rec.journal, '42601')).filter((r) => r.sql.includes('postgres_js_marker_1'));
      expect(syntax).toHaveLength(1);
      expect(syntax[0]).toMatchObject({ not_executed: true, command: null });
      const bad = (await searchErrors(rec.journal, '22P02')).filter((r) => r.sql.includes('postgres_js_marker_2'));
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ params: ['not a number'] });
    });

    it('psql -c with a syntax error in its third statement: the third carries it, none ran', async () => {
      await new Promise<void>((resolve) =>
        execFile(
          'psql',
          [
            `host=127.0.0.1 port=${rec.proxy.port} user=${login.user} dbname=app`,
            '-X',
            '-c',
            'select 1 as psql_marker_1; select 2 as psql_marker_2; selec psql_marker_3',
          ],
          { env: { PATH: process.env.PATH ?? '', PGPASSWORD: login.password } },
          () => resolve(),
        ),
      );
      await flush();
      const r = await runCommand('search', ['--journal', rec.journal, '--json', '--grep', 'psql_marker_']);
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as SearchRow);
      expect(rows.map((row) => [row.sql, row.error?.code ?? null, row.not_executed])).toEqual([
        ['select 1 as psql_marker_1', null, true],
        ['select 2 as psql_marker_2', null, true],
        ['selec psql_marker_3', '42601', false],
      ]);
      const errors = await searchErrors(rec.journal, '42601');
      expect(errors.filter((row) => row.sql.includes('psql_marker_')).map((row) => row.sql)).toEqual([
        'selec psql_marker_3',
      ]);
    });

    it('node-postgres: a failed Parse, a failed Bind and a Parse in a failed transaction are one record each', async () => {
      const c = new pg.Client({ host: rec.proxy.host, port: rec.proxy.port, ...login });
      await c.connect();
      try {
        await expect(c.query('selec $1::int as nodepg_marker_1', [1])).rejects.toMatchObject({ code: '42601' });
        await expect(c.query('select $1::int as nodepg_marker_2', ['x'])).rejects.toMatchObject({ code: '22P02' });
        await c.query('begin');
        await expect(c.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
        await expect(c.query('select $1::int as nodepg_marker_3', [3])).rejects.toMatchObject({ code: '25P02' });
        await c.query('rollback');
      } finally {
        await c.end();
      }
      await flush();
      const find = async (code: string, marker: string) =>
        (await searchErrors(rec.journal, code)).filter((r) => r.sql.includes(marker));
      expect(await find('42601', 'nodepg_marker_1')).toEqual([
        expect.objectContaining({ params: ['1'], not_executed: true }),
      ]);
      expect(await find('22P02', 'nodepg_marker_2')).toEqual([
        expect.objectContaining({ params: ['x'], not_executed: true }),
      ]);
      expect(await find('25P02', 'nodepg_marker_3')).toEqual([
        expect.objectContaining({ params: ['3'], not_executed: true }),
      ]);
    });
  },
);
