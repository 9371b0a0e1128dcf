/**
 * Decodes the packets a client may send before protocol messages begin: SSLRequest, GSSENCRequest,
 * CancelRequest and StartupMessage (PostgreSQL docs, "Message Formats" and "Start-up"). Each is
 * Int32(length, counting itself) Int32(code) and a code-specific rest. All-or-nothing: a packet is
 * decoded whole or refused with 08P01.
 */
import { BackendError, protocolViolation } from '../backend-error.js';
import { StartupCode } from './message-codes.js';

/** A StartupMessage: protocol version, the parameters, and the `_pq_.` protocol options asked for. */
export interface StartupMessage {
  readonly kind: 'StartupMessage';
  readonly major: number;
  readonly minor: number;
  /** Every name/value pair except `_pq_.*` options, in the order sent. */
  readonly params: ReadonlyMap<string, string>;
  readonly protocolOptions: readonly string[];
}

/** A CancelRequest: the process id and secret key from the BackendKeyData pgtrail gave the client. */
export interface CancelRequest {
  readonly kind: 'CancelRequest';
  readonly pid: number;
  /** The secret key bytes (4 in protocol 3.0; protocol 3.2 allows up to 256). */
  readonly secret: Buffer;
}

/** Any packet a client may send first. */
export type StartupPacket =
  | { readonly kind: 'SSLRequest' }
  | { readonly kind: 'GSSENCRequest' }
  | CancelRequest
  | StartupMessage;

const PROTOCOL_OPTION_PREFIX = '_pq_.';
const MAX_CANCEL_KEY_BYTES = 256;

/** Decodes one whole packet (the length word included); throws BackendError when it is malformed. */
export function decodeStartupPacket(packet: Buffer): StartupPacket {
  if (packet.length < 8) throw protocolViolation('invalid length of startup packet');
  const code = packet.readInt32BE(4);
  if (code === StartupCode.SSLRequest || code === StartupCode.GSSENCRequest) {
    if (packet.length !== 8) throw protocolViolation('invalid length of startup packet');
    return { kind: code === StartupCode.SSLRequest ? 'SSLRequest' : 'GSSENCRequest' };
  }
  if (code === StartupCode.CancelRequest) {
    if (packet.length < 16 || packet.length > 12 + MAX_CANCEL_KEY_BYTES)
      throw protocolViolation('invalid length of cancel request packet');
    return { kind: 'CancelRequest', pid: packet.readInt32BE(8), secret: packet.subarray(12) };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) {
    throw new BackendError(
      'UNSUPPORTED_PROTOCOL',
      '0A000',
      `unsupported frontend protocol ${major}.${minor}: pgtrail supports 3.0`,
    );
  }
  return decodeParameters(packet, major, minor);
}

function decodeParameters(packet: Buffer, major: number, minor: number): StartupMessage {
  const params = new Map<string, string>();
  const protocolOptions: string[] = [];
  let pos = 8;
  for (;;) {
    if (pos >= packet.length) throw protocolViolation('startup packet is not terminated by a zero byte');
    if (packet[pos] === 0) {
      if (pos !== packet.length - 1) throw protocolViolation('startup packet has bytes after its terminator');
      break;
    }
    const nameEnd = packet.indexOf(0, pos);
    const valueEnd = nameEnd < 0 ? -1 : packet.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) throw protocolViolation('startup packet has a parameter without a value');
    const name = packet.toString('utf8', pos, nameEnd);
    const value = packet.toString('utf8', nameEnd + 1, valueEnd);
    if (name.startsWith(PROTOCOL_OPTION_PREFIX)) protocolOptions.push(name);
    else params.set(name, value);
    pos = valueEnd + 1;
  }
  const user = params.get('user');
  if (user === undefined || user === '') {
    throw new BackendError('AUTH_FAILED', '28000', 'no user name specified in startup packet');
  }
  return { kind: 'StartupMessage', major, minor, params, protocolOptions };
}
