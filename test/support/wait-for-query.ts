import pg from 'pg';
import type { PostgresInfo } from '../../embedded/postgres-server.js';
import { testRoles } from './test-roles.js';

/**
 * Waits (directly on the server, not through pgtrail) until a backend runs a query containing
 * `marker`; returns its pid. Cancel tests use it so that the cancel cannot race the query.
 */
export async function waitForRunningQuery(server: PostgresInfo, marker: string, timeoutMs = 20_000): Promise<number> {
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: testRoles.admin.user,
    password: testRoles.admin.password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await admin.query<{ pid: number }>(
        "select pid from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()",
        [`%${marker}%`],
      );
      if (rows[0]) return rows[0].pid;
      if (Date.now() > deadline) throw new Error(`no running query with marker ${marker}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await admin.end();
  }
}

/** Waits until the backend with this pid has gone; returns false when it is still there after timeoutMs. */
export async function waitForBackendGone(server: PostgresInfo, pid: number, timeoutMs = 10_000): Promise<boolean> {
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: testRoles.admin.user,
    password: testRoles.admin.password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      if (rows.length === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await admin.end();
  }
}
