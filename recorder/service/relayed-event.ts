/**
 * Turns one event as a proxy sent it (UTF-8 JSON bytes of a TrailEvent) into the line the recorder
 * service appends: the proxy's JSON, checked, with a `relay` member added that says which instance
 * sent it under which sequence number. The journal itself then proves exactly-once delivery: per
 * instance, the relay sequence numbers are 1, 2, 3, ... each once (docs/recorder-service.md).
 *
 * The proxy's bytes are kept as sent (no re-serialisation, no decoding to a string: that is the
 * service's hot path; the line goes to the writer as bytes), so they are checked strictly first: valid UTF-8, one JSON object on one line (event-json-scan.ts, which
 * checks the grammar without building the object), a known event type, a timestamp and a session,
 * no `relay` or session chain members (`sprev`, `sn`) of its own and, when the event names an
 * instance, the connection's own.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { writeDigits } from '../format/decimal-digits.js';
import { scanEventJson, type ScannedString } from './event-json-scan.js';
import { RecorderServiceError, RecorderServiceErrorCode } from './recorder-service-error.js';

/** The event types a proxy may send: those of recorder/events.ts. */
const eventTypes: ReadonlySet<string> = new Set([
  'session.opened',
  'session.auth_failed',
  'session.closed',
  'statement.started',
  'statement.finished',
  'statement.cancel_requested',
  'session.role_changed',
  'session.notified',
  // A statement as one event (a proxy recording in batched durability; docs/journal-format.md §14).
  'statement',
]);

/** The `type` member of a statement sent as one event, as its bytes appear in the JSON. */
const statementType = 'statement';

const maxSessionChars = 128;

/** The relay member's text up to its sequence number, for one instance: `,"relay":{"instance":"<name>","seq":`. */
export function relayPrefixOf(instance: string): Buffer {
  return Buffer.from(`,"relay":{"instance":${JSON.stringify(instance)},"seq":`, 'utf8');
}

/** The most bytes writeRelayedEvent adds to an event: the prefix, 16 digits of sequence, `}}`. */
export function relayedEventExtraBytes(relayPrefix: Uint8Array): number {
  return relayPrefix.length + 16 + 2;
}

/**
 * Checks `bytes` as an event relayed from `instance` (see the file comment); throws
 * RECORDER_EVENT_MALFORMED. Returns true when the event is a `statement` (a statement as one event).
 */
export function checkRelayedEvent(bytes: Buffer, instance: string): boolean {
  if (bytes[0] !== 0x7b || bytes[bytes.length - 1] !== 0x7d) throw malformed('an event is not a JSON object');
  const event = scanEventJson(bytes);
  if (event === null) {
    throw bytes.indexOf(0x0a) >= 0 || bytes.indexOf(0x0d) >= 0
      ? malformed('an event contains a line break')
      : malformed('an event is not valid JSON');
  }
  if (!isAscii(bytes) && !isUtf8(bytes)) throw malformed('an event is not valid UTF-8');
  const type = event.type;
  const typeName = type === null || type.escaped ? null : bytes.toString('latin1', type.start, type.end);
  if (typeName === null || !eventTypes.has(typeName)) throw malformed('an event has an unknown type');
  if (event.ts === null || !isFiniteNumber(bytes, event.ts.start, event.ts.end)) {
    throw malformed('an event has no timestamp');
  }
  if (event.session === null || stringLength(bytes, event.session) > maxSessionChars) {
    throw malformed('an event has no session');
  }
  if (event.hasRelay) throw malformed('an event carries its own relay member');
  // The session chain members are the writer's to add (docs/journal-format.md §13).
  if (event.hasChainMember) throw malformed('an event carries session chain members');
  if (event.hasInstance && (event.instance === null || stringValue(bytes, event.instance) !== instance)) {
    throw malformed('an event names another instance than its connection');
  }
  return typeName === statementType;
}

/**
 * Writes the line to append for a checked event into `out` from offset 0: the event's bytes as
 * sent without their closing `}`, then `relayPrefix`, `seq` in decimal and `}}`; returns its
 * length. `out` must hold bytes.length + relayedEventExtraBytes(relayPrefix) bytes.
 */
export function writeRelayedEvent(bytes: Uint8Array, relayPrefix: Uint8Array, seq: number, out: Uint8Array): number {
  const body = bytes.length - 1;
  out.set(bytes, 0);
  out.set(relayPrefix, body);
  let at = body + relayPrefix.length;
  at = writeDigits(seq, out, at);
  out[at++] = 0x7d;
  out[at++] = 0x7d;
  return at;
}

/** A JSON number's text is finite unless its exponent (or its 309+ digits) overflow a double. */
function isFiniteNumber(bytes: Buffer, start: number, end: number): boolean {
  let exponent = false;
  for (let i = start; i < end; i++) if ((bytes[i]! | 0x20) === 0x65) exponent = true;
  if (!exponent && end - start < 300) return true;
  return Number.isFinite(Number(bytes.toString('latin1', start, end)));
}

/** A JSON string's length in UTF-16 code units, as JSON.parse would give it (escapes decoded). */
function stringLength(bytes: Buffer, text: ScannedString): number {
  // Each code unit takes at least one byte: a short string needs no decoding.
  if (text.end - text.start <= maxSessionChars) return text.end - text.start;
  return stringValue(bytes, text).length;
}

/** A JSON string's value (the rare path: only for instance names and long sessions). */
function stringValue(bytes: Buffer, text: ScannedString): string {
  if (!text.escaped) return bytes.toString('utf8', text.start, text.end);
  return JSON.parse(bytes.toString('utf8', text.start - 1, text.end + 1)) as string;
}

function malformed(message: string): RecorderServiceError {
  return new RecorderServiceError(RecorderServiceErrorCode.eventMalformed, message);
}
