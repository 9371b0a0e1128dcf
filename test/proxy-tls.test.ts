import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTlsFiles } from '../embedded/tls-files.js';
import type { SessionOpened } from '../recorder/events.js';
import { RawClient, frontendMessage, startupMessage, startupPacket } from './support/raw-client.js';
import { testRoles } from './support/test-roles.js';
import { waitForRunningQuery } from './support/wait-for-query.js';
import { startTestProxy, startTlsTestProxy, type TlsTestProxy } from './support/test-proxy.js';

describe('TLS on both legs', () => {
  const server = inject('postgres');
  let p: TlsTestProxy;
  beforeAll(async () => {
    p = await startTlsTestProxy(server, 'require');
  });
  afterAll(async () => {
    await p.close();
  });

  /** Cancels a pg_sleep named `marker` with postgres.js's cancel() (a CancelRequest on a new connection), then uses the connection again. */
  const expectCancelThenReuse = async (sql: postgres.Sql, marker: string): Promise<void> => {
    const sleeping = sql.unsafe(`select pg_sleep(30) as ${marker}`);
    const outcome = sleeping.then(
      () => 'finished',
      (err: { code?: string }) => err.code,
    );
    await waitForRunningQuery(server, marker);
    sleeping.cancel();
    expect(await outcome).toBe('57014');
    expect(await sql`select 1 as v`).toEqual([{ v: 1 }]);
  };

  const tlsClient = (role: { user: string; password: string }) =>
    new pg.Client({
      host: p.host,
      port: p.port,
      user: role.user,
      password: role.password,
      database: 'app',
      ssl: { ca: readFileSync(p.caFile), servername: 'localhost' },
    });

  it('serves a pg client over TLS to a TLS upstream, and records both legs on session.opened', async () => {
    const c = tlsClient(testRoles.scram);
    await c.connect();
    const { rows } = await c.query<{ u: string; ssl: boolean; pid: number }>(
      'select current_user as u, ssl, pg_backend_pid() as pid from pg_stat_ssl where pid = pg_backend_pid()',
    );
    await c.end();
    expect(rows[0]?.u).toBe('app');
    expect(rows[0]?.ssl).toBe(true);
    const opened = p.events.find(
      (e): e is SessionOpened => e.type === 'session.opened' && e.backendPid === rows[0]?.pid,
    );
    expect(opened?.identity).toEqual({ user: 'app', method: { kind: 'passthrough' } });
    expect(opened?.clientTls?.version).toMatch(/^TLSv1\.[23]$/);
    expect(opened?.upstreamTls?.version).toMatch(/^TLSv1\.[23]$/);
    expect(opened?.database).toBe('app');
    expect(opened?.serverVersion).toMatch(/^18/);
  });

  it('refuses plaintext clients with 28000 when tls.mode is require', async () => {
    const c = new pg.Client({
      host: p.host,
      port: p.port,
      user: 'app',
      password: 'app-secret',
      database: 'app',
      ssl: false,
    });
    await expect(c.connect()).rejects.toMatchObject({ code: '28000' });
  });

  it('works with psql on its default sslmode (prefer) and with verify-full', async () => {
    const { execFile } = await import('node:child_process');
    const run = (sslmode: string) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          'psql',
          [
            '-X',
            '-A',
            '-t',
            '-h',
            'localhost',
            '-p',
            String(p.port),
            '-U',
            'app',
            '-d',
            'app',
            '-c',
            'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
          ],
          { env: { ...process.env, PGPASSWORD: 'app-secret', PGSSLMODE: sslmode, PGSSLROOTCERT: p.caFile } },
          (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout.trim())),
        ),
      );
    expect(await run('prefer')).toBe('t');
    expect(await run('verify-full')).toBe('t');
  });

  it('cancels over TLS (postgres.js sends its CancelRequest inside TLS)', async () => {
    const sql = postgres({
      host: p.host,
      port: p.port,
      user: 'app',
      password: 'app-secret',
      database: 'app',
      max: 1,
      ssl: { ca: readFileSync(p.caFile), servername: 'localhost' },
    });
    try {
      await sql`select 1`;
      await expectCancelThenReuse(sql, 'tls_cancel_marker');
    } finally {
      await sql.end();
    }
  });

  it('accepts PostgreSQL 17 direct TLS with ALPN postgresql', async () => {
    const raw = await RawClient.openDirectTls(p.host, p.port, readFileSync(p.caFile), ['postgresql']);
    raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
    const startup = await raw.untilReady();
    expect(startup[0]?.code).toBe(0x52); // AuthenticationOk
    raw.write(frontendMessage('Q', 'select 40 + 2\0'));
    const result = await raw.untilReady();
    expect(result.some((m) => m.code === 0x44 && m.body.toString().endsWith('42'))).toBe(true);
    raw.end();
  });

  it('serves pg and postgres.js clients on sslnegotiation=direct, and cancels over direct TLS', async () => {
    const ca = readFileSync(p.caFile);
    const c = new pg.Client({
      host: p.host,
      port: p.port,
      user: 'app',
      password: 'app-secret',
      database: 'app',
      ssl: { ca, servername: 'localhost' },
      sslnegotiation: 'direct',
    });
    await c.connect();
    const { rows } = await c.query<{ pid: number }>('select pg_backend_pid() as pid');
    await c.end();
    const opened = p.events.find(
      (e): e is SessionOpened => e.type === 'session.opened' && e.backendPid === rows[0]?.pid,
    );
    expect(opened?.identity.user).toBe('app');
    expect(opened?.clientTls?.version).toMatch(/^TLSv1\.[23]$/);

    // postgres.js takes sslnegotiation from the URL; its CancelRequest goes over a new direct TLS connection.
    const sql = postgres(`postgres://app:app-secret@${p.host}:${p.port}/app?sslnegotiation=direct`, {
      max: 1,
      ssl: { ca, servername: 'localhost' },
    });
    try {
      const [{ ssl }] = await sql<[{ ssl: boolean }]>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(ssl).toBe(true);
      await expectCancelThenReuse(sql, 'direct_tls_cancel_marker');
    } finally {
      await sql.end();
    }
  });

  it('refuses direct TLS without the postgresql ALPN', async () => {
    const raw = await RawClient.openDirectTls(p.host, p.port, readFileSync(p.caFile), []).catch(() => null);
    if (raw !== null) {
      raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
      await expect(raw.untilReady()).rejects.toThrow();
    }
    // Either the handshake or the session is refused; the proxy goes on serving.
    const c = tlsClient(testRoles.scram);
    await c.connect();
    await c.end();
  });

  it('answers GSSENCRequest with N and goes on to TLS and startup', async () => {
    const raw = await RawClient.open(p.host, p.port);
    raw.write(startupPacket(80877104));
    expect(String.fromCharCode(await raw.readByte())).toBe('N');
    raw.write(startupPacket(80877103));
    expect(String.fromCharCode(await raw.readByte())).toBe('S');
    await raw.startTls(readFileSync(p.caFile));
    raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
    const startup = await raw.untilReady();
    expect(startup.at(-1)?.code).toBe(0x5a);
    raw.end();
  });
});

