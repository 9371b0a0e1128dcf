/**
 * search and sessions over a journal recorded from real sessions through pgtrail (node-postgres,
 * psql, postgres.js), every filter checked through the command's JSON output, and the derived index
 * deleted or corrupted and rebuilt with the same answers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

interface SearchJson {
  ts: string;
  seq: number;
  session: string;
  user: string;
  database: string;
  role: string;
  client: string;
  application: string;
  sql: string;
  params: string[] | null;
  command: string | null;
  rows: number | null;
  error: { code: string; message: string } | null;
  duration_ms: number | null;
  kind: string;
}

const pause = () => new Promise((r) => setTimeout(r, 30));

describe('search and sessions on a recorded journal', () => {
  const server = inject('postgres');
  let rec: RecordingProxy;
  let t1 = '';
  let t2 = '';

  beforeAll(async () => {
    rec = await startRecordingProxy(server);
    const { host, port } = rec.proxy;
    const app = new pg.Client({
      host,
      port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      application_name: 'billing-job',
    });
    await app.connect();
    await app.query('drop table if exists search_orders');
    await app.query('create table search_orders (id int primary key, customer text, total numeric)');
    for (const [id, customer] of [
      [1, 'acme'],
      [2, 'globex'],
      [3, 'acme'],
    ] as const) {
      await app.query('insert into search_orders values ($1, $2, $3)', [id, customer, '10.50']);
    }
    await app.query('select * from search_orders order by id');
    await app.query('update search_orders set total = total + 1 where customer = $1', ['acme']);
    await app.query('insert into search_orders values (1, $1, 0)', ['dup']).catch(() => {});
    await app.query('delete from search_orders where id = 3');
    await app.end();
    await pause();
    t1 = new Date().toISOString();
    await pause();
    // Asynchronously: the proxy runs in this process and must keep answering.
    await promisify(execFile)(
      'psql',
      ['-X', '-v', 'ON_ERROR_STOP=0', '-c', 'select 41 + 1 as answer', '-c', 'select * from no_such_table'],
      {
        env: {
          ...process.env,
          PGHOST: host,
          PGPORT: String(port),
          PGUSER: testRoles.md5.user,
          PGPASSWORD: testRoles.md5.password,
          PGDATABASE: 'postgres',
          PGAPPNAME: 'psql',
          PGSSLMODE: 'disable',
        },
      },
    ).catch(() => {}); // psql exits 1 because its second command fails, as intended
    await pause();
    t2 = new Date().toISOString();
    await pause();
    const sql = postgres({
      host,
      port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      fetch_types: false,
      connection: { application_name: 'porsager' },
    });
    await sql`select count(*) from search_orders where customer = ${'acme'}`;
    await sql.end();
    await rec.stop();
  });
  afterAll(async () => {
    await rec?.stop();
    rec?.remove();
  });

  async function search(...args: string[]): Promise<SearchJson[]> {
    const r = await runCommand('search', ['--journal', rec.journal, '--json', ...args]);
    expect(r.thrown).toBeNull();
    expect(r.code).toBe(0);
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SearchJson);
  }

  it('prints every contract field for each statement, in journal order', async () => {
    const all = await search();
    expect(all.length).toBe(12);
    expect(all.map((r) => r.seq)).toEqual([...all.map((r) => r.seq)].sort((a, b) => a - b));
    const insert = all.find((r) => r.sql.startsWith('insert into search_orders values ($1') && r.params?.[0] === '2');
    expect(insert).toMatchObject({
      user: 'app',
      database: 'app',
      role: 'app',
      application: 'billing-job',
      params: ['2', 'globex', '10.50'],
      command: 'INSERT 0 1',
      rows: 1,
      error: null,
      kind: 'insert',
    });
    expect(insert?.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Date.parse(insert?.ts ?? '')).toBeGreaterThan(Date.now() - 600_000);
    expect(insert?.duration_ms).toBeGreaterThanOrEqual(0);
    for (const key of [
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
    ]) {
      expect(insert, key).toHaveProperty(key);
    }
  });

  it('filters by user, database and session', async () => {
    const md5 = await search('--user', 'md5_user');
    expect(md5.map((r) => r.sql)).toEqual(['select 41 + 1 as answer', 'select * from no_such_table']);
    expect(md5.every((r) => r.database === 'postgres' && r.application === 'psql')).toBe(true);
    const app = await search('--database', 'app');
    expect(app.length).toBe(10);
    expect(app.every((r) => r.user === 'app')).toBe(true);
    const sessionId = md5[0]?.session ?? '';
    expect((await search('--session', sessionId)).map((r) => r.seq)).toEqual(md5.map((r) => r.seq));
    expect(await search('--user', 'nobody')).toEqual([]);
  });

  it('filters by time, ISO and relative', async () => {
    const between = await search('--since', t1, '--until', t2);
    expect(between.map((r) => r.user)).toEqual(['md5_user', 'md5_user']);
    const after = await search('--since', t2);
    expect(after.map((r) => r.application)).toEqual(['porsager']);
    expect((await search('--since', '1h')).length).toBe((await search()).length);
    expect(await search('--until', '1h')).toEqual([]);
  });

  it('filters by regular expression, error, SQLSTATE and kind', async () => {
    expect((await search('--grep', 'SEARCH_ORDERS', '-i', '--kind', 'insert')).length).toBe(4);
    expect(await search('--grep', 'SEARCH_ORDERS')).toEqual([]);
    const errors = await search('--error');
    expect(errors.map((r) => r.error?.code)).toEqual(['23505', '42P01']);
    expect(errors[0]?.command).toBeNull();
    expect((await search('--error', '23505')).map((r) => r.user)).toEqual(['app']);
    expect((await search('--error', '42')).map((r) => r.user)).toEqual(['md5_user']);
    expect((await search('--kind', 'ddl')).map((r) => r.sql)).toEqual([
      'drop table if exists search_orders',
      'create table search_orders (id int primary key, customer text, total numeric)',
    ]);
    expect((await search('--kind', 'update,delete')).map((r) => r.command)).toEqual(['UPDATE 2', 'DELETE 1']);
    const selects = await search('--kind', 'select', '--user', 'app');
    expect(selects.find((r) => r.sql.startsWith('select * from search_orders'))).toMatchObject({
      command: 'SELECT 3',
      rows: 3,
    });
  });

  it('orders and limits', async () => {
    const all = await search();
    expect((await search('--limit', '2')).map((r) => r.seq)).toEqual(all.slice(0, 2).map((r) => r.seq));
    expect((await search('--order', 'desc', '--limit', '3')).map((r) => r.seq)).toEqual(
      all
        .slice(-3)
        .reverse()
        .map((r) => r.seq),
    );
  });

  it('prints an aligned table with --wide, one line per statement and its count', async () => {
    const r = await runCommand('search', ['--journal', rec.journal, '--user', 'md5_user', '--wide']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^TIME\s+SEQ\s+SESSION\s+USER\s+DATABASE\s+ROLE\s+RESULT\s+ROWS\s+MS\s+SQL$/);
    const sqlColumn = lines[0]?.indexOf('SQL') ?? -1;
    expect(lines[1]?.slice(sqlColumn)).toBe('select 41 + 1 as answer');
    expect(lines[2]?.slice(sqlColumn)).toBe('select * from no_such_table');
    expect(lines[2]).toContain('ERROR 42P01');
    expect(lines[3]).toBe('(2 statements)');
  });

  it('rejects bad flags with exit 2', async () => {
    for (const args of [
      ['--since', 'yesterday'],
      ['--grep', '('],
      ['--kind', 'drop'],
      ['--limit', 'ten'],
      ['--order', 'up'],
    ]) {
      const r = await runCommand('search', ['--journal', rec.journal, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.thrown?.message, args.join(' ')).toMatch(/^--/);
    }
  });

  it('lists sessions with their identity, client, counts and close reason', async () => {
    const r = await runCommand('sessions', ['--journal', rec.journal, '--json']);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((s) => s['user'])).toEqual(['app', 'md5_user', 'app']);
    expect(rows[0]).toMatchObject({
      database: 'app',
      application: 'billing-job',
      statements: 9,
      errors: 1,
      reason: 'client_quit',
    });
    expect(rows[0]?.['upstream']).toBe(`${server.host}:${server.port}`);
    expect(rows[1]).toMatchObject({ database: 'postgres', statements: 2, errors: 1 });
    const day = await runCommand('sessions', ['--journal', rec.journal, '--json', '--since', t1, '--until', t2]);
    expect(
      day.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { user: string }).user),
    ).toEqual(['md5_user']);
    const table = await runCommand('sessions', ['--journal', rec.journal, '--user', 'md5_user']);
    expect(table.stdout).toMatch(/^OPENED \(UTC\)\s+SESSION\s+USER/);
    expect(table.stdout).toContain('md5_user');
  });

  it('rebuilds a deleted or corrupted index and gives the same answers', async () => {
    const queries = [['--user', 'app'], ['--since', t1], ['--error'], ['--kind', 'insert', '--grep', 'acme|globex']];
    const before = await Promise.all(queries.map((q) => search(...q)));
    const indexDir = join(rec.journal, 'index');
    expect(existsSync(join(indexDir, 'search-index.json'))).toBe(true);
    rmSync(indexDir, { recursive: true });
    for (const [i, q] of queries.entries()) expect(await search(...q)).toEqual(before[i]);
    const bin = join(indexDir, 'statements.bin');
    const bytes = readFileSync(bin);
    bytes.fill(0x7f, 0, Math.min(64, bytes.length));
    writeFileSync(bin, bytes);
    for (const [i, q] of queries.entries()) expect(await search(...q)).toEqual(before[i]);
    writeFileSync(join(indexDir, 'search-index.json'), 'not json');
    for (const [i, q] of queries.entries()) expect(await search(...q)).toEqual(before[i]);
  });
});
