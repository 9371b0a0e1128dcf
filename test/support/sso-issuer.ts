/**
 * An SSO issuer for the viewer's tests: an ES256 key pair made with jose, its JWKS served over HTTP
 * on 127.0.0.1 (as an identity provider serves it), and tokens signed with it, or deliberately wrong:
 * expired, for another audience or issuer, signed by a key the JWKS does not hold, or unsigned
 * (`alg: none`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import type { IdentityJwtConfig } from '../../config/config.js';

/** The issuer the viewer is configured to trust. */
export const ssoIssuer = 'https://sso.viewer.test';
/** The audience its tokens are for. */
export const ssoAudience = 'pgtrail-viewer';

/** What a token should be; every field defaults to a valid token for `email`. */
export interface TokenSpec {
  readonly issuer?: string;
  readonly audience?: string;
  /** `exp` in seconds since the epoch; null leaves it out. */
  readonly exp?: number | null;
  /** Sign with a key the JWKS does not hold (under the issuer's key ID). */
  readonly foreignKey?: boolean;
}

/** A running issuer. */
export interface SsoIssuer {
  /** identity.jwt settings that trust it (jwksUrl, email claim, no clock skew). */
  readonly config: IdentityJwtConfig;
  /** A signed token for `email`. */
  token(email: string, spec?: TokenSpec): Promise<string>;
  /** An unsecured JWT (`alg: none`) with otherwise valid claims. */
  unsigned(email: string): string;
  close(): Promise<void>;
}

/** Makes the keys and starts serving the JWKS. */
export async function startSsoIssuer(): Promise<SsoIssuer> {
  const kid = 'viewer-test-key';
  const own = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(own.publicKey)), kid, alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;
  return {
    config: {
      issuer: ssoIssuer,
      audience: ssoAudience,
      jwksFile: null,
      jwksUrl,
      claim: 'email',
      clockSkewMs: 0,
      jwksTimeoutMs: 5_000,
      jwksCacheMs: 60_000,
    },
    token(email, spec = {}) {
      const jwt = new SignJWT({ email })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(spec.issuer ?? ssoIssuer)
        .setAudience(spec.audience ?? ssoAudience)
        .setSubject(`sub-${email}`)
        .setIssuedAt();
      const exp = spec.exp === undefined ? inFiveMinutes() : spec.exp;
      if (exp !== null) jwt.setExpirationTime(exp);
      const key: CryptoKey = spec.foreignKey ? foreign.privateKey : own.privateKey;
      return jwt.sign(key);
    },
    unsigned(email) {
      return new UnsecuredJWT({ email })
        .setIssuer(ssoIssuer)
        .setAudience(ssoAudience)
        .setExpirationTime(inFiveMinutes())
        .encode();
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
