/**
 * Turns one event as a proxy sent it (UTF-8 JSON bytes of a TrailEvent) into the line the recorder
 * service appends: the proxy's JSON, checked, with a `relay` member added that says which instance
 * sent it under which sequence number. The journal itself then proves exactly-once delivery: per
 * instance, the relay sequence numbers are 1, 2, 3, ... each once (docs/recorder-service.md).
 *
 * The proxy's bytes are kept as sent (no re-serialisation: that is the service's hot path), so they
 * are checked strictly first: valid UTF-8, one JSON object, no raw line break (a record is one
 * line), a known event type, a timestamp and a session, no `relay` or session chain members
 * (`sprev`, `sn`) of its own and, when the event
 * names an instance, the connection's own.
 */
import { isUtf8 } from 'node:buffer';
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
]);

const maxSessionChars = 128;

/** The JSON line to append for `bytes`, relayed from `instance` as sequence `seq`; throws RECORDER_EVENT_MALFORMED. */
export function relayedEventLine(bytes: Buffer, instance: string, seq: number): string {
  if (bytes[0] !== 0x7b || bytes[bytes.length - 1] !== 0x7d) throw malformed('an event is not a JSON object');
  if (bytes.indexOf(0x0a) >= 0 || bytes.indexOf(0x0d) >= 0) throw malformed('an event contains a line break');
  if (!isUtf8(bytes)) throw malformed('an event is not valid UTF-8');
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('an event is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed('an event is not a JSON object');
  }
  const event = parsed as Readonly<Record<string, unknown>>;
  if (typeof event.type !== 'string' || !eventTypes.has(event.type)) throw malformed('an event has an unknown type');
  if (typeof event.ts !== 'number' || !Number.isFinite(event.ts)) throw malformed('an event has no timestamp');
  if (typeof event.session !== 'string' || event.session.length > maxSessionChars) {
    throw malformed('an event has no session');
  }
  if ('relay' in event) throw malformed('an event carries its own relay member');
  // The session chain members are the writer's to add (docs/journal-format.md §13).
  if ('sprev' in event || 'sn' in event) throw malformed('an event carries session chain members');
  if ('instance' in event && event.instance !== instance) {
    throw malformed('an event names another instance than its connection');
  }
  return `${text.slice(0, -1)},"relay":{"instance":${JSON.stringify(instance)},"seq":${seq}}}`;
}

function malformed(message: string): RecorderServiceError {
  return new RecorderServiceError(RecorderServiceErrorCode.eventMalformed, message);
}
