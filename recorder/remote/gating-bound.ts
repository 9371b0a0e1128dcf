/** How large the JSON of an event that gates forwarding can be, known before it is serialised (remote-sink.ts). */
import type { TrailEvent } from '../events.js';
import { wireLimits } from '../wire/recorder-frames.js';

/** The most bytes the JSON of a session.opened, or of a statement start without its text and parameters, takes. */
export const ordinaryEventBound = 65_536;

/**
 * For the events that gate forwarding, the most bytes their JSON can take (each UTF-16 code unit of
 * a start's text at most 6 bytes, a \uXXXX escape; the rest of an event well under 64 KiB), or
 * more than the wire allows when it could be too large; 0 for events that never gate.
 */
export function gatingBound(event: TrailEvent): number {
  if (event.type === 'session.opened') return ordinaryEventBound;
  if (event.type !== 'statement.started') return 0;
  let units = typeof event.sql === 'string' ? event.sql.length : event.sql.base64.length;
  for (const param of event.params ?? []) units += param?.length ?? 0;
  const bound = units * 6 + ordinaryEventBound;
  return bound <= wireLimits.maxEventBytes ? bound : Number.POSITIVE_INFINITY;
}

/**
 * The most bytes the JSON of a client message's text can take in an event, from its bytes: a
 * control character, quote or backslash as a 6-byte escape, a byte of a multi-byte (or invalid)
 * UTF-8 sequence as at most 3 (U+FFFD), any other byte as itself. Base64, for text that is not
 * UTF-8, takes 4 bytes per 3: never more.
 */
export function textJsonBound(bytes: Buffer): number {
  let bound = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    bound += b < 0x20 || b === 0x22 || b === 0x5c ? 6 : b >= 0x80 ? 3 : 1;
  }
  return bound;
}
