import pg from 'pg';
import { superuser, type PostgresInfo } from '../../embedded/postgres-server.js';

/** Roles every test server has, one per authentication method (pg_hba.conf pins each). */
export const testRoles = {
  /** Superuser, SCRAM-SHA-256. */
  admin: superuser,
  /** An ordinary role that owns database `app`, SCRAM-SHA-256. */
  scram: { user: 'app', password: 'app-secret' },
  md5: { user: 'md5_user', password: 'md5-secret' },
  password: { user: 'password_user', password: 'plain-secret' },
  trust: { user: 'trust_user', password: '' },
} as const;

/** Creates the roles of `testRoles` (md5_user with an md5 hash) and database `app` owned by `app`. */
export async function createTestRoles(server: PostgresInfo): Promise<void> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: 'postgres',
    password: testRoles.admin.password,
    database: 'postgres',
  });
  await client.connect();
  const r = testRoles;
  await client.query(`CREATE ROLE ${r.scram.user} LOGIN CREATEDB PASSWORD '${r.scram.password}'`);
  await client.query(`CREATE ROLE ${r.trust.user} LOGIN`);
  await client.query(`CREATE ROLE ${r.password.user} LOGIN PASSWORD '${r.password.password}'`);
  await client.query(`SET password_encryption = 'md5'`);
  await client.query(`CREATE ROLE ${r.md5.user} LOGIN PASSWORD '${r.md5.password}'`);
  await client.query(`RESET password_encryption`);
  await client.query(`CREATE DATABASE app OWNER ${r.scram.user}`);
  await client.query(`GRANT ALL ON DATABASE app TO ${r.md5.user}, ${r.password.user}, ${r.trust.user}`);
  await client.end();
  const app = new pg.Client({
    host: server.host,
    port: server.port,
    user: 'postgres',
    password: r.admin.password,
    database: 'app',
  });
  await app.connect();
  await app.query(`GRANT ALL ON SCHEMA public TO PUBLIC`);
  await app.end();
}
