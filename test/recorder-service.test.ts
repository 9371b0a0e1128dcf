/**
 * The recorder as a service, with real processes: `pgtrail recorder` and `pgtrail start --recorder`
 * spawned from dist/, pgbench and pg clients through the proxies, the recorder killed with -9 and
 * restarted mid-run. What must hold (docs/recorder-service.md): batched loses nothing and records
 * nothing twice; strict never runs a statement it could not record; a proxy killed with spooled
 * events delivers them when it comes back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { readJournal } from '../recorder/journal-reader.js';
import { relayOf } from '../recorder/service/instance-sequences.js';
import { startedOf } from '../recorder/statement-record.js';
import { appClient, onServer } from './support/app-clients.js';
import { readJournalSessions } from './support/journal-statements.js';
import { spawnPgtrail, type PgtrailChild } from './support/pgtrail-child.js';
import { testRoles } from './support/test-roles.js';

const run = promisify(execFile);
const token = 'recorder-test-token-0123456789';
const server = inject('postgres');
const upstream = `postgres://${server.host}:${server.port}/?sslmode=disable`;

let dir: string;
let tokenFile: string;
const children: PgtrailChild[] = [];

function recorder(port: number, journal: string): PgtrailChild {
  const child = spawnPgtrail([
    'recorder',
    '--listen',
    `127.0.0.1:${port}`,
    '--journal',
    journal,
    '--token-file',
    tokenFile,
  ]);
  children.push(child);
  return child;
}

function proxy(
  port: number,
  recorderPort: number,
  instance: string,
  durability: string,
  spool: string | null,
): PgtrailChild {
  const args = ['start', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--durability', durability];
  args.push('--recorder', `ws://127.0.0.1:${recorderPort}`, '--recorder-token-file', tokenFile, '--instance', instance);
  if (spool !== null) args.push('--spool', spool);
  const child = spawnPgtrail(args);
  children.push(child);
  return child;
}

const client = appClient;
const scram = { user: testRoles.scram.user, password: testRoles.scram.password };

const admin = <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => onServer(server, work);

function pgbench(port: number, script: string, seconds: number): Promise<string> {
  return run(
    'pgbench',
    ['-h', '127.0.0.1', '-p', String(port), '-U', scram.user, '-n', '-M', 'simple', '-c', '3', '-j', '1'].concat([
      '-T',
      String(seconds),
      '-f',
      script,
      'app',
    ]),
    { env: { ...process.env, PGPASSWORD: scram.password, PGSSLMODE: 'disable' } },
  ).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '', // strict: clients abort when the recorder goes away
  );
}

/**
 * Every relayed event's (instance, seq), and the sql of every statement.started, from the journal
 * (a batched proxy sends most statements as one `statement` event: its start counts).
 */
async function journalContents(journal: string) {
  const relays: { instance: string; seq: number }[] = [];
  const sql: string[] = [];
  for await (const e of readJournal(journal)) {
    const relay = relayOf(e.event);
    if (relay !== null) relays.push(relay);
    const start = e.event?.type === 'statement' ? startedOf(e.event) : e.event;
    if (start?.type === 'statement.started' && typeof start.sql === 'string') sql.push(start.sql);
  }
  return { relays, sql };
}

