import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IdentityMethod, SessionOpened } from '../recorder/events.js';
import { viaPg, viaPostgresJs, viaPsql, type ClientResult, type Login } from './support/client-runs.js';
import {
  certUser,
  identityProxyConfig,
  ISSUER,
  makeIdentityFixture,
  standardIdentity,
  startIdentityProxy,
  tokenUser,
  type IdentityFixture,
  type IdentityProxy,
} from './support/identity-fixture.js';
import { testRoles } from './support/test-roles.js';

describe('proxy-managed identities with real clients', () => {
  const server = inject('postgres');
  let fx: IdentityFixture;
  let proxy: IdentityProxy;

  beforeAll(async () => {
    fx = await makeIdentityFixture();
    const config = identityProxyConfig(server, fx, standardIdentity(fx, testRoles.scram.user));
    proxy = await startIdentityProxy(config, { APP_PASSWORD: testRoles.scram.password });
  });
  afterAll(async () => {
    await proxy?.close();
    await fx?.cleanup();
  });

  const login = (over: Partial<Login>): Login => ({
    host: proxy.host,
    port: proxy.port,
    user: 'alice',
    database: 'app',
    tls: 'off',
    ...over,
  });
  const openedFor = (user: string): SessionOpened[] =>
    proxy.events.filter((e): e is SessionOpened => e.type === 'session.opened' && e.identity.user === user);

  /** Each client logs in; upstream it is always the credential's role, and each session is on the record. */
  async function expectEveryClientIn(l: Login, method: IdentityMethod, results: () => Promise<ClientResult>[]) {
    const before = openedFor(l.user).length;
    const outcomes = await Promise.all(results());
    for (const r of outcomes) expect(r).toEqual({ ok: true, currentUser: testRoles.scram.user });
    const opened = openedFor(l.user).slice(before);
    expect(opened).toHaveLength(outcomes.length);
    for (const o of opened) {
      expect(o.identity).toEqual({ user: l.user, method });
      expect(o.role).toBe(testRoles.scram.user);
      expect(o.database).toBe('app');
      expect(o.upstreamTls).not.toBeNull();
    }
  }

  it('password (SCRAM-SHA-256 against a config verifier): psql, pg and postgres.js', async () => {
    const plain = login({ password: 'alice-pw' });
    const tls = login({ password: 'alice-pw', tls: 'on' });
    // psql over TLS binds the channel (SCRAM-SHA-256-PLUS); pg is asked to bind too; postgres.js cannot.
    await expectEveryClientIn(plain, { kind: 'password' }, () => [
      viaPsql(tls, ['channel_binding=require']),
      viaPsql(plain),
      viaPg(plain),
      viaPg(tls, { enableChannelBinding: true }),
      viaPostgresJs(plain),
      viaPostgresJs(tls),
    ]);
  });

  it('client certificate (identity from the CN, checked against the CA): psql, pg and postgres.js', async () => {
    const cert = new X509Certificate(readFileSync(fx.person.certFile));
    const l = login({ user: certUser, tls: { certFile: fx.person.certFile, keyFile: fx.person.keyFile } });
    await expectEveryClientIn(
      l,
      { kind: 'certificate', fingerprint: cert.fingerprint256, subject: `CN=${certUser}` },
      () => [viaPsql(l), viaPg(l), viaPostgresJs(l)],
    );
  });

  it('SSO token as the password over TLS: psql, pg and postgres.js', async () => {
    const l = login({ user: tokenUser, password: await fx.token(tokenUser), tls: 'on' });
    await expectEveryClientIn(l, { kind: 'token', issuer: ISSUER, subject: `sub-${tokenUser}` }, () => [
      viaPsql(l),
      viaPg(l),
      viaPostgresJs(l),
    ]);
  });
});

describe('proxy-managed identity against every PostgreSQL major', () => {
  it('logs in upstream with the credential over TLS on each server', async () => {
    const fx = await makeIdentityFixture();
    try {
      for (const server of inject('postgresMajors')) {
        const proxy = await startIdentityProxy(
          identityProxyConfig(server, fx, standardIdentity(fx, testRoles.scram.user)),
          { APP_PASSWORD: testRoles.scram.password },
        );
        try {
          const l: Login = {
            host: proxy.host,
            port: proxy.port,
            user: 'alice',
            password: 'alice-pw',
            database: 'app',
            tls: 'off',
          };
          expect(await viaPg(l)).toEqual({ ok: true, currentUser: testRoles.scram.user });
          const opened = proxy.events.find((e): e is SessionOpened => e.type === 'session.opened');
          expect(opened?.serverVersion.startsWith(String(server.major))).toBe(true);
          expect(opened?.role).toBe(testRoles.scram.user);
        } finally {
          await proxy.close();
        }
      }
    } finally {
      await fx.cleanup();
    }
  });
});
