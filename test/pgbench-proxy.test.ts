import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

const run = promisify(execFile);

describe('pgbench through pgtrail', () => {
  const server = inject('postgres');
  let p: TestProxy;
  const pgbench = (args: string[]) =>
    run('pgbench', ['-h', p.host, '-p', String(p.port), '-U', testRoles.scram.user, ...args, 'app'], {
      env: { ...process.env, PGPASSWORD: testRoles.scram.password, PGSSLMODE: 'disable' },
    });
  beforeAll(async () => {
    p = await startTestProxy(server);
    // Initialisation itself goes through pgtrail: it uses COPY and multi-statement queries.
    await pgbench(['-i', '-s', '1', '-q']);
  }, 120_000);
  afterAll(async () => {
    await p.close();
  });

  for (const mode of ['simple', 'prepared'] as const) {
    it(`pgbench -S -M ${mode} with 8 clients: zero failed transactions`, async () => {
      const { stdout } = await pgbench(['-S', '-M', mode, '-c', '8', '-j', '2', '-T', '3']);
      const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
      expect(Number(processed?.[1])).toBeGreaterThan(100);
      expect(stdout).toMatch(/number of failed transactions: 0 /);
    });
  }

  it('pgbench read-write (TPC-B like), 4 clients: zero failed transactions', async () => {
    const { stdout } = await pgbench(['-c', '4', '-j', '2', '-t', '200']);
    expect(stdout).toMatch(/number of transactions actually processed: 800\/800/);
    expect(stdout).toMatch(/number of failed transactions: 0 /);
  });
});
