/**
 * Encoders for the messages pgtrail itself sends to clients, as a backend would
 * (PostgreSQL docs, "Message Formats"). Forwarded traffic is never re-encoded; these are only for
 * what pgtrail says in its own name: authentication requests, its BackendKeyData, errors.
 */
import type { BackendError } from '../backend-error.js';
import { AuthRequest, BackendCode } from './message-codes.js';

/** A message with the given type byte and body: Byte1(code) Int32(4 + body length) body. */
export function backendMessage(code: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = code;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

function int32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(value, 0);
  return b;
}

/** AuthenticationOk: 'R' Int32(8) Int32(0). */
export function authenticationOk(): Buffer {
  return backendMessage(BackendCode.Authentication, int32(AuthRequest.Ok));
}

/** AuthenticationCleartextPassword: 'R' Int32(8) Int32(3). */
export function authenticationCleartextPassword(): Buffer {
  return backendMessage(BackendCode.Authentication, int32(AuthRequest.CleartextPassword));
}

/** AuthenticationSASL: 'R' Int32(10) then each mechanism name as a C string, then an empty string. */
export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  const names = mechanisms.map((m) => Buffer.from(`${m}\0`, 'utf8'));
  return backendMessage(
    BackendCode.Authentication,
    Buffer.concat([int32(AuthRequest.SASL), ...names, Buffer.from([0])]),
  );
}

/** AuthenticationSASLContinue: 'R' Int32 len Int32(11), then the SASL server message (server-first-message). */
export function authenticationSaslContinue(data: Buffer): Buffer {
  return backendMessage(BackendCode.Authentication, Buffer.concat([int32(AuthRequest.SASLContinue), data]));
}

/** AuthenticationSASLFinal: 'R' Int32 len Int32(12), then the SASL outcome (server-final-message). */
export function authenticationSaslFinal(data: Buffer): Buffer {
  return backendMessage(BackendCode.Authentication, Buffer.concat([int32(AuthRequest.SASLFinal), data]));
}

/** BackendKeyData for protocol 3.0: 'K' Int32(12) Int32(pid) Int32(secret key). */
export function backendKeyData(pid: number, secret: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeInt32BE(pid, 0);
  body.writeInt32BE(secret, 4);
  return backendMessage(BackendCode.BackendKeyData, body);
}

/**
 * NegotiateProtocolVersion: 'v' Int32 len, Int32(newest minor version supported), Int32(number of
 * protocol options not recognised), then their names as C strings.
 */
export function negotiateProtocolVersion(minor: number, unsupportedOptions: readonly string[]): Buffer {
  const names = unsupportedOptions.map((o) => Buffer.from(`${o}\0`, 'utf8'));
  return backendMessage(
    BackendCode.NegotiateProtocolVersion,
    Buffer.concat([int32(minor), int32(names.length), ...names]),
  );
}

/**
 * ErrorResponse: 'E' Int32 len, then fields (Byte1 type, C string value), then a zero byte.
 * Fields: S and V severity, C SQLSTATE, M message. A relayed server error is sent with its own body.
 */
export function errorResponse(error: BackendError): Buffer {
  if (error.serverBody !== null) return backendMessage(BackendCode.ErrorResponse, error.serverBody);
  const text = `S${error.severity}\0V${error.severity}\0C${error.sqlstate}\0M${error.message}\0\0`;
  return backendMessage(BackendCode.ErrorResponse, Buffer.from(text, 'utf8'));
}

/** ReadyForQuery: 'Z' Int32(5), Byte1 transaction status ('I' idle, 'T' in a block, 'E' in a failed block). */
export function readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
  return backendMessage(BackendCode.ReadyForQuery, Buffer.from(status, 'latin1'));
}
