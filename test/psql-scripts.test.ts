import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

const run = promisify(execFile);

describe('psql through pgtrail', () => {
  const server = inject('postgres');
  let p: TestProxy;
  let dir: string;
  const psql = (args: string[], sslmode = 'disable') =>
    run('psql', ['-X', '-h', p.host, '-p', String(p.port), '-U', testRoles.scram.user, '-d', 'app', ...args], {
      env: { ...process.env, PGPASSWORD: testRoles.scram.password, PGSSLMODE: sslmode, PGCONNECT_TIMEOUT: '10' },
    });
  beforeAll(async () => {
    p = await startTestProxy(server);
    dir = mkdtempSync(join(tmpdir(), 'pgtrail-psql-'));
  });
  afterAll(async () => {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a script with several statements, an error, a transaction and \\copy both ways', async () => {
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.csv');
    const rows = `${Array.from({ length: 5000 }, (_, i) => `${i},"name, ${i}"`).join('\n')}\n`;
    writeFileSync(input, rows);
    const script = join(dir, 'script.sql');
    writeFileSync(
      script,
      [
        'drop table if exists psql_items;',
        'create table psql_items (id int primary key, name text);',
        `\\copy psql_items from '${input}' with (format csv)`,
        'select count(*) as n from psql_items \\gset',
        '\\echo count=:n',
        'select 1/0;',
        "begin; insert into psql_items values (-1, 'x'); select no_such_column; rollback;",
        'select count(*) as after_rollback from psql_items;',
        `\\copy (select * from psql_items order by id) to '${output}' with (format csv)`,
        'select 1 as a \\; select 2 as b;',
        '',
      ].join('\n'),
    );
    const { stdout, stderr } = await psql(['-v', 'ON_ERROR_STOP=0', '-A', '-t', '-f', script]);
    expect(stdout).toContain('count=5000');
    expect(stdout).toMatch(/^5000$/m);
    expect(stdout).toMatch(/^1\n2$/m);
    expect(stderr).toContain('division by zero');
    expect(stderr).toContain('no_such_column');
    expect(readFileSync(output, 'utf8')).toBe(rows);
  });

  it('falls back to plaintext with sslmode=prefer when client TLS is disabled', async () => {
    const { stdout } = await psql(['-A', '-t', '-c', 'select 42'], 'prefer');
    expect(stdout.trim()).toBe('42');
  });
});
