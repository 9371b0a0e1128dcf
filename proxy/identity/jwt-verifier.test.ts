import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/defaults.js';
import type { IdentityJwtConfig } from '../../config/config.js';
import { createJwtVerifier } from './jwt-verifier.js';

const ISSUER = 'https://sso.example.test';
const AUDIENCE = 'pgtrail';
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let jwk: JWK;
let server: Server;
let fetches = 0;
let jwksUrl = '';

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  server = createServer((req, res) => {
    fetches++;
    if (req.url === '/slow') return; // never answers: the fetch must time out
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function config(over: Partial<IdentityJwtConfig>): IdentityJwtConfig {
  return { ...defaultConfig.identity.jwt, issuer: ISSUER, audience: AUDIENCE, jwksUrl, claim: 'email', ...over };
}

function token(
  claims: Record<string, unknown>,
  opts: { key?: CryptoKey; issuer?: string; audience?: string; expiresIn?: string | number } = {},
) {
  return new SignJWT({ email: 'alice@example.test', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setSubject('user-123')
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '5m')
    .sign(opts.key ?? signingKey);
}

const noFile = (): Buffer => {
  throw new Error('no file expected');
};

describe('createJwtVerifier', () => {
  it('accepts a valid token from the JWKS URL and takes the identity from the configured claim', async () => {
    const v = createJwtVerifier(config({}), noFile);
    const exp = Math.floor(Date.now() / 1000) + 300;
    expect(await v.verify(await token({}, { expiresIn: exp }))).toEqual({
      ok: true,
      identity: { user: 'alice@example.test', issuer: ISSUER, subject: 'user-123', expiresAt: exp * 1000 },
    });
  });

  it('fetches the JWKS once and serves later checks from the cache', async () => {
    const v = createJwtVerifier(config({}), noFile);
    const before = fetches;
    for (let i = 0; i < 3; i++) expect((await v.verify(await token({}))).ok).toBe(true);
    expect(fetches - before).toBe(1);
  });

  it('refuses expired tokens, other issuers, other audiences, unknown keys and garbage, saying which', async () => {
    const v = createJwtVerifier(config({ clockSkewMs: 0 }), noFile);
    const past = Math.floor(Date.now() / 1000) - 120;
    expect(await v.verify(await token({}, { expiresIn: past }))).toEqual({ ok: false, reason: 'token expired' });
    expect(await v.verify(await token({}, { issuer: 'https://evil.test' }))).toEqual({
      ok: false,
      reason: 'token from another issuer',
    });
    expect(await v.verify(await token({}, { audience: 'someone-else' }))).toEqual({
      ok: false,
      reason: 'token for another audience',
    });
    expect(await v.verify(await token({}, { key: strangerKey }))).toEqual({
      ok: false,
      reason: 'token signature invalid',
    });
    expect(await v.verify('not-a-token')).toEqual({ ok: false, reason: 'malformed token' });
    expect(await v.verify(await token({ email: 42 }))).toEqual({ ok: false, reason: 'token has no email claim' });
  });

  it('allows the configured clock skew past expiry, and no more', async () => {
    const past = Math.floor(Date.now() / 1000) - 20;
    expect(
      (await createJwtVerifier(config({ clockSkewMs: 60_000 }), noFile).verify(await token({}, { expiresIn: past })))
        .ok,
    ).toBe(true);
    expect(
      (await createJwtVerifier(config({ clockSkewMs: 5_000 }), noFile).verify(await token({}, { expiresIn: past }))).ok,
    ).toBe(false);
  });

  it('refuses a token that never expires', async () => {
    const forever = await new SignJWT({ email: 'alice@example.test' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(signingKey);
    expect(await createJwtVerifier(config({}), noFile).verify(forever)).toEqual({
      ok: false,
      reason: 'token without expiry',
    });
  });

  it('gives up on a JWKS URL that does not answer within the timeout', async () => {
    const v = createJwtVerifier(
      config({ jwksUrl: jwksUrl.replace('/jwks.json', '/slow'), jwksTimeoutMs: 200 }),
      noFile,
    );
    expect(await v.verify(await token({}))).toEqual({ ok: false, reason: 'issuer keys unavailable: timeout' });
  });

  it('reads keys from a JWKS file', async () => {
    const v = createJwtVerifier(config({ jwksUrl: null, jwksFile: '/etc/jwks.json' }), () =>
      Buffer.from(JSON.stringify({ keys: [jwk] })),
    );
    expect((await v.verify(await token({}))).ok).toBe(true);
  });

  it('refuses an incomplete configuration and an unreadable JWKS file at start', () => {
    expect(() => createJwtVerifier(config({ audience: null }), noFile)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_CONFIG_INVALID' }),
    );
    expect(() => createJwtVerifier(config({ jwksFile: '/x' }), noFile)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_CONFIG_INVALID' }),
    );
    expect(() =>
      createJwtVerifier(config({ jwksUrl: null, jwksFile: '/nonexistent' }), (p) => readFileSync(p)),
    ).toThrow(expect.objectContaining({ code: 'IDENTITY_JWKS_UNREADABLE' }));
  });
});
