import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { startCommand } from '../bin/commands/start.js';
import { freePort } from '../embedded/postgres-server.js';
import { testRoles } from './support/test-roles.js';

describe('pgtrail start', () => {
  it('serves clients from flags and config, and drains and returns 0 on SIGTERM', async () => {
    const server = inject('postgres');
    const dir = mkdtempSync(join(tmpdir(), 'pgtrail-start-'));
    const configFile = join(dir, 'pgtrail.yaml');
    writeFileSync(configFile, 'log:\n  level: silent\nlimits:\n  shutdownGraceMs: 200\n');
    const port = await freePort();
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (d: Buffer) => (printed += d.toString()));
    const exit = startCommand.run({
      argv: [
        '--config',
        configFile,
        '--journal',
        join(dir, 'journal'),
        '--listen',
        `127.0.0.1:${port}`,
        '--upstream',
        `postgres://${server.host}:${server.port}/?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}`,
      ],
      env: {},
      stdout,
      stderr: new PassThrough(),
    });
    try {
      for (let i = 0; i < 100 && !printed.includes('listening'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(printed).toContain(`listening on 127.0.0.1:${port}`);
      const c = new pg.Client({
        host: '127.0.0.1',
        port,
        user: testRoles.scram.user,
        password: testRoles.scram.password,
        database: 'app',
      });
      c.on('error', () => {});
      await c.connect();
      expect((await c.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows).toEqual([{ ssl: true }]);
      process.emit('SIGTERM');
      expect(await exit).toBe(0);
      await expect(c.query('select 1')).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
