import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { testRoles } from './support/test-roles.js';

describe('test PostgreSQL servers', () => {
  for (const server of inject('postgresMajors')) {
    it(`PostgreSQL ${server.major} accepts each test role with its own auth method`, async () => {
      for (const role of [testRoles.scram, testRoles.md5, testRoles.password, testRoles.trust]) {
        const client = new pg.Client({
          host: server.host,
          port: server.port,
          user: role.user,
          password: role.password,
          database: 'app',
        });
        await client.connect();
        const { rows } = await client.query<{ v: string; u: string }>(
          'select current_setting($1) as v, current_user as u',
          ['server_version_num'],
        );
        expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(server.major * 10000);
        expect(rows[0]?.u).toBe(role.user);
        await client.end();
      }
    });
  }
});
