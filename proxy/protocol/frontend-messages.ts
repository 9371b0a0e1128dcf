/**
 * Encoders for the messages pgtrail sends to the upstream server as a client would
 * (PostgreSQL docs, "Message Formats"): the packets of startup and authentication, CancelRequest,
 * Terminate. Forwarded client traffic is never re-encoded.
 */
import { FrontendCode, StartupCode } from './message-codes.js';

function packet(code: number, extra: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + extra.length);
  out.writeInt32BE(8 + extra.length, 0);
  out.writeInt32BE(code, 4);
  extra.copy(out, 8);
  return out;
}

/** SSLRequest: Int32(8) Int32(80877103). */
export function sslRequest(): Buffer {
  return packet(StartupCode.SSLRequest, Buffer.alloc(0));
}

/** CancelRequest for protocol 3.0: Int32(16) Int32(80877102) Int32(pid) Int32(secret key). */
export function cancelRequest(pid: number, secret: number): Buffer {
  const extra = Buffer.allocUnsafe(8);
  extra.writeInt32BE(pid, 0);
  extra.writeInt32BE(secret, 4);
  return packet(StartupCode.CancelRequest, extra);
}

/** StartupMessage v3.0: Int32 len, Int32(196608), then name/value C string pairs, then a zero byte. */
export function startupMessage(params: ReadonlyMap<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of params) parts.push(Buffer.from(`${name}\0${value}\0`, 'utf8'));
  parts.push(Buffer.from([0]));
  return packet(StartupCode.ProtocolV3, Buffer.concat(parts));
}

function frontendMessage(code: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = code;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

/** PasswordMessage: 'p' Int32 len, the password (or md5 hash) as a C string. */
export function passwordMessage(password: Buffer): Buffer {
  return frontendMessage(FrontendCode.PasswordMessage, Buffer.concat([password, Buffer.from([0])]));
}

/** SASLInitialResponse: 'p' Int32 len, mechanism C string, Int32 length of data (-1 for none), data. */
export function saslInitialResponse(mechanism: string, data: Buffer): Buffer {
  const len = Buffer.allocUnsafe(4);
  len.writeInt32BE(data.length, 0);
  return frontendMessage(
    FrontendCode.PasswordMessage,
    Buffer.concat([Buffer.from(`${mechanism}\0`, 'utf8'), len, data]),
  );
}

/** SASLResponse: 'p' Int32 len, data. */
export function saslResponse(data: Buffer): Buffer {
  return frontendMessage(FrontendCode.PasswordMessage, data);
}

/** Terminate: 'X' Int32(4). */
export function terminate(): Buffer {
  return frontendMessage(FrontendCode.Terminate, Buffer.alloc(0));
}

/** Query (simple protocol): 'Q' Int32 len, the SQL text as a C string. */
export function query(sql: string): Buffer {
  return frontendMessage(FrontendCode.Query, Buffer.from(`${sql}\0`, 'utf8'));
}
