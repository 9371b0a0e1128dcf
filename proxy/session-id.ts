import { randomBytes } from 'node:crypto';

/** Crockford's base32 alphabet, as ULID uses it: ids sort in time order as plain strings. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A new session id: 10 characters of milliseconds since the epoch then 16 random characters
 * (48 + 80 bits, the ULID layout), so ids are unique and sort by the time the session began.
 */
export function newSessionId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rest = '';
  for (const byte of random) rest += ALPHABET[byte % 32];
  return time + rest;
}
