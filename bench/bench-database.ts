import pg from 'pg';
import { superuser, type PostgresServer } from '../embedded/postgres-server.js';
import { initPgbench, type PgbenchTarget } from './pgbench.js';

/** The role pgbench connects as: the test suite's SCRAM-SHA-256 role (test/support/test-roles.ts). */
export const benchRole = { user: 'app', password: 'app-secret' } as const;

/** The database pgbench's tables live in, owned by benchRole. */
export const benchDatabase = 'bench';

/** The pgbench database, ready, and what pgbouncer needs to authenticate its role. */
export interface BenchDatabase {
  /** pgbench straight to PostgreSQL. */
  readonly direct: PgbenchTarget;
  /** The role's SCRAM-SHA-256 verifier, as pg_authid holds it. */
  readonly scramVerifier: string;
}

/** Creates benchRole (SCRAM) and benchDatabase on the server and fills it with `pgbench -i -s scale`. */
export async function prepareBenchDatabase(server: PostgresServer, scale: number): Promise<BenchDatabase> {
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: superuser.user,
    password: superuser.password,
    database: 'postgres',
  });
  await admin.connect();
  let scramVerifier: string;
  try {
    await admin.query(`SET password_encryption = 'scram-sha-256'`);
    await admin.query(`CREATE ROLE ${benchRole.user} LOGIN PASSWORD '${benchRole.password}'`);
    await admin.query(`CREATE DATABASE ${benchDatabase} OWNER ${benchRole.user}`);
    const result = await admin.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [
      benchRole.user,
    ]);
    const verifier = result.rows[0]?.rolpassword;
    if (!verifier?.startsWith('SCRAM-SHA-256$')) throw new Error('bench role has no scram verifier');
    scramVerifier = verifier;
  } finally {
    await admin.end();
  }
  const direct: PgbenchTarget = {
    host: server.host,
    port: server.port,
    user: benchRole.user,
    password: benchRole.password,
    database: benchDatabase,
  };
  await initPgbench(direct, scale);
  return { direct, scramVerifier };
}
