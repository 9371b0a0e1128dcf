import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionOpened } from '../recorder/events.js';
import { copyIn, copyOut } from './support/pg-copy.js';
import { sendCancel } from './support/raw-cancel.js';
import { testRoles } from './support/test-roles.js';
import { startTlsTestProxy, type TlsTestProxy } from './support/test-proxy.js';
import { waitForRunningQuery } from './support/wait-for-query.js';

const run = promisify(execFile);

for (const server of inject('postgresMajors')) {
  describe(`core forwarding against PostgreSQL ${server.major}, TLS on both legs`, () => {
    let p: TlsTestProxy;
    let c: pg.Client;
    beforeAll(async () => {
      p = await startTlsTestProxy(server, 'allow');
      c = new pg.Client({
        host: p.host,
        port: p.port,
        user: testRoles.scram.user,
        password: testRoles.scram.password,
        database: 'app',
        ssl: { ca: readFileSync(p.caFile), servername: 'localhost' },
      });
      await c.connect();
    });
    afterAll(async () => {
      await c.end();
      await p.close();
    });

    it('opens the session with the server version and TLS on both legs', async () => {
      const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      const opened = p.events.find((e): e is SessionOpened => e.type === 'session.opened' && e.backendPid === pid);
      expect(opened?.serverVersion.split('.')[0]).toBe(String(server.major));
      expect(opened?.clientTls).not.toBeNull();
      expect(opened?.upstreamTls).not.toBeNull();
    });

    it('runs multi-statement, prepared and failing statements', async () => {
      const multi = (await c.query('select 1 as a; select 2 as b')) as unknown as pg.QueryResult[];
      expect(multi.map((r) => r.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
      for (let i = 0; i < 50; i++)
        expect((await c.query({ name: 'm', text: 'select $1::int * 2 as v', values: [i] })).rows[0].v).toBe(i * 2);
      await expect(c.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
      expect((await c.query('select 3 as v')).rows).toEqual([{ v: 3 }]);
    });

    it('copies in and out', async () => {
      await c.query('drop table if exists majors_items; create table majors_items (id int, v text)');
      const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i}\tv${i}\n`).join(''));
      expect(await copyIn(c, 'copy majors_items from stdin', [data])).toBe('COPY 1000');
      expect((await copyOut(c, 'copy (select * from majors_items order by id) to stdout')).equals(data)).toBe(true);
    });

    it('cancels a running statement and the connection goes on', async () => {
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const sleeping = c.query(`select pg_sleep(30) as major_cancel_${server.major}`);
      await waitForRunningQuery(server, `major_cancel_${server.major}`);
      await sendCancel(p.host, p.port, processID, secretKey);
      await expect(sleeping).rejects.toMatchObject({ code: '57014' });
      expect((await c.query('select 4 as v')).rows).toEqual([{ v: 4 }]);
    });

    it('runs a psql script over TLS', async () => {
      const { stdout } = await run(
        'psql',
        [
          '-X',
          '-A',
          '-t',
          '-h',
          'localhost',
          '-p',
          String(p.port),
          '-U',
          'md5_user',
          '-d',
          'app',
          '-c',
          'select 40 + 2',
          '-c',
          'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
        ],
        {
          env: {
            ...process.env,
            PGPASSWORD: testRoles.md5.password,
            PGSSLMODE: 'verify-full',
            PGSSLROOTCERT: p.caFile,
          },
        },
      );
      expect(stdout.trim().split('\n')).toEqual(['42', 't']);
    });
  });
}
