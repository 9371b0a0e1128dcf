/** node-postgres clients as the `app` role (SCRAM) of database `app`: through a proxy, or straight to the server. */
import pg from 'pg';
import { testRoles } from './test-roles.js';

const scram = { user: testRoles.scram.user, password: testRoles.scram.password };

/** A client of the proxy on 127.0.0.1:`port`, not connected; its errors after a refusal are not thrown. */
export function appClient(port: number): pg.Client {
  const c = new pg.Client({ host: '127.0.0.1', port, database: 'app', ...scram });
  c.on('error', () => {});
  return c;
}

/** Runs `work` on a connection straight to the server (no proxy), closed afterwards. */
export async function onServer<T>(
  server: { readonly host: string; readonly port: number },
  work: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = new pg.Client({ host: server.host, port: server.port, database: 'app', ...scram });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}
