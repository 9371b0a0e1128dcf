import type { Durability } from '../config/config.js';
import type { EventSink, TrailEvent } from './events.js';
import type { JournalWriter } from './journal-writer.js';

/**
 * The EventSink the proxy writes to. `record()` only queues: no I/O and no fsync happen on the
 * caller's path. Strict: it returns the promise of the event's batch, which settles when the record
 * is fsynced (and rejects when it cannot be, so the caller must not forward). Batched: it returns
 * null and the writer makes the record durable within the batch window, except when more than
 * maxQueuedJsonBytes of events wait for the disk: then it returns the batch's promise, as in strict,
 * so the caller pauses (this bounds the queue's memory); once the writer has failed closed (or was
 * closed) it returns the rejection instead. Returned promises are never unhandled rejections.
 */
export function createJournalSink(writer: JournalWriter, durability: Durability): EventSink {
  if (durability === 'strict') return { record: (event: TrailEvent) => writer.append(event) };
  return {
    record: (event: TrailEvent) => writer.appendWithoutWaiting(event),
  };
}
