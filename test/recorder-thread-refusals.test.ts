/**
 * Batched durability with a remote recorder, recorded on the recording thread (the default): the
 * forwarding thread decides by the gate the thread publishes (docs/recording-thread.md, "A remote
 * journal"). With the recorder killed and the spool full, a statement is refused with an ERROR
 * (57P03) before it runs, over both protocols, and a new session is refused; the session goes on
 * once the recorder is back. The journal has each executed statement once and each refused one as
 * not executed, which the recording thread knows only because it refused the same statements.
 * Real processes: `pgtrail recorder`, `pgtrail start --recorder`, node-postgres.
 */
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

const token = 'recorder-thread-token-0123456789';
const server = inject('postgres');
const upstream = `postgres://${server.host}:${server.port}/?sslmode=disable`;
const table = 'thread_refusals';
/** Makes each statement's record about 20 KiB: 1 MiB of spool fills in about 50. */
const pad = `/* ${'p'.repeat(20_000)} */`;

let dir: string;
const children: PgtrailChild[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgtrail-thread-refusals-'));
  writeFileSync(join(dir, 'tokens'), `${token}\n`);
  // The smallest spool allowed, so that it fills within the test.
  writeFileSync(join(dir, 'pgtrail.yaml'), 'recorder:\n  spoolMaxBytes: 1048576\n');
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

function spawned(args: string[]): PgtrailChild {
  const child = spawnPgtrail(args);
  children.push(child);
  return child;
}

const client = appClient;

const admin = <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => onServer(server, work);

/** An INSERT over the extended protocol (a named statement, the value in its text). */
const insertExtended = (c: pg.Client, v: number) =>
  c.query({ name: `ins-${v}`, text: `INSERT INTO ${table} VALUES (${v}, $1) ${pad}`, values: ['extended'] });

describe('batched, recorded on the recording thread, the recorder down and the spool full', () => {
  it('refuses statements (57P03, ERROR; FATAL in a transaction block) and new sessions before they run; the session goes on when the recorder is back; the journal has every executed statement once and every refused one as not executed', async () => {
    await admin((c) => c.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (v int, how text)`));
    const journal = join(dir, 'journal');
    const [rPort, pPort] = [await freePort(), await freePort()];
    const recorderArgs = ['recorder', '--listen', `127.0.0.1:${rPort}`, '--journal', journal];
    recorderArgs.push('--token-file', join(dir, 'tokens'));
    let rec = spawned(recorderArgs);
    await rec.waitFor(/recorder listening/);
    const proxy = spawned([
      'start',
      '--config',
      join(dir, 'pgtrail.yaml'),
      '--listen',
      `127.0.0.1:${pPort}`,
      '--upstream',
      upstream,
      '--durability',
      'batched',
      '--recorder',
      `ws://127.0.0.1:${rPort}`,
      '--recorder-token-file',
      join(dir, 'tokens'),
      '--spool',
      join(dir, 'spool'),
      '--instance',
      'thread-1',
    ]);
    await proxy.waitFor(/listening on/);
    expect(proxy.output()).toMatch(/recording to ws:\S+ as instance thread-1 \(batched, recorded on a worker thread/);

    const c = client(pPort);
    await c.connect();
    await insertExtended(c, 0);
    // A second session inside a transaction block: refused there, its session ends (the block rolls back).
    const block = client(pPort);
    await block.connect();
    await block.query('BEGIN');
    await block.query(`INSERT INTO ${table} VALUES (3000, 'in block, rolled back')`);
    rec.process.kill('SIGKILL');
    await rec.exited;

    // The recorder is down: statements run and their records fill the spool, until the gate refuses.
    let refusedAt = 0;
    let refusal: unknown = null;
    for (let v = 1; v <= 400 && refusal === null; v++) {
      refusal = await insertExtended(c, v).then(
        () => null,
        (err: unknown) => err,
      );
      refusedAt = v;
    }
    expect(refusal).toMatchObject({ code: '57P03', severity: 'ERROR' });
    expect(refusedAt).toBeGreaterThan(10);
    const simple = await c.query(`INSERT INTO ${table} VALUES (1001, 'simple') ${pad}`).catch((err: unknown) => err);
    expect(simple).toMatchObject({ code: '57P03', severity: 'ERROR' });
    expect(
      await client(pPort)
        .connect()
        .catch((err: unknown) => err),
    ).toMatchObject({ code: '57P03' });
    const inBlock = await block.query(`INSERT INTO ${table} VALUES (3001, 'in block') ${pad}`).catch((e: unknown) => e);
    expect(inBlock).toMatchObject({ code: '57P03', severity: 'FATAL' });

    rec = spawned(recorderArgs);
    await rec.waitFor(/recorder listening/);
    // The same session, once the spool has drained to the recorder.
    let back = false;
    for (let i = 0; i < 300 && !back; i++) {
      back = await c.query(`INSERT INTO ${table} VALUES (2002, 'back')`).then(
        () => true,
        () => false,
      );
      if (!back) await sleep(100);
    }
    expect(back).toBe(true);
    await c.end();
    expect(await proxy.stop()).toBe(0);
    expect(await rec.stop()).toBe(0);

    const rows = await admin(async (a) => (await a.query(`SELECT v FROM ${table} ORDER BY v`)).rows);
    const ran = Array.from({ length: refusedAt }, (_, v) => v);
    expect(rows.map((r: { v: number }) => r.v)).toEqual([...ran, 2002]);

    const statements = [...(await readJournalSessions(journal)).values()].flatMap((s) => s.statements);
    const of = (text: string) =>
      statements
        .filter((st) => typeof st.started.sql === 'string' && st.started.sql.startsWith(text))
        .map((st) => [st.finished?.notExecuted ?? false, st.finished?.error?.code ?? null]);
    for (const v of ran) expect(of(`INSERT INTO ${table} VALUES (${v}, $1)`), `value ${v}`).toEqual([[false, null]]);
    expect(of(`INSERT INTO ${table} VALUES (${refusedAt}, $1)`)).toEqual([[true, '57P03']]);
    expect(of(`INSERT INTO ${table} VALUES (1001, 'simple')`)).toEqual([[true, '57P03']]);
    expect(of(`INSERT INTO ${table} VALUES (3001, 'in block')`)).toEqual([[true, '57P03']]);
    const backs = of(`INSERT INTO ${table} VALUES (2002, 'back')`);
    expect(backs.filter(([notExecuted]) => !notExecuted)).toEqual([[false, null]]);
    expect(backs.filter(([notExecuted]) => notExecuted).every(([, code]) => code === '57P03')).toBe(true);
    const verify = spawnPgtrail(['verify', '--journal', journal]);
    expect(await verify.exited, verify.output()).toBe(0);
  });
});
