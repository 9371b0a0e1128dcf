/**
 * What the proxy-managed identity tests share: TLS files (pgtrail's own certificate, a CA for people's
 * certificates and a stranger CA), an SSO issuer (signing keys and a JWKS served over HTTP on
 * 127.0.0.1), and a proxy started with identity configured, whose events land in an array.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import pino from 'pino';
import type { Config, IdentityConfig } from '../../config/config.js';
import { defaultConfig } from '../../config/defaults.js';
import { makeTlsFiles, type TlsFiles } from '../../embedded/tls-files.js';
import type { PostgresInfo } from '../../embedded/postgres-server.js';
import { identityStrategySelector } from '../../proxy/identity/managed-auth-strategy.js';
import { ManagedIdentity } from '../../proxy/identity/managed-identity.js';
import { formatScramVerifier, makeScramVerifier } from '../../proxy/identity/scram-verifier.js';
import { startProxy } from '../../proxy/server.js';
import { silentObserver } from '../../proxy/traffic-observer.js';
import type { TrailEvent } from '../../recorder/events.js';
import { testProxyConfig } from './test-proxy.js';

/** The SSO issuer of the tests. */
export const ISSUER = 'https://sso.pgtrail.test';
/** The audience its tokens are for. */
export const AUDIENCE = 'pgtrail';

/** Files and keys, made once per test file. */
export interface IdentityFixture {
  readonly dir: string;
  /** pgtrail's client-facing certificate. */
  readonly proxyTls: TlsFiles;
  /** A certificate for `certUser`, signed by the CA pgtrail trusts for people. */
  readonly person: TlsFiles;
  /** A certificate with the same name from a CA pgtrail does not trust. */
  readonly stranger: TlsFiles;
  readonly jwksUrl: string;
  /** A token signed by the issuer's key; claims and options override the defaults. */
  token(email: string, opts?: { issuer?: string; audience?: string; expiresAt?: number }): Promise<string>;
  cleanup(): Promise<void>;
}

/** The certificate user's name (the CN of `person`). */
export const certUser = 'dave';

/** Makes the TLS files and the issuer, and starts the JWKS server; `cleanup()` undoes it all. */
export async function makeIdentityFixture(): Promise<IdentityFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-identity-'));
  const proxyTls = makeTlsFiles(join(dir, 'proxy'), 'localhost');
  const person = makeTlsFiles(join(dir, 'people'), certUser);
  const stranger = makeTlsFiles(join(dir, 'stranger'), certUser);
  // libpq refuses a private key that group or others may read.
  for (const f of [person.keyFile, stranger.keyFile]) chmodSync(f, 0o600);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256' };
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const key: CryptoKey = privateKey;
  return {
    dir,
    proxyTls,
    person,
    stranger,
    jwksUrl,
    token: (email, opts = {}) =>
      new SignJWT({ email })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer(opts.issuer ?? ISSUER)
        .setAudience(opts.audience ?? AUDIENCE)
        .setSubject(`sub-${email}`)
        .setIssuedAt()
        .setExpirationTime(opts.expiresAt ?? Math.floor(Date.now() / 1000) + 300)
        .sign(key),
    async cleanup() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A proxy with identity configured in front of `pg`, and the events it emitted. */
export interface IdentityProxy {
  readonly host: string;
  readonly port: number;
  readonly events: TrailEvent[];
  close(): Promise<void>;
}

/** The user of identity.users in the shared setup. */
export const passwordUser = { name: 'alice', password: 'alice-pw' } as const;
/** The identity (email claim) of the SSO user. */
export const tokenUser = 'carol@example.test';

/**
 * The identity section most tests use: every method on, one credential (the test role `app`, password
 * from the environment variable APP_PASSWORD), and a policy granting database `app` to the three users.
 */
export function standardIdentity(fx: IdentityFixture, upstreamRole: string): Partial<IdentityConfig> {
  return {
    users: [{ name: passwordUser.name, verifier: formatScramVerifier(makeScramVerifier(passwordUser.password)) }],
    certificate: { from: 'cn' },
    jwt: {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksFile: null,
      jwksUrl: fx.jwksUrl,
      claim: 'email',
      clockSkewMs: 0,
      jwksTimeoutMs: 5_000,
      jwksCacheMs: 60_000,
    },
    upstream: [
      {
        name: 'app_rw',
        role: upstreamRole,
        passwordFile: null,
        passwordEnv: 'APP_PASSWORD',
        certFile: null,
        keyFile: null,
        certEnv: null,
        keyEnv: null,
      },
    ],
    policy: [{ identities: [passwordUser.name, certUser, tokenUser], databases: ['app'], upstream: 'app_rw' }],
    rateLimit: { maxFailures: 1000, windowMs: 60_000 },
  };
}

/** Client TLS on (allow) with pgtrail's certificate and the people CA; upstream over TLS. */
export function identityProxyConfig(pg: PostgresInfo, fx: IdentityFixture, identity: Partial<IdentityConfig>): Config {
  const base = testProxyConfig(pg, {
    tls: { mode: 'allow', certFile: fx.proxyTls.certFile, keyFile: fx.proxyTls.keyFile, caFile: fx.person.caFile },
    upstreamTls: { mode: 'verify-ca', caFile: pg.caFile },
  });
  return { ...base, identity: { ...defaultConfig.identity, ...identity } };
}

/** Starts a proxy whose strategy is chosen as `pgtrail start` chooses it; `env` holds credential variables. */
export async function startIdentityProxy(
  config: Config,
  env: Readonly<Record<string, string>>,
): Promise<IdentityProxy> {
  const events: TrailEvent[] = [];
  const identity = ManagedIdentity.fromConfig(config, { readFile: (p) => readFileSync(p), env });
  const proxy = await startProxy({
    config,
    logger: pino({ level: process.env.PGTRAIL_TEST_LOG ?? 'silent' }),
    sink: { record: (e) => (events.push(e), null) },
    observe: silentObserver,
    selectStrategy: identityStrategySelector(identity),
  });
  return { host: proxy.address.host, port: proxy.address.port, events, close: () => proxy.close() };
}
