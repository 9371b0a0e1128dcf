import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import type { SessionAuthFailed, SessionOpened } from '../recorder/events.js';
import { viaPg, viaPostgresJs, viaPsql, type ClientResult, type Login } from './support/client-runs.js';
import {
  AUDIENCE,
  certUser,
  identityProxyConfig,
  makeIdentityFixture,
  passwordUser,
  standardIdentity,
  startIdentityProxy,
  tokenUser,
  type IdentityFixture,
  type IdentityProxy,
} from './support/identity-fixture.js';
import { testProxyConfig } from './support/test-proxy.js';
import { testRoles } from './support/test-roles.js';

describe('proxy-managed identity refusals', () => {
  const server = inject('postgres');
  let fx: IdentityFixture;
  let proxy: IdentityProxy;

  beforeAll(async () => {
    fx = await makeIdentityFixture();
    proxy = await startIdentityProxy(identityProxyConfig(server, fx, standardIdentity(fx, testRoles.scram.user)), {
      APP_PASSWORD: testRoles.scram.password,
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await fx?.cleanup();
  });

  const login = (over: Partial<Login>): Login => ({
    host: proxy.host,
    port: proxy.port,
    user: passwordUser.name,
    database: 'app',
    tls: 'off',
    ...over,
  });
  const failures = (p: IdentityProxy) =>
    p.events.filter((e): e is SessionAuthFailed => e.type === 'session.auth_failed');

  /** The method the client tried, as session.auth_failed records it, for each reason these tests provoke. */
  const triedMethod = (reason: string): string | null => {
    if (reason === 'rate limited') return null;
    // Over TLS with tokens configured, a password that is not a token's shape was still offered as one.
    if (reason.startsWith('token') || reason === 'unknown user') return 'token';
    if (reason.includes('certificate')) return 'certificate';
    return 'password';
  };

  /** The client is refused with `code`, and exactly one session.auth_failed says who tried, how, the code and why. */
  async function expectRefused(
    p: IdentityProxy,
    l: Login,
    code: string,
    reason: string,
    connect: (l: Login) => Promise<ClientResult> = viaPg,
  ) {
    const before = failures(p).length;
    const result = await connect(l);
    expect(result).toMatchObject({ ok: false });
    if (connect !== viaPsql) expect(result).toMatchObject({ code });
    const recorded = failures(p).slice(before);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      user: l.user,
      database: l.database,
      code,
      reason,
      method: triedMethod(reason),
      client: { address: '127.0.0.1' },
    });
    return result;
  }

  it('a wrong password: 28P01 with every client, recorded as a wrong password', async () => {
    for (const client of [viaPg, viaPostgresJs, viaPsql]) {
      const r = await expectRefused(proxy, login({ password: 'not-it' }), '28P01', 'wrong password', client);
      expect(r).toMatchObject({
        message: expect.stringContaining(`password authentication failed for user "${passwordUser.name}"`),
      });
    }
  });

  it('an unknown user: the same 28P01 message as a wrong password, recorded as unknown', async () => {
    // Over TLS the password is asked for in clear (it could be a token); over plaintext SCRAM runs against a made-up verifier.
    const r = await expectRefused(
      proxy,
      login({ user: 'mallory', password: 'guess', tls: 'on' }),
      '28P01',
      'unknown user',
    );
    expect(r).toMatchObject({ message: 'password authentication failed for user "mallory"' });
    await expectRefused(
      proxy,
      login({ user: 'mallory', password: 'guess' }),
      '28P01',
      'unknown user (tokens need tls)',
      viaPostgresJs,
    );
  });

  it('an expired token: 28P01', async () => {
    const expired = await fx.token(tokenUser, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    await expectRefused(proxy, login({ user: tokenUser, password: expired, tls: 'on' }), '28P01', 'token expired');
  });

  it('a token from another issuer, and one for another audience: 28P01', async () => {
    await expectRefused(
      proxy,
      login({ user: tokenUser, password: await fx.token(tokenUser, { issuer: 'https://evil.test' }), tls: 'on' }),
      '28P01',
      'token from another issuer',
    );
    await expectRefused(
      proxy,
      login({ user: tokenUser, password: await fx.token(tokenUser, { audience: `${AUDIENCE}-other` }), tls: 'on' }),
      '28P01',
      'token for another audience',
    );
  });

  it('a token for someone other than the user who connects: 28P01', async () => {
    await expectRefused(
      proxy,
      login({ user: tokenUser, password: await fx.token('eve@example.test'), tls: 'on' }),
      '28P01',
      'token identity does not match user',
    );
  });

  it('a token sent without TLS: 28P01, and only a SCRAM proof of it crossed the network', async () => {
    await expectRefused(
      proxy,
      login({ user: tokenUser, password: await fx.token(tokenUser) }),
      '28P01',
      'unknown user (tokens need tls)',
    );
  });

  it('a certificate from another CA: 28000 with every client', async () => {
    for (const client of [viaPg, viaPostgresJs, viaPsql]) {
      await expectRefused(
        proxy,
        login({ user: certUser, tls: { certFile: fx.stranger.certFile, keyFile: fx.stranger.keyFile } }),
        '28000',
        'certificate not issued by the configured ca',
        client,
      );
    }
  });

  it('an identity denied a database: 28000, although its password was right', async () => {
    const r = await expectRefused(
      proxy,
      login({ password: passwordUser.password, database: 'postgres' }),
      '28000',
      'denied by access policy',
    );
    expect(r).toMatchObject({ message: `access to database "postgres" denied for "${passwordUser.name}"` });
  });

  it('with certificates as the only method, a client without one: 28000', async () => {
    const certOnly = {
      ...standardIdentity(fx, testRoles.scram.user),
      users: [],
      jwt: { ...defaultConfig.identity.jwt },
    };
    const p = await startIdentityProxy(identityProxyConfig(server, fx, certOnly), {
      APP_PASSWORD: testRoles.scram.password,
    });
    try {
      await expectRefused(
        p,
        login({ host: p.host, port: p.port, user: certUser, password: 'x', tls: 'on' }),
        '28000',
        'no client certificate',
      );
    } finally {
      await p.close();
    }
  });

  it("a credential the server refuses: 28000 without the upstream role in the message, the server's words on the record", async () => {
    const p = await startIdentityProxy(identityProxyConfig(server, fx, standardIdentity(fx, testRoles.scram.user)), {
      APP_PASSWORD: 'stale-password',
    });
    try {
      const r = await expectRefused(
        p,
        login({ host: p.host, port: p.port, password: passwordUser.password }),
        '28000',
        `upstream refused credential "app_rw": 28P01 password authentication failed for user "${testRoles.scram.user}"`,
      );
      expect(r).toMatchObject({ message: 'pgtrail could not log in to the database for this identity' });
    } finally {
      await p.close();
    }
  });

  it('rate-limits an address after too many failures, even for the right password', async () => {
    const limited = await startIdentityProxy(
      identityProxyConfig(server, fx, {
        ...standardIdentity(fx, testRoles.scram.user),
        rateLimit: { maxFailures: 2, windowMs: 600_000 },
      }),
      { APP_PASSWORD: testRoles.scram.password },
    );
    try {
      const at = { host: limited.host, port: limited.port };
      for (let i = 0; i < 2; i++)
        await expectRefused(limited, login({ ...at, password: 'not-it' }), '28P01', 'wrong password');
      await expectRefused(limited, login({ ...at, password: passwordUser.password }), '28000', 'rate limited');
    } finally {
      await limited.close();
    }
  });
});

describe('identity with nothing configured', () => {
  it('is passthrough: the database checks the password and the identity is the role it accepted', async () => {
    const p = await startIdentityProxy(testProxyConfig(inject('postgres')), {});
    try {
      const l: Login = {
        host: p.host,
        port: p.port,
        user: testRoles.scram.user,
        password: testRoles.scram.password,
        database: 'app',
        tls: 'off',
      };
      for (const client of [viaPg, viaPostgresJs, viaPsql])
        expect(await client(l)).toEqual({ ok: true, currentUser: testRoles.scram.user });
      const opened = p.events.filter((e): e is SessionOpened => e.type === 'session.opened');
      expect(opened.map((o) => o.identity)).toEqual(
        Array(3).fill({ user: testRoles.scram.user, method: { kind: 'passthrough' } }),
      );
      expect((await viaPg({ ...l, password: 'wrong' })).ok).toBe(false);
    } finally {
      await p.close();
    }
  });
});
