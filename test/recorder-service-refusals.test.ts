/**
 * Strict durability with a remote recorder that goes away: a statement that cannot be recorded is
 * refused with an ERROR (57P03) and never runs, the session stays open, and the same connection
 * runs statements again once the recorder is back (docs/recorder-service.md, "Failure behaviour").
 * Real processes and real clients: `pgtrail recorder`, `pgtrail start --recorder`, psql on a pipe
 * and node-postgres over the simple and the extended protocol; inside a transaction block the
 * session ends instead, and the server rolls the block back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { appClient, onServer } from './support/app-clients.js';
import { readJournalSessions } from './support/journal-statements.js';
import { spawnPgtrail, type PgtrailChild } from './support/pgtrail-child.js';
import { testRoles } from './support/test-roles.js';

const token = 'recorder-refusal-token-0123456789';
const server = inject('postgres');
const upstream = `postgres://${server.host}:${server.port}/?sslmode=disable`;
const scram = { user: testRoles.scram.user, password: testRoles.scram.password };

let dir: string;
const children: PgtrailChild[] = [];
let psql: ChildProcessWithoutNullStreams | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgtrail-recorder-refusals-'));
  writeFileSync(join(dir, 'tokens'), `${token}\n`);
});
afterAll(async () => {
  psql?.kill('SIGKILL');
  await Promise.all(children.map((c) => c.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

function recorder(port: number, journal: string): PgtrailChild {
  const args = ['recorder', '--listen', `127.0.0.1:${port}`, '--journal', journal];
  const child = spawnPgtrail(args.concat(['--token-file', join(dir, 'tokens')]));
  children.push(child);
  return child;
}

const client = appClient;

const admin = <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => onServer(server, work);

/** psql reading statements from a pipe, one connection for the whole test. */
function startPsql(port: number): { send(line: string): void; output(): string } {
  const child = spawn('psql', ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(port), '-U', scram.user, 'app'], {
    env: { ...process.env, PGPASSWORD: scram.password, PGSSLMODE: 'disable' },
  });
  psql = child;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { send: (line) => child.stdin.write(`${line}\n`), output: () => out };
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, ms = 45_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting: ${what}`);
    await sleep(200);
  }
}

describe('strict, the recorder unreachable', () => {
  it('refuses each new statement with an ERROR (57P03) without running it; psql and node-postgres go on on the same connection once the recorder is back; a transaction block ends with its session', async () => {
    const table = `refusals_${process.pid}`;
    await admin((c) => c.query(`CREATE TABLE ${table} (who text, v int)`));
    const journal = join(dir, 'journal');
    const [rPort, pPort] = [await freePort(), await freePort()];
    let rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    const args = ['start', '--listen', `127.0.0.1:${pPort}`, '--upstream', upstream, '--durability', 'strict'];
    const proxy = spawnPgtrail(
      args.concat(['--recorder', `ws://127.0.0.1:${rPort}`, '--recorder-token-file', join(dir, 'tokens')]),
    );
    children.push(proxy);
    await proxy.waitFor(/listening on/);

    const node = client(pPort);
    await waitUntil('the proxy reached its recorder', () =>
      node.connect().then(
        () => true,
        () => false,
      ),
    );
    const pid = (await node.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const term = startPsql(pPort);
    term.send(`SELECT 'psql-pid:' || pg_backend_pid();`);
    await waitUntil('psql connected', () => /psql-pid:\d+/.test(term.output()));
    const psqlPid = /psql-pid:(\d+)/.exec(term.output())?.[1];
    const block = client(pPort);
    await block.connect();
    await block.query('BEGIN');
    await block.query(`INSERT INTO ${table} VALUES ('block', 1)`);

    rec.process.kill('SIGKILL');
    await rec.exited;

    // node-postgres, extended protocol (Parse/Bind/Describe/Execute/Sync) and simple protocol: ERROR each time.
    await waitUntil('the proxy noticed the outage', async () => {
      const err = await node.query(`INSERT INTO ${table} VALUES ($1, $2)`, ['node', 2]).catch((e: unknown) => e);
      return (err as { code?: string }).code === '57P03';
    });
    const simple = await node.query(`INSERT INTO ${table} VALUES ('node', 3)`).catch((e: unknown) => e);
    expect(simple).toMatchObject({ code: '57P03', severity: 'ERROR' });
    expect(String((simple as Error).message)).toMatch(/could not be recorded and was not run: .*unreachable/);
    // psql, simple protocol: an ERROR line, and psql stays connected.
    term.send(`INSERT INTO ${table} VALUES ('psql', 4);`);
    await waitUntil('psql was refused', () => /ERROR: {2}the statement could not be recorded/.test(term.output()));
    expect(term.output()).not.toMatch(/FATAL|connection to server was lost/);
    // Inside a transaction block the session ends, and the server rolls the block back.
    const inBlock = await block.query(`INSERT INTO ${table} VALUES ('block', 5)`).catch((e: unknown) => e);
    expect(inBlock).toMatchObject({ code: '57P03', severity: 'FATAL' });
    expect(await admin(async (c) => (await c.query(`SELECT who, v FROM ${table}`)).rows)).toEqual([]);

    rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    await waitUntil('node-postgres runs again on the same connection', () =>
      node.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then(
        (r) => r.rows[0]?.pid === pid,
        () => false,
      ),
    );
    await node.query(`INSERT INTO ${table} VALUES ($1, $2)`, ['node', 6]);
    await waitUntil('psql runs again on the same connection', () => {
      term.send(`SELECT 'psql-back:' || pg_backend_pid();`);
      return new RegExp(`psql-back:${psqlPid}\\b`).test(term.output());
    });
    term.send(`INSERT INTO ${table} VALUES ('psql', 7);`);
    await waitUntil('psql inserted', async () =>
      admin(async (c) => (await c.query(`SELECT 1 FROM ${table} WHERE v = 7`)).rowCount === 1),
    );
    term.send('\\q');
    await node.end();
    await proxy.stop();
    expect(await rec.stop()).toBe(0);

    const rows = await admin(async (c) => (await c.query(`SELECT who, v FROM ${table} ORDER BY v`)).rows);
    expect(rows).toEqual([
      { who: 'node', v: 6 },
      { who: 'psql', v: 7 },
    ]);
    // Each refused statement is in the journal, not executed, with the refusal's SQLSTATE.
    const statements = [...(await readJournalSessions(journal)).values()].flatMap((s) => s.statements);
    const refused = (v: number) =>
      statements.filter((st) => typeof st.started.sql === 'string' && st.started.sql.includes(`, ${v})`));
    for (const v of [3, 4, 5]) {
      expect(
        refused(v).map((st) => [st.finished?.notExecuted, st.finished?.error?.code]),
        `value ${v}`,
      ).toEqual([[true, '57P03']]);
    }
    const verify = spawnPgtrail(['verify', '--journal', journal]);
    expect(await verify.exited, verify.output()).toBe(0);
  });
});
