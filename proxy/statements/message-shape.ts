import { FrontendCode } from '../protocol/message-codes.js';

/**
 * Whether a client message body has the layout client-messages.ts decodes, checked without
 * decoding: no string, array or view is made. The forwarding thread checks each message with it
 * when the statement observer runs elsewhere (proxy/offthread/), so that a message the observer
 * would refuse as malformed (malformed-message.ts) is never forwarded there either. Messages the
 * observer does not decode are well formed here.
 */
export function isWellFormed(code: number, body: Buffer): boolean {
  switch (code) {
    case FrontendCode.Query:
      return body.length > 0 && body.indexOf(0) === body.length - 1;
    case FrontendCode.Parse: {
      let at = afterString(body, 0);
      at = afterString(body, at);
      if (at < 0 || at + 2 > body.length) return false;
      return at + 2 + 4 * body.readUInt16BE(at) === body.length;
    }
    case FrontendCode.Bind: {
      let at = afterString(body, 0);
      at = afterString(body, at);
      at = afterInt16Array(body, at);
      at = afterValues(body, at);
      return afterInt16Array(body, at) === body.length;
    }
    case FrontendCode.Describe:
    case FrontendCode.Close: {
      if (body.length < 2 || (body[0] !== 0x53 && body[0] !== 0x50)) return false;
      return afterString(body, 1) === body.length;
    }
    case FrontendCode.Execute: {
      const at = afterString(body, 0);
      return at >= 0 && at + 4 === body.length;
    }
    case FrontendCode.FunctionCall: {
      if (body.length < 4) return false;
      let at = afterInt16Array(body, 4);
      at = afterValues(body, at);
      return at >= 0 && at + 2 === body.length;
    }
    default:
      return true;
  }
}

/** Offset after the NUL-terminated string at `at`, or -1 (also when `at` is -1). */
function afterString(body: Buffer, at: number): number {
  if (at < 0) return -1;
  const nul = body.indexOf(0, at);
  return nul < 0 ? -1 : nul + 1;
}

/** Offset after an Int16 count and that many Int16 values, or -1. */
function afterInt16Array(body: Buffer, at: number): number {
  if (at < 0 || at + 2 > body.length) return -1;
  const end = at + 2 + 2 * body.readUInt16BE(at);
  return end > body.length ? -1 : end;
}

/** Offset after an Int16 count and that many values (Int32 length, -1 for NULL, then the bytes), or -1. */
function afterValues(body: Buffer, at: number): number {
  if (at < 0 || at + 2 > body.length) return -1;
  const count = body.readUInt16BE(at);
  at += 2;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) return -1;
    const length = body.readInt32BE(at);
    at += 4;
    if (length === -1) continue;
    if (length < 0 || at + length > body.length) return -1;
    at += length;
  }
  return at;
}
