import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

const run = promisify(execFile);

describe('replication connections pass through opaquely', () => {
  const server = inject('postgres');
  let p: TestProxy;
  const env = () => ({ ...process.env, PGPASSWORD: testRoles.admin.password, PGSSLMODE: 'disable' });
  beforeAll(async () => {
    p = await startTestProxy(server);
  });
  afterAll(async () => {
    await p.close();
  });

  it('physical and logical replication connections run IDENTIFY_SYSTEM', async () => {
    for (const replication of ['true', 'database']) {
      const { stdout } = await run(
        'psql',
        [
          '-X',
          '-A',
          '-t',
          '-c',
          'IDENTIFY_SYSTEM',
          `host=${p.host} port=${p.port} user=postgres dbname=app replication=${replication}`,
        ],
        { env: env() },
      );
      expect(stdout).toMatch(/^\d+\|\d+\|[0-9A-F]+\/[0-9A-F]+\|/);
    }
  });

  it('pg_recvlogical streams changes (CopyBoth) through pgtrail', async () => {
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: 'postgres',
      password: testRoles.admin.password,
      database: 'app',
    });
    await admin.connect();
    const slot = 'pgtrail_repl_test';
    try {
      await admin.query('create table if not exists repl_items (id int primary key, v text)');
      await admin.query('select pg_create_logical_replication_slot($1, $2)', [slot, 'test_decoding']);
      const receiver = spawn(
        'pg_recvlogical',
        [
          '-h',
          p.host,
          '-p',
          String(p.port),
          '-U',
          'postgres',
          '-d',
          'app',
          '-S',
          slot,
          '--start',
          '-s',
          '1',
          '-F',
          '1',
          '-f',
          '-',
        ],
        { env: env() },
      );
      let out = '';
      const seen = new Promise<void>((resolve, reject) => {
        receiver.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('COMMIT')) resolve();
        });
        receiver.on('exit', (code) => reject(new Error(`pg_recvlogical exited with ${code}`)));
      });
      await admin.query("insert into repl_items values (1, 'streamed through pgtrail')");
      await seen;
      const exited = new Promise((resolve) => receiver.once('exit', resolve));
      receiver.kill('SIGINT');
      await exited;
      expect(out).toContain("table public.repl_items: INSERT: id[integer]:1 v[text]:'streamed through pgtrail'");
    } finally {
      await admin.query('select pg_drop_replication_slot($1)', [slot]).catch(() => {});
      await admin.end();
    }
  });
});
