import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testRoles } from './support/test-roles.js';
import { waitForRunningQuery } from './support/wait-for-query.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

describe('postgres.js through pgtrail', () => {
  const server = inject('postgres');
  let p: TestProxy;
  let sql: postgres.Sql;
  const open = (max = 1): postgres.Sql =>
    postgres({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
      max,
      onnotice: () => {},
    });
  beforeAll(async () => {
    p = await startTestProxy(server);
    sql = open();
    await sql`create table if not exists pgjs_items (id int primary key, name text)`;
    await sql`truncate pgjs_items`;
  });
  afterAll(async () => {
    await sql.end();
    await p.close();
  });

  it('runs several statements in one simple Query', async () => {
    const results = (await sql.unsafe('select 1 as a; select 2 as b').simple()) as unknown as postgres.RowList<
      postgres.Row[]
    >[];
    expect(results.map((r) => r[0])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('recovers from errors outside and inside transactions', async () => {
    await expect(sql`select * from no_such_table`).rejects.toMatchObject({ code: '42P01' });
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into pgjs_items values (1, 'one')`;
        await tx`select 1/0`;
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await sql`select count(*)::int as n from pgjs_items`).toEqual([{ n: 0 }]);
  });

  it('reuses prepared statements many times', async () => {
    for (let i = 0; i < 300; i++) {
      const [row] = await sql`select ${i}::int + 1 as v`;
      expect(row?.v).toBe(i + 1);
    }
  });

  it('pipelines extended-protocol queries, an error affecting only its own', async () => {
    const queries = Array.from({ length: 100 }, (_, i) =>
      i === 50 ? sql`select 1/0 as v` : sql`select ${i}::int as v`,
    );
    const settled = await Promise.allSettled(queries);
    settled.forEach((s, i) => {
      if (i === 50) expect(s.status).toBe('rejected');
      else expect(s).toMatchObject({ status: 'fulfilled', value: [{ v: i }] });
    });
  });

  it('passes binary parameters', async () => {
    const blob = randomBytes(8192);
    const [row] = await sql`select ${blob}::bytea as b`;
    expect(Buffer.compare(row?.b as Buffer, blob)).toBe(0);
  });

  it('copies in and out', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${i + 10}\tname ${i}\n`).join('');
    const writable = await sql`copy pgjs_items from stdin`.writable();
    await pipeline(Readable.from([Buffer.from(lines)]), writable);
    expect(await sql`select count(*)::int as n from pgjs_items`).toEqual([{ n: 3000 }]);
    // Kept under postgres.js's 16 KB stream buffer: its COPY TO readable pauses the socket when a push
    // is refused and never resumes it if CopyDone arrived in the same chunk (a client bug, seen direct too
    // whenever the server's writes coalesce).
    const readable = await sql`copy (select * from pgjs_items where id < 1010 order by id) to stdout`.readable();
    const parts: Buffer[] = [];
    await pipeline(
      readable,
      new Writable({
        write(chunk: Buffer, _e, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
    expect(Buffer.concat(parts).toString()).toBe(`${lines.split('\n').slice(0, 1000).join('\n')}\n`);
  });

  it('returns a 100,000-row result', async () => {
    const rows = await sql`select g from generate_series(1, 100000) g`;
    expect(rows.length).toBe(100000);
    expect(rows[99999]).toEqual({ g: 100000 });
  });

  it('carries a single 20 MB value both ways', async () => {
    const big = 'y'.repeat(20 * 1024 * 1024);
    const [down] = await sql`select repeat('y', 20 * 1024 * 1024) as v`;
    expect(String(down?.v).length).toBe(big.length);
    const [up] = await sql`select length(${big}::text) as n`;
    expect(up?.n).toBe(big.length);
  });

  it('delivers LISTEN/NOTIFY', async () => {
    const listener = open();
    try {
      let deliver: (payload: string) => void = () => {};
      const got = new Promise<string>((resolve) => {
        deliver = resolve;
      });
      await listener.listen('pgjs_channel', (payload) => deliver(payload));
      await sql.notify('pgjs_channel', 'ping');
      expect(await got).toBe('ping');
    } finally {
      await listener.end();
    }
  });

  it('cancels pg_sleep, and the same connection goes on', async () => {
    const one = open(1);
    try {
      const [before] = await one`select pg_backend_pid() as pid`;
      const sleeping = one`select pg_sleep(30) as pgjs_cancel_marker`;
      const result = sleeping.then(
        () => 'finished',
        (err: { code?: string }) => err.code,
      );
      await waitForRunningQuery(server, 'pgjs_cancel_marker');
      sleeping.cancel();
      expect(await result).toBe('57014');
      const [after] = await one`select pg_backend_pid() as pid`;
      expect(after?.pid).toBe(before?.pid);
    } finally {
      await one.end();
    }
  });

  it('serves 50 concurrent connections', async () => {
    const pools = Array.from({ length: 50 }, () => open(1));
    try {
      const pids = await Promise.all(
        pools.map(async (s) => (await s`select pg_backend_pid() as pid`)[0]?.pid as number),
      );
      expect(new Set(pids).size).toBe(50);
    } finally {
      await Promise.all(pools.map((s) => s.end()));
    }
  });
});
