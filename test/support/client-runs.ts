/**
 * Connects with each real client the way a user would and returns current_user, or the SQLSTATE
 * and message of the refusal: psql (libpq), node-postgres and postgres.js.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import postgres from 'postgres';

/** How to connect: the endpoint, the login, and TLS (client certificate files when given). */
export interface Login {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  /** off: plaintext; on: TLS without verifying pgtrail's certificate; or a client certificate and key. */
  readonly tls: 'off' | 'on' | { readonly certFile: string; readonly keyFile: string };
}

/** What came of a connection: the role the server says we are, or the refusal. */
export type ClientResult =
  | { readonly ok: true; readonly currentUser: string }
  | { readonly ok: false; readonly code: string | null; readonly message: string };

/**
 * psql -c 'select current_user'; a refusal's SQLSTATE is not printed by psql, so `code` is null.
 * `extra` adds libpq keywords (e.g. channel_binding=require).
 */
export function viaPsql(login: Login, extra: readonly string[] = []): Promise<ClientResult> {
  const conn = [
    ...extra,
    `host=${login.host}`,
    `port=${login.port}`,
    `user=${login.user}`,
    `dbname=${login.database}`,
    'connect_timeout=10',
  ];
  if (login.tls === 'off') conn.push('sslmode=disable');
  else conn.push('sslmode=require');
  if (typeof login.tls === 'object') conn.push(`sslcert=${login.tls.certFile}`, `sslkey=${login.tls.keyFile}`);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: '/nonexistent',
    ...(login.password !== undefined ? { PGPASSWORD: login.password } : {}),
  };
  return new Promise((resolve) => {
    execFile(
      'psql',
      [conn.join(' '), '-X', '-A', '-t', '-w', '-c', 'select current_user'],
      { env, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve(err ? { ok: false, code: null, message: stderr.trim() } : { ok: true, currentUser: stdout.trim() });
      },
    );
  });
}

function nodeTls(login: Login) {
  if (login.tls === 'off') return false;
  if (login.tls === 'on') return { rejectUnauthorized: false };
  return { rejectUnauthorized: false, cert: readFileSync(login.tls.certFile), key: readFileSync(login.tls.keyFile) };
}

/** node-postgres. */
export async function viaPg(login: Login, options: { enableChannelBinding?: boolean } = {}): Promise<ClientResult> {
  const client = new pg.Client({
    host: login.host,
    port: login.port,
    user: login.user,
    database: login.database,
    ssl: nodeTls(login),
    connectionTimeoutMillis: 10_000,
    ...(login.password !== undefined ? { password: login.password } : {}),
    ...(options.enableChannelBinding ? { enableChannelBinding: true } : {}),
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query<{ u: string }>('select current_user as u');
    return { ok: true, currentUser: r.rows[0]?.u ?? '' };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ok: false, code: e.code ?? null, message: e.message ?? String(err) };
  } finally {
    await client.end().catch(() => {});
  }
}

/** postgres.js. */
export async function viaPostgresJs(login: Login): Promise<ClientResult> {
  const sql = postgres({
    host: login.host,
    port: login.port,
    user: login.user,
    database: login.database,
    ssl: nodeTls(login),
    max: 1,
    connect_timeout: 10,
    onnotice: () => {},
    ...(login.password !== undefined ? { pass: login.password } : {}),
  });
  try {
    const rows = await sql<{ u: string }[]>`select current_user as u`;
    return { ok: true, currentUser: rows[0]?.u ?? '' };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ok: false, code: e.code ?? null, message: e.message ?? String(err) };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
