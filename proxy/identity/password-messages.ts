/**
 * Decoders for the 'p' messages a client sends while pgtrail itself authenticates it (PostgreSQL
 * docs, "Message Formats"): SASLInitialResponse and SASLResponse during SCRAM, PasswordMessage when a
 * password (here: an SSO token) was asked for in clear. Each returns null unless the body is exactly
 * that message. The requests pgtrail sends are in proxy/protocol/backend-messages.ts.
 */

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
