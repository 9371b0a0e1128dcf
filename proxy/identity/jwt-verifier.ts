/**
 * Checks SSO tokens (JWT, RFC 7519) presented as the password, with `jose`: the signature against the
 * issuer's keys (a JWKS file read at start, or a JWKS URL fetched with a timeout and cached), the
 * issuer, the audience, expiry and not-before with the configured clock skew, and a required `exp`
 * (a token that never expires is refused). The identity is the value of the configured claim.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { IdentityJwtConfig } from '../../config/config.js';
import { IdentityError } from './identity-error.js';

/** Who a valid token says the bearer is. */
export interface TokenIdentity {
  /** The configured claim's value: the identity. */
  readonly user: string;
  readonly issuer: string;
  /** The token's `sub`, recorded beside the identity ('' when absent). */
  readonly subject: string;
  /** When the token expires (its `exp`, required), in milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** The verdict on one token; `reason` names what failed and never contains the token. */
export type TokenCheck =
  | { readonly ok: true; readonly identity: TokenIdentity }
  | { readonly ok: false; readonly reason: string };

/** Longest token accepted, in characters; real ones are a few kilobytes at most. */
export const MAX_TOKEN_CHARS = 16 * 1024;
/** Largest JWKS file accepted, in bytes. */
const MAX_JWKS_FILE_BYTES = 1024 * 1024;
/** After a failed or unmatched fetch, the JWKS URL is not fetched again for this long. */
const JWKS_COOLDOWN_MS = 30_000;

/** A configured token checker. */
export interface JwtVerifier {
  readonly issuer: string;
  verify(token: string): Promise<TokenCheck>;
}

/**
 * Builds the verifier of an issuer; `readJwksFile` reads the jwksFile (bin/ passes fs.readFileSync).
 * Throws IdentityError for an incomplete configuration or an unreadable JWKS file.
 */
export function createJwtVerifier(config: IdentityJwtConfig, readJwksFile: (path: string) => Buffer): JwtVerifier {
  const { issuer, audience } = config;
  if (issuer === null) throw new IdentityError('IDENTITY_CONFIG_INVALID', 'identity.jwt.issuer is not set');
  if (audience === null)
    throw new IdentityError('IDENTITY_CONFIG_INVALID', 'identity.jwt.audience must be set with identity.jwt.issuer');
  if ((config.jwksFile === null) === (config.jwksUrl === null)) {
    throw new IdentityError(
      'IDENTITY_CONFIG_INVALID',
      'exactly one of identity.jwt.jwksFile and identity.jwt.jwksUrl must be set',
    );
  }
  const keys: JWTVerifyGetKey =
    config.jwksUrl !== null
      ? createRemoteJWKSet(new URL(config.jwksUrl), {
          timeoutDuration: config.jwksTimeoutMs,
          cacheMaxAge: config.jwksCacheMs,
          cooldownDuration: Math.min(JWKS_COOLDOWN_MS, config.jwksCacheMs),
        })
      : createLocalJWKSet(readJwks(config.jwksFile as string, readJwksFile));
  const options = { issuer, audience, clockTolerance: config.clockSkewMs / 1000, requiredClaims: ['exp'] };
  return {
    issuer,
    async verify(token: string): Promise<TokenCheck> {
      if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed token' };
      try {
        const { payload } = await jwtVerify(token, keys, options);
        const value = payload[config.claim];
        if (typeof value !== 'string' || value.length === 0)
          return { ok: false, reason: `token has no ${config.claim} claim` };
        return {
          ok: true,
          identity: {
            user: value,
            issuer,
            subject: typeof payload.sub === 'string' ? payload.sub : '',
            // jwtVerify with requiredClaims ['exp'] has checked it is a number.
            expiresAt: (payload.exp as number) * 1000,
          },
        };
      } catch (err) {
        return { ok: false, reason: reasonOf(err) };
      }
    },
  };
}

function readJwks(path: string, read: (path: string) => Buffer): JSONWebKeySet {
  let parsed: unknown;
  try {
    const bytes = read(path);
    if (bytes.length > MAX_JWKS_FILE_BYTES) throw new Error('too large');
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new IdentityError(
      'IDENTITY_JWKS_UNREADABLE',
      `cannot read identity.jwt.jwksFile ${path}: ${(err as { code?: string }).code ?? 'not json'}`,
      { cause: err },
    );
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys))
    throw new IdentityError('IDENTITY_JWKS_UNREADABLE', `identity.jwt.jwksFile ${path} is not a JWK set`);
  return parsed as JSONWebKeySet;
}

/** A reason for the record, from jose's typed errors. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'token from another issuer';
    if (err.claim === 'aud') return 'token for another audience';
    if (err.claim === 'nbf') return 'token not yet valid';
    if (err.claim === 'exp') return 'token without expiry';
    return `token claim ${err.claim} is invalid`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return 'token signed by an unknown key';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (err instanceof errors.JWKSTimeout) return 'issuer keys unavailable: timeout';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return 'token algorithm not accepted';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token';
  if (err instanceof errors.JWKSInvalid) return 'issuer keys unavailable: invalid key set';
  return 'issuer keys unavailable';
}
