/**
 * SCRAM-SHA-256 verifiers (RFC 5802 section 3, RFC 7677), in the text form PostgreSQL stores in
 * pg_authid.rolpassword and `pgtrail passwd` prints:
 *
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 * SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations, 32 bytes)
 * ClientKey      = HMAC-SHA-256(SaltedPassword, "Client Key")
 * StoredKey      = SHA-256(ClientKey)
 * ServerKey      = HMAC-SHA-256(SaltedPassword, "Server Key")
 *
 * A verifier lets pgtrail check a password without ever holding it. The password goes through
 * SASLprep as PostgreSQL does it (proxy/auth/saslprep.ts), so the verifier equals the one PostgreSQL
 * stores for the same password, salt and iterations, and a client that logs in to PostgreSQL with
 * it (libpq, psql) logs in to pgtrail with it too.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { saslPrep } from '../auth/saslprep.js';
import { IdentityError } from './identity-error.js';

/** A parsed SCRAM-SHA-256 verifier. */
export interface ScramVerifier {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** PostgreSQL's default (scram_iterations); higher costs every login more CPU. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MAX_ITERATIONS = 10_000_000;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const FORM = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/;

/** Derives the verifier of `password` (a string is taken as its UTF-8 bytes) with a fresh random salt unless one is given. */
export function makeScramVerifier(
  password: string | Uint8Array,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): ScramVerifier {
  const prepared = saslPrep(typeof password === 'string' ? Buffer.from(password, 'utf8') : password);
  const salted = pbkdf2Sync(prepared, salt, iterations, KEY_BYTES, 'sha256');
  prepared.fill(0);
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    iterations,
    salt,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** The verifier in PostgreSQL's text form. */
export function formatScramVerifier(v: ScramVerifier): string {
  return `SCRAM-SHA-256$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
}

/** Parses the text form strictly; every deviation is IDENTITY_VERIFIER_INVALID naming the user. */
export function parseScramVerifier(text: string, user: string): ScramVerifier {
  const m = FORM.exec(text);
  const invalid = (why: string) =>
    new IdentityError('IDENTITY_VERIFIER_INVALID', `verifier of user ${JSON.stringify(user)} is not valid: ${why}`);
  if (!m) throw invalid('expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>');
  const [, iter, salt, stored, server] = m as unknown as [string, string, string, string, string];
  const iterations = Number(iter);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
    throw invalid('iteration count out of range');
  for (const part of [salt, stored, server]) if (!BASE64.test(part)) throw invalid('not base64');
  const v = {
    iterations,
    salt: Buffer.from(salt, 'base64'),
    storedKey: Buffer.from(stored, 'base64'),
    serverKey: Buffer.from(server, 'base64'),
  };
  if (v.salt.length === 0) throw invalid('empty salt');
  if (v.storedKey.length !== KEY_BYTES || v.serverKey.length !== KEY_BYTES) throw invalid('keys must be 32 bytes');
  return v;
}
