import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyIn, copyOut } from './support/pg-copy.js';
import { sendCancel } from './support/raw-cancel.js';
import { testRoles } from './support/test-roles.js';
import { waitForRunningQuery } from './support/wait-for-query.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

describe('node-postgres through pgtrail', () => {
  const server = inject('postgres');
  let p: TestProxy;
  let client: pg.Client;
  const connect = async (): Promise<pg.Client> => {
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
  beforeAll(async () => {
    p = await startTestProxy(server);
    client = await connect();
    await client.query('create table if not exists pg_items (id int primary key, name text)');
    await client.query('truncate pg_items');
  });
  afterAll(async () => {
    await client.end();
    await p.close();
  });

  it('runs several statements in one Query and an empty query', async () => {
    const results = (await client.query('select 1 as a; select 2 as b; ;')) as unknown as pg.QueryResult[];
    expect(results.map((r) => r.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
    const empty = await client.query('');
    expect(empty.rows).toEqual([]);
  });

  it('recovers from errors outside and inside transactions', async () => {
    await expect(client.query('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
    expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await client.query('begin');
    await client.query("insert into pg_items values (1, 'one')");
    await expect(client.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
    await expect(client.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    await client.query('rollback');
    expect((await client.query('select count(*)::int as n from pg_items')).rows).toEqual([{ n: 0 }]);
  });

  it('reuses a named prepared statement many times', async () => {
    for (let i = 0; i < 300; i++) {
      const r = await client.query({ name: 'add_one', text: 'select $1::int + 1 as v', values: [i] });
      expect(r.rows[0].v).toBe(i + 1);
    }
  });

  it('passes binary parameters and binary results', async () => {
    const blob = randomBytes(4096);
    const r = await client.query({ text: 'select $1::bytea as b, length($1::bytea) as n', values: [blob] });
    expect(Buffer.compare(r.rows[0].b as Buffer, blob)).toBe(0);
    // Results in binary format: pg decodes int4 from its binary representation.
    const binary: pg.QueryConfig = {
      text: 'select 42::int4 as v, length($1::bytea)::int4 as n',
      values: [blob],
      binary: true,
    } as pg.QueryConfig;
    const bin = await client.query(binary);
    expect(bin.rows[0]).toEqual({ v: 42, n: 4096 });
  });

  it('copies in and out', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `${i + 10}\tname ${i}\n`).join('');
    const data = Buffer.from(lines);
    const tag = await copyIn(client, 'copy pg_items from stdin', [data.subarray(0, 1000), data.subarray(1000)]);
    expect(tag).toBe('COPY 2000');
    const out = await copyOut(client, 'copy (select * from pg_items order by id) to stdout');
    expect(out.toString()).toBe(lines);
  });

  it('returns a 100,000-row result', async () => {
    const r = await client.query('select g, md5(g::text) as h from generate_series(1, 100000) g');
    expect(r.rows.length).toBe(100000);
    expect(r.rows[99999]).toEqual({ g: 100000, h: '14ee22eaba297944c96afdbe5b16c65b' });
  });

  it('carries a single 20 MB value both ways', async () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const down = await client.query('select repeat($1::text, 20 * 1024 * 1024) as v', ['x']);
    expect((down.rows[0].v as string).length).toBe(big.length);
    const up = await client.query('select length($1::text) as n, md5($1::text) as h', [big]);
    expect(up.rows[0].n).toBe(big.length);
  });

  it('delivers LISTEN/NOTIFY between sessions', async () => {
    const listener = await connect();
    const notifier = await connect();
    try {
      const received = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
      await listener.query('listen pg_channel');
      await notifier.query("select pg_notify('pg_channel', 'hello')");
      const n = await received;
      expect(n.channel).toBe('pg_channel');
      expect(n.payload).toBe('hello');
      const pid = (await notifier.query('select pg_backend_pid() as pid')).rows[0].pid;
      expect(n.processId).toBe(pid);
    } finally {
      await listener.end();
      await notifier.end();
    }
  });

  it('cancels pg_sleep, and the connection goes on', async () => {
    const c = await connect();
    try {
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const sleeping = c.query('select pg_sleep(30) as pg_cancel_marker');
      await waitForRunningQuery(server, 'pg_cancel_marker');
      await sendCancel(p.host, p.port, processID, secretKey);
      await expect(sleeping).rejects.toMatchObject({ code: '57014' });
      expect((await c.query('select 7 as v')).rows).toEqual([{ v: 7 }]);
    } finally {
      await c.end();
    }
  });

  it('serves 50 concurrent connections', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => connect()));
    try {
      const pids = await Promise.all(
        clients.map(async (c, i) => {
          const r = await c.query('select pg_backend_pid() as pid, $1::int as i', [i]);
          expect(r.rows[0].i).toBe(i);
          return r.rows[0].pid as number;
        }),
      );
      expect(new Set(pids).size).toBe(50);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});
