/**
 * The messages of client authentication that proxy-managed identity exchanges with a client
 * (PostgreSQL docs, "Message Formats" and "SASL Authentication"): the Authentication* requests
 * pgtrail sends, and the 'p' messages (PasswordMessage, SASLInitialResponse, SASLResponse) it reads.
 */

const AUTHENTICATION = 0x52; // 'R'
/** Type byte of PasswordMessage, SASLInitialResponse and SASLResponse. */
export const PASSWORD_MESSAGE = 0x70; // 'p'

/** The int32 after 'R' for each request used here. */
const Request = { Ok: 0, CleartextPassword: 3, SASL: 10, SASLContinue: 11, SASLFinal: 12 } as const;

function authentication(request: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(9 + data.length);
  out[0] = AUTHENTICATION;
  out.writeInt32BE(8 + data.length, 1);
  out.writeInt32BE(request, 5);
  data.copy(out, 9);
  return out;
}

/** AuthenticationOk: 'R' Int32(8) Int32(0). */
export function authenticationOk(): Buffer {
  return authentication(Request.Ok, Buffer.alloc(0));
}

/** AuthenticationCleartextPassword: 'R' Int32(8) Int32(3). */
export function authenticationCleartextPassword(): Buffer {
  return authentication(Request.CleartextPassword, Buffer.alloc(0));
}

/** AuthenticationSASL: 'R' Int32 len Int32(10), mechanism names as C strings, then an empty string. */
export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  return authentication(Request.SASL, Buffer.from(`${mechanisms.map((m) => `${m}\0`).join('')}\0`, 'utf8'));
}

/** AuthenticationSASLContinue: 'R' Int32 len Int32(11), server-first-message. */
export function authenticationSaslContinue(data: Buffer): Buffer {
  return authentication(Request.SASLContinue, data);
}

/** AuthenticationSASLFinal: 'R' Int32 len Int32(12), server-final-message. */
export function authenticationSaslFinal(data: Buffer): Buffer {
  return authentication(Request.SASLFinal, data);
}

/** SASLInitialResponse body: mechanism C string, Int32 length of data (-1: none), data. Null if malformed. */
export function parseSaslInitialResponse(body: Buffer): { mechanism: string; data: Buffer } | null {
  const nul = body.indexOf(0);
  if (nul < 0 || nul + 5 > body.length) return null;
  const length = body.readInt32BE(nul + 1);
  const data = body.subarray(nul + 5);
  if (length === -1 ? data.length !== 0 : length !== data.length) return null;
  return { mechanism: body.toString('utf8', 0, nul), data };
}

/** PasswordMessage body: the password as a C string. Null if it is not one NUL-terminated string. */
export function parsePasswordMessage(body: Buffer): string | null {
  const nul = body.indexOf(0);
  return nul === body.length - 1 ? body.toString('utf8', 0, nul) : null;
}
