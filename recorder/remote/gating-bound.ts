/** How large the JSON of an event that gates forwarding can be, known before it is serialised (remote-sink.ts). */
import type { TrailEvent } from '../events.js';
import { wireLimits } from '../wire/recorder-frames.js';

/**
 * For the events that gate forwarding, the most bytes their JSON can take (each UTF-16 code unit of
 * a start's text at most 6 bytes, a \uXXXX escape; the rest of an event well under 64 KiB), or
 * more than the wire allows when it could be too large; 0 for events that never gate.
 */
export function gatingBound(event: TrailEvent): number {
  if (event.type === 'session.opened') return 65_536;
  if (event.type !== 'statement.started') return 0;
  let units = typeof event.sql === 'string' ? event.sql.length : event.sql.base64.length;
  for (const param of event.params ?? []) units += param?.length ?? 0;
  const bound = units * 6 + 65_536;
  return bound <= wireLimits.maxEventBytes ? bound : Number.POSITIVE_INFINITY;
}
