/**
 * SASLprep (RFC 4013) of a SCRAM password, exactly as PostgreSQL does it: pg_saslprep() in
 * src/common/saslprep.c together with what its callers do when it refuses a password. The server
 * (building a verifier for CREATE/ALTER ROLE ... PASSWORD, checking a plaintext password) and libpq
 * (answering SCRAM, PQencryptPasswordConn) then hash the password's raw bytes instead of failing, so
 * a password is never rejected here either.
 *
 * The steps, in PostgreSQL's order:
 *   1. Only ASCII bytes: the password is used as it is (no table is consulted, not even C.2.1).
 *   2. Not valid UTF-8: the raw bytes.
 *   3. Map: RFC 3454 C.1.2 (non-ASCII space) -> U+0020, else B.1 -> nothing. Empty result: raw bytes.
 *   4. Prohibit: any code point of the *mapped* string (before normalization, as PostgreSQL checks)
 *      in C.1.2, C.2.1, C.2.2, C.3-C.9 or A.1 (unassigned in Unicode 3.2): raw bytes.
 *   5. Bidi (RFC 3454 section 6), also on the mapped string: if any code point is in D.1 (R/AL), then
 *      none may be in D.2 (L) and the first and last must be in D.1; otherwise raw bytes.
 *   6. The result is NFKC of the mapped string, as UTF-8.
 *
 * Checking before NFKC is PostgreSQL's choice, not the RFC's: "e\u0341" has a prohibited code point
 * (C.8) that NFKC would turn into U+0301, so PostgreSQL hashes the raw bytes where an RFC-faithful
 * library would hash "é". Every code point that passes step 4 was assigned in Unicode 3.2, and NFKC
 * of those is stable across Unicode versions, so the NFKC of Node's ICU agrees with PostgreSQL's.
 */
import * as tables from './saslprep-tables.js';

const SPACE = 0x20;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes PostgreSQL hashes into a SCRAM verifier for `password` (its bytes, no terminator), in a new buffer the caller may zero. */
export function saslPrep(password: Uint8Array): Buffer {
  const raw = Buffer.from(password);
  if (raw.every((b) => b < 0x80)) return raw;
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return raw;
  }
  const mapped: number[] = [];
  for (const char of text) {
    const codePoint = char.codePointAt(0) as number;
    if (tables.NON_ASCII_SPACE.has(codePoint)) mapped.push(SPACE);
    else if (!tables.MAPPED_TO_NOTHING.has(codePoint)) mapped.push(codePoint);
  }
  if (mapped.length === 0 || mapped.some(isProhibited) || !satisfiesBidi(mapped)) return raw;
  const prepared = Buffer.from(
    mapped
      .map((c) => String.fromCodePoint(c))
      .join('')
      .normalize('NFKC'),
    'utf8',
  );
  raw.fill(0);
  return prepared;
}

/** RFC 4013 section 2.3 (prohibited output) and 2.5 (unassigned code points, A.1). */
function isProhibited(codePoint: number): boolean {
  return (
    tables.NON_ASCII_SPACE.has(codePoint) ||
    tables.ASCII_CONTROL.has(codePoint) ||
    tables.NON_ASCII_CONTROL.has(codePoint) ||
    tables.PRIVATE_USE.has(codePoint) ||
    tables.NON_CHARACTER.has(codePoint) ||
    tables.SURROGATE.has(codePoint) ||
    tables.NOT_PLAIN_TEXT.has(codePoint) ||
    tables.NOT_CANONICAL.has(codePoint) ||
    tables.DISPLAY_CHANGING.has(codePoint) ||
    tables.TAGGING.has(codePoint) ||
    tables.UNASSIGNED.has(codePoint)
  );
}

/** RFC 3454 section 6, requirements 2 and 3 (requirement 1 is C.8, checked as prohibited). */
function satisfiesBidi(codePoints: readonly number[]): boolean {
  if (!codePoints.some((c) => tables.RAND_AL_CAT.has(c))) return true;
  if (codePoints.some((c) => tables.L_CAT.has(c))) return false;
  return (
    tables.RAND_AL_CAT.has(codePoints[0] as number) &&
    tables.RAND_AL_CAT.has(codePoints[codePoints.length - 1] as number)
  );
}
