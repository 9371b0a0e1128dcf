import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authenticateUpstream, saslMechanisms } from '../proxy/auth/upstream-password-auth.js';
import { BackendError } from '../proxy/backend-error.js';
import { parseErrorFields } from '../proxy/protocol/error-fields.js';
import { connectUpstream, upstreamTarget } from '../proxy/upstream-connect.js';
import type { SessionAuthFailed, SessionOpened } from '../recorder/events.js';
import { RawClient, startupMessage, startupPacket } from './support/raw-client.js';
import { testRoles } from './support/test-roles.js';
import { startTlsTestProxy, testProxyConfig, type TlsTestProxy } from './support/test-proxy.js';

const roles = [
  { method: 'scram-sha-256', ...testRoles.scram },
  { method: 'md5', ...testRoles.md5 },
  { method: 'password', ...testRoles.password },
  { method: 'trust', ...testRoles.trust },
] as const;

describe('passthrough authentication through pgtrail', () => {
  const server = inject('postgres');
  let p: TlsTestProxy;
  beforeAll(async () => {
    p = await startTlsTestProxy(server, 'allow');
  });
  afterAll(async () => {
    await p.close();
  });

  const client = (user: string, password: string, tls: boolean) =>
    new pg.Client({
      host: p.host,
      port: p.port,
      user,
      password,
      database: 'app',
      ssl: tls ? { ca: readFileSync(p.caFile), servername: 'localhost' } : false,
    });

  for (const role of roles) {
    for (const tls of [false, true]) {
      it(`accepts ${role.method} (${role.user}) with a ${tls ? 'TLS' : 'plaintext'} client leg; the identity is the role`, async () => {
        const c = client(role.user, role.password, tls);
        await c.connect();
        const { rows } = await c.query<{ u: string; pid: number }>('select current_user as u, pg_backend_pid() as pid');
        await c.end();
        expect(rows[0]?.u).toBe(role.user);
        const opened = p.events.find(
          (e): e is SessionOpened => e.type === 'session.opened' && e.backendPid === rows[0]?.pid,
        );
        expect(opened?.identity.user).toBe(role.user);
        expect(opened?.role).toBe(role.user);
        expect(opened?.clientTls !== null).toBe(tls);
      });
    }
  }

  for (const role of roles.filter((r) => r.method !== 'trust')) {
    for (const tls of [false, true]) {
      it(`refuses a wrong ${role.method} password (${tls ? 'TLS' : 'plaintext'}) with the server's 28P01, emitted as session.auth_failed`, async () => {
        const c = client(role.user, 'wrong-password', tls);
        const err = await c.connect().then(
          () => null,
          (e: unknown) => e as { code?: string; message?: string },
        );
        expect(err?.code).toBe('28P01');
        expect(err?.message).toBe(`password authentication failed for user "${role.user}"`);
        const failed = p.events.filter(
          (e): e is SessionAuthFailed => e.type === 'session.auth_failed' && e.user === role.user,
        );
        expect(failed.at(-1)).toMatchObject({
          code: '28P01',
          reason: `password authentication failed for user "${role.user}"`,
          database: 'app',
        });
      });
    }
  }

  it('offers a plaintext client only SCRAM-SHA-256, even when the upstream offers -PLUS', async () => {
    const raw = await RawClient.open(p.host, p.port);
    raw.write(startupMessage({ user: 'app', database: 'app' }));
    const m = await raw.next();
    expect(m.code).toBe(0x52);
    expect(m.body.readInt32BE(0)).toBe(10);
    expect(saslMechanisms(m.body.subarray(4))).toEqual(['SCRAM-SHA-256']);
    raw.end();
  });

  it('asks a TLS client for its password in cleartext (inside TLS) when the upstream wants SCRAM', async () => {
    const raw = await RawClient.open(p.host, p.port);
    raw.write(startupPacket(80877103));
    expect(String.fromCharCode(await raw.readByte())).toBe('S');
    await raw.startTls(readFileSync(p.caFile));
    raw.write(startupMessage({ user: 'app', database: 'app' }));
    const m = await raw.next();
    expect(m.code).toBe(0x52);
    expect(m.body.readInt32BE(0)).toBe(3);
    raw.end();
  });

  it('refuses an unknown database with the server error and emits session.auth_failed', async () => {
    const c = new pg.Client({
      host: p.host,
      port: p.port,
      user: 'app',
      password: 'app-secret',
      database: 'no_such_db',
    });
    await expect(c.connect()).rejects.toMatchObject({ code: '3D000' });
    expect(
      p.events.some((e) => e.type === 'session.auth_failed' && e.code === '3D000' && e.database === 'no_such_db'),
    ).toBe(true);
  });
});

describe('pgtrail authenticating upstream itself', () => {
  for (const server of inject('postgresMajors')) {
    const target = (mode: 'disable' | 'verify-full') => {
      const config = testProxyConfig(server, {
        upstreamTls: { mode, caFile: mode === 'disable' ? null : server.caFile },
      });
      return upstreamTarget(config.upstream, 0, config.limits.maxMessageBytes);
    };
    const attempt = async (mode: 'disable' | 'verify-full', user: string, password: string) => {
      const link = await connectUpstream(
        target(mode),
        new Map([
          ['user', user],
          ['database', 'app'],
        ]),
      );
      try {
        return await authenticateUpstream(link, user, Buffer.from(password));
      } finally {
        link.socket.destroy();
      }
    };

    it(`PostgreSQL ${server.major}: SCRAM-SHA-256-PLUS over TLS (tls-server-end-point), SCRAM-SHA-256 without`, async () => {
      expect(await attempt('verify-full', 'app', 'app-secret')).toBe('SCRAM-SHA-256-PLUS');
      expect(await attempt('disable', 'app', 'app-secret')).toBe('SCRAM-SHA-256');
    });

    it(`PostgreSQL ${server.major}: md5, password and trust`, async () => {
      expect(await attempt('verify-full', 'md5_user', 'md5-secret')).toBe('md5');
      expect(await attempt('verify-full', 'password_user', 'plain-secret')).toBe('password');
      expect(await attempt('disable', 'trust_user', '')).toBe('trust');
    });

    it(`PostgreSQL ${server.major}: a wrong password is the server's own error`, async () => {
      const err = await attempt('verify-full', 'app', 'nope').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BackendError);
      const fields = parseErrorFields((err as BackendError).serverBody as Buffer);
      expect(fields.code).toBe('28P01');
    });
  }
});