/** Per instance, the sequence numbers must be 1..N, each exactly once, in journal order. */
function expectExactlyOnce(relays: readonly { instance: string; seq: number }[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const r of relays) {
    expect(r.seq, `${r.instance} sequence`).toBe((last.get(r.instance) ?? 0) + 1);
    last.set(r.instance, r.seq);
  }
  return last;
}

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting: ${what}`);
    await sleep(200);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgtrail-recorder-it-'));
  tokenFile = join(dir, 'tokens');
  writeFileSync(tokenFile, `${token}\n`);
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

describe('recorder service with real processes', () => {
  it('batched: two proxies, pgbench through both, the recorder killed -9 and restarted: every statement in the journal exactly once, and it verifies', async () => {
    const table = `marks_${process.pid}_b`;
    await admin((c) => c.query(`CREATE TABLE ${table} (proxy int, v bigint)`));
    const script = join(dir, 'batched.sql');
    writeFileSync(script, `\\set v random(1, 1000000000000)\nINSERT INTO ${table} VALUES (:client_id, :v);\n`);
    const journal = join(dir, 'journal-b');
    const [rPort, p1Port, p2Port] = [await freePort(), await freePort(), await freePort()];
    let rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    const p1 = proxy(p1Port, rPort, 'proxy-1', 'batched', join(dir, 'spool-1'));
    const p2 = proxy(p2Port, rPort, 'proxy-2', 'batched', join(dir, 'spool-2'));
    await p1.waitFor(/listening on/);
    await p2.waitFor(/listening on/);
    // A first statement each, so both spools know their numbering before the outage.
    for (const port of [p1Port, p2Port]) {
      const c = client(port);
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
    }

    const benches = Promise.all([pgbench(p1Port, script, 6), pgbench(p2Port, script, 6)]);
    await sleep(2_000);
    rec.process.kill('SIGKILL');
    await rec.exited;
    await sleep(1_500);
    rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    const outputs = await benches;
    for (const out of outputs) expect(out).toMatch(/number of failed transactions: 0 /);

    const rows = await admin(async (c) => (await c.query<{ v: string }>(`SELECT v::text FROM ${table}`)).rows);
    expect(rows.length).toBeGreaterThan(20);
    const inserts = (sql: readonly string[]) => sql.filter((s) => s.startsWith(`INSERT INTO ${table}`));
    await waitUntil(
      'every insert recorded',
      async () => inserts((await journalContents(journal)).sql).length >= rows.length,
    );
    await p1.stop();
    await p2.stop();
    expect(await rec.stop()).toBe(0);

    const { relays, sql } = await journalContents(journal);
    const last = expectExactlyOnce(relays);
    expect([...last.keys()].sort()).toEqual(['proxy-1', 'proxy-2']);
    const recorded = inserts(sql);
    expect(recorded.length).toBe(rows.length);
    const values = new Set(recorded.map((s) => /, (\d+)\);?$/.exec(s)?.[1]));
    for (const row of rows) expect(values.has(row.v)).toBe(true);
    for (const session of (await readJournalSessions(journal)).values()) expect(session.problems).toEqual([]);
    const sessions = await readJournalSessions(journal);
    const instances = new Set([...sessions.values()].map((s) => s.opened?.instance));
    expect(instances).toEqual(new Set(['proxy-1', 'proxy-2']));
    const verify = spawnPgtrail(['verify', '--journal', journal]);
    expect(await verify.exited, verify.output()).toBe(0);
  });

  it('strict: while the recorder is down no statement runs (57P03) and every executed statement has its record; sessions resume when it is back', async () => {
    const table = `marks_${process.pid}_s`;
    await admin((c) => c.query(`CREATE TABLE ${table} (proxy int, v bigint)`));
    const script = join(dir, 'strict.sql');
    writeFileSync(script, `\\set v random(1, 1000000000000)\nINSERT INTO ${table} VALUES (:client_id, :v);\n`);
    const journal = join(dir, 'journal-s');
    const [rPort, pPort] = [await freePort(), await freePort()];
    let rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    const p = proxy(pPort, rPort, 'proxy-s', 'strict', null);
    await p.waitFor(/listening on/);
    const held = client(pPort);
    await waitUntil('proxy connected', () =>
      held.connect().then(
        () => true,
        () => false,
      ),
    );

    const bench = pgbench(pPort, script, 30);
    // Statements are running (a fixed delay is not enough on a loaded machine: pgbench may not have
    // connected yet), then the recorder dies under them.
    const count = async () =>
      (await admin((c) => c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))).rows[0]?.n ?? 0;
    await waitUntil('pgbench inserted through the proxy', async () => (await count()) >= 6);
    rec.process.kill('SIGKILL');
    await rec.exited;
    await bench;
    // The held session's next statement is refused (an ERROR: the session stays) and never reaches
    // the server; a new session is refused.
    const marker = 999_999_999_999_999;
    const refused = await held.query(`INSERT INTO ${table} VALUES (0, ${marker})`).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: '57P03', severity: 'ERROR' });
    const fresh = client(pPort);
    expect(await fresh.connect().catch((err: unknown) => err)).toMatchObject({ code: '57P03' });
    expect(
      await admin(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE v = ${marker}`)).rows[0]),
    ).toEqual({ n: 0 });

    rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    const back = client(pPort);
    await waitUntil('a session opens again', async () => {
      const c = client(pPort);
      return c.connect().then(
        async () => {
          await c.end();
          return true;
        },
        () => false,
      );
    });
    await back.connect();
    await back.query(`INSERT INTO ${table} VALUES (0, 1)`);
    await back.end();
    // The session held through the outage runs again.
    await waitUntil('the held session runs again', () =>
      held.query(`INSERT INTO ${table} VALUES (0, 2)`).then(
        () => true,
        () => false,
      ),
    );
    await held.end();
    await p.stop();
    expect(await rec.stop()).toBe(0);

    const rows = await admin(async (c) => (await c.query<{ v: string }>(`SELECT v::text FROM ${table}`)).rows);
    expect(rows.length).toBeGreaterThan(5);
    const { relays, sql } = await journalContents(journal);
    expectExactlyOnce(relays);
    const values = new Set(sql.map((s) => /, (\d+)\);?$/.exec(s)?.[1]));
    for (const row of rows) expect(values.has(row.v), `row ${row.v} has its record`).toBe(true);
    const verify = spawnPgtrail(['verify', '--journal', journal]);
    expect(await verify.exited, verify.output()).toBe(0);
  });

  it('a proxy killed -9 with unacknowledged events spooled delivers them when it restarts', async () => {
    const journal = join(dir, 'journal-k');
    const spool = join(dir, 'spool-k');
    const [rPort, pPort] = [await freePort(), await freePort()];
    let rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    let p = proxy(pPort, rPort, 'proxy-k', 'batched', spool);
    await p.waitFor(/listening on/);
    const first = client(pPort);
    await first.connect();
    await first.query('SELECT 1');
    await first.end();
    rec.process.kill('SIGKILL');
    await rec.exited;

    // The recorder is down: batched statements still run, their events go to the spool only.
    const c = client(pPort);
    await c.connect();
    for (let i = 0; i < 20; i++) await c.query(`SELECT ${1000 + i} AS spooled`);
    await sleep(500); // more than batchWindowMs: the spool is durable
    p.process.kill('SIGKILL');
    await p.exited;

    rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    expect((await journalContents(journal)).sql.filter((s) => s.endsWith('AS spooled'))).toEqual([]);
    p = proxy(pPort, rPort, 'proxy-k', 'batched', spool);
    await p.waitFor(/listening on/);
    // 20 statements, most of them one event each (batched), and the session's own events.
    expect(p.output()).toMatch(/\b([2-5]\d) events spooled/);
    await waitUntil(
      'spooled events delivered',
      async () => (await journalContents(journal)).sql.filter((s) => s.endsWith('AS spooled')).length >= 20,
    );
    await p.stop();
    expect(await rec.stop()).toBe(0);
    const { relays, sql } = await journalContents(journal);
    expectExactlyOnce(relays);
    expect(sql.filter((s) => s.endsWith('AS spooled'))).toEqual(
      Array.from({ length: 20 }, (_, i) => `SELECT ${1000 + i} AS spooled`),
    );
    const verify = spawnPgtrail(['verify', '--journal', journal]);
    expect(await verify.exited, verify.output()).toBe(0);
  });

  it('listens on a free port with --listen 127.0.0.1:0 and prints the address it took', async () => {
    const rec = spawnPgtrail(
      ['recorder', '--listen', '127.0.0.1:0', '--journal', join(dir, 'journal-0')].concat(['--token-file', tokenFile]),
    );
    children.push(rec);
    const [, port] = await rec.waitFor(/recorder listening on ws:\/\/127\.0\.0\.1:(\d+) /);
    expect(Number(port)).toBeGreaterThan(0);
    // It is bound where it says: plain HTTP gets 404 there, and an upgrade without a token 401.
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'pgtrail-recorder.1');
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(401);
    expect(await rec.stop()).toBe(0);
  });

  it('refuses a proxy with a wrong token: it records nothing, and strict statements through it are refused', async () => {
    const journal = join(dir, 'journal-t');
    const [rPort, pPort] = [await freePort(), await freePort()];
    const rec = recorder(rPort, journal);
    await rec.waitFor(/recorder listening/);
    const wrong = join(dir, 'wrong-token');
    writeFileSync(wrong, 'not-the-right-token-at-all\n');
    const p = spawnPgtrail([
      'start',
      '--listen',
      `127.0.0.1:${pPort}`,
      '--upstream',
      upstream,
      '--recorder',
      `ws://127.0.0.1:${rPort}`,
    ]);
    children.push(p);
    expect(await p.exited).toBe(2); // --recorder without a token file is a usage error
    const q = spawnPgtrail([
      'start',
      '--listen',
      `127.0.0.1:${pPort}`,
      '--upstream',
      upstream,
      '--recorder',
      `ws://127.0.0.1:${rPort}`,
      '--recorder-token-file',
      wrong,
    ]);
    children.push(q);
    await q.waitFor(/recorder refused the connection/);
    expect(q.output()).toContain('"status":401');
    // It waits for a first Welcome (firstWelcomeWaitMs) before it listens, refusing then.
    await q.waitFor(/listening on/);
    const c = client(pPort);
    expect(await c.connect().catch((err: unknown) => err)).toMatchObject({ code: '57P03' });
    await q.stop();
    expect(await rec.stop()).toBe(0);
    expect((await journalContents(journal)).relays).toEqual([]);
  });
});
