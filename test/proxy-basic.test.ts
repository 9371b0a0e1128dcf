import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

describe('proxy basics', () => {
  const server = inject('postgres');
  let p: TestProxy;
  beforeAll(async () => {
    p = await startTestProxy(server);
  });
  afterAll(async () => {
    await p.close();
  });

  it('forwards a simple query', async () => {
    const c = new pg.Client({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: testRoles.scram.password,
      database: 'app',
    });
    await c.connect();
    const r = await c.query('select 1 as one');
    expect(r.rows).toEqual([{ one: 1 }]);
    await c.end();
  });
});