describe('client certificates', () => {
  it('records the subject of the certificate a client presents when tls.caFile is set', async () => {
    const server = inject('postgres');
    const dir = mkdtempSync(join(tmpdir(), 'pgtrail-clientcert-'));
    const certs = makeTlsFiles(dir, 'localhost');
    const alice = makeTlsFiles(join(dir, 'alice'), 'alice', { certFile: certs.caFile, keyFile: join(dir, 'ca.key') });
    const p = await startTestProxy(server, {
      tls: { mode: 'require', certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile },
    });
    try {
      const c = new pg.Client({
        host: p.host,
        port: p.port,
        user: 'app',
        password: 'app-secret',
        database: 'app',
        ssl: {
          ca: readFileSync(certs.caFile),
          servername: 'localhost',
          cert: readFileSync(alice.certFile),
          key: readFileSync(alice.keyFile),
        },
      });
      await c.connect();
      await c.end();
      const opened = p.events.find((e): e is SessionOpened => e.type === 'session.opened');
      expect(opened?.clientTls?.clientCertSubject).toBe('CN=alice');
    } finally {
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('upstream TLS modes', () => {
  const server = inject('postgres');

  for (const mode of ['require', 'verify-ca', 'verify-full', 'prefer'] as const) {
    it(`connects upstream with sslmode ${mode}`, async () => {
      const p = await startTestProxy(server, {
        upstreamTls: { mode, caFile: mode.startsWith('verify') ? server.caFile : null },
      });
      try {
        const c = new pg.Client({
          host: p.host,
          port: p.port,
          user: 'md5_user',
          password: 'md5-secret',
          database: 'app',
        });
        await c.connect();
        const { rows } = await c.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
        expect(rows[0]?.ssl).toBe(true);
        await c.end();
      } finally {
        await p.close();
      }
    });
  }

  it('refuses an upstream whose certificate the CA did not sign (verify-ca), with 08006', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgtrail-ca-'));
    const other = makeTlsFiles(dir, 'localhost');
    const p = await startTestProxy(server, { upstreamTls: { mode: 'verify-ca', caFile: other.caFile } });
    try {
      const c = new pg.Client({ host: p.host, port: p.port, user: 'app', password: 'app-secret', database: 'app' });
      await expect(c.connect()).rejects.toMatchObject({ code: '08006' });
      expect(p.events.some((e) => e.type === 'session.auth_failed' && e.code === '08006')).toBe(true);
    } finally {
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses verify-full when the name does not match, with 08006', async () => {
    const p = await startTestProxy(server, {
      upstreamTls: { mode: 'verify-full', caFile: server.caFile, serverName: 'db.example.org' },
    });
    try {
      const c = new pg.Client({ host: p.host, port: p.port, user: 'app', password: 'app-secret', database: 'app' });
      await expect(c.connect()).rejects.toMatchObject({ code: '08006' });
    } finally {
      await p.close();
    }
  });
});
