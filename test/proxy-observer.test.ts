import pg from 'pg';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import type { EventSink, StatementFinished, StatementStarted, TrailEvent } from '../recorder/events.js';
import { copyIn, copyOut } from './support/pg-copy.js';
import { testRoles } from './support/test-roles.js';
import { startTestProxy } from './support/test-proxy.js';

const server = inject('postgres');
const observe = createStatementObserver({
  recording: { captureRows: 0, captureBytes: 0, thread: false, threadNice: 0, redaction: [] },
  clock: systemClock,
});

/** A strict-durability stand-in: statement.started settles only after a delay, as an fdatasync would. */
function slowDurableSink(delayMs: number, fail: (e: TrailEvent) => boolean = () => false): EventSink {
  return {
    record: (event) =>
      event.type === 'statement.started' || event.type === 'session.opened'
        ? new Promise((resolve, reject) =>
            setTimeout(() => (fail(event) ? reject(new Error('disk full')) : resolve()), delayMs),
          )
        : null,
  };
}

describe('forwarding with the statement observer and strict durability', () => {
  it('records each statement before it runs, with node-postgres (simple, extended, COPY, big results)', async () => {
    const p = await startTestProxy(server, { observe, sink: slowDurableSink(2) });
    const c = new pg.Client({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
    });
    try {
      await c.connect();
      await c.query('drop table if exists observed_items; create table observed_items (id int, v text)');
      for (let i = 0; i < 20; i++)
        await c.query({ name: 'ins', text: 'insert into observed_items values ($1, $2)', values: [i, `v${i}`] });
      const data = Buffer.from(Array.from({ length: 500 }, (_, i) => `${i + 100}\tc${i}\n`).join(''));
      expect(await copyIn(c, 'copy observed_items from stdin', [data.subarray(0, 100), data.subarray(100)])).toBe(
        'COPY 500',
      );
      expect(
        (await copyOut(c, 'copy (select * from observed_items where id >= 100 order by id) to stdout')).equals(data),
      ).toBe(true);
      const big = await c.query('select g, repeat($1, 100) as r from generate_series(1, 20000) g', ['z']);
      expect(big.rows.length).toBe(20000);
      await expect(c.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
      expect((await c.query('select count(*)::int as n from observed_items')).rows).toEqual([{ n: 520 }]);
    } finally {
      await c.end();
      await p.close();
    }
    const started = p.events.filter((e): e is StatementStarted => e.type === 'statement.started');
    const finished = p.events.filter((e): e is StatementFinished => e.type === 'statement.finished');
    expect(started.length).toBeGreaterThanOrEqual(26);
    expect(finished.length).toBe(started.length);
    expect(finished.find((f) => f.error?.code === '22012')).toBeDefined();
    expect(finished.find((f) => f.command === 'COPY 500')).toBeDefined();
    expect(finished.find((f) => f.rows === 20000)).toBeDefined();
    const closed = p.events.find((e) => e.type === 'session.closed');
    expect(closed).toMatchObject({ statements: started.length });
  });

  it('records pipelined postgres.js queries in order with their outcomes', async () => {
    const p = await startTestProxy(server, { observe, sink: slowDurableSink(1) });
    const sql = postgres({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      max: 1,
    });
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => (i === 10 ? sql`select 1/0` : sql`select ${i}::int as v`)),
      );
      expect(settled.filter((s) => s.status === 'fulfilled').length).toBe(29);
    } finally {
      await sql.end();
      await p.close();
    }
    const finished = p.events.filter((e): e is StatementFinished => e.type === 'statement.finished');
    expect(finished.filter((f) => f.error?.code === '22012').length).toBe(1);
    expect(finished.filter((f) => f.rows === 1).length).toBeGreaterThanOrEqual(29);
  });

  it('never runs a statement whose record could not be made durable: the client gets 58030', async () => {
    const p = await startTestProxy(server, {
      observe,
      sink: slowDurableSink(1, (e) => e.type === 'statement.started' && JSON.stringify(e.sql).includes('never_runs')),
    });
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'app',
    });
    await admin.connect();
    try {
      await admin.query(
        'drop table if exists durable_items; create table durable_items (id int); grant all on durable_items to public',
      );
      const c = new pg.Client({
        host: p.host,
        port: p.port,
        user: testRoles.scram.user,
        password: testRoles.scram.password,
        database: 'app',
      });
      c.on('error', () => {});
      await c.connect();
      await c.query('insert into durable_items values (1)');
      await expect(c.query('insert into durable_items select 2 as never_runs')).rejects.toMatchObject({
        code: '58030',
      });
      expect((await admin.query('select array_agg(id order by id) as ids from durable_items')).rows[0].ids).toEqual([
        1,
      ]);
    } finally {
      await admin.end();
      await p.close();
    }
  });
});
