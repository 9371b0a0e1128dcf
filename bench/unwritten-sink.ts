/**
 * For the benchmark only (issue 16): the recorder's work on the forwarding thread with the journal
 * writer left out. Each event is redacted, merged with its start as a batched journal merges it
 * (statement-merge.ts) and written as JSON bytes into a slab (event-json.ts), as the writer's queue
 * takes it, and then dropped: no hashing, no batch, no write. A proxy recording into it shows what
 * any writer moved off the forwarding thread (a worker thread, a recorder process) could give at
 * most: its TPS against the relay is the ceiling of such a design on this machine.
 */
import type { RecordingConfig } from '../config/config.js';
import { eventJsonNoRoom, writeEventJson } from '../recorder/event-json.js';
import type { EventSink, JournalEvent, TrailEvent } from '../recorder/events.js';
import { createRedactor } from '../recorder/redaction.js';
import { StatementMerger } from '../recorder/statement-merge.js';

const slabBytes = 1024 * 1024;

/** The sink, and a stop for the timer that releases held starts. */
export async function createUnwrittenSink(
  recording: RecordingConfig,
  batchWindowMs: number,
): Promise<{ readonly sink: EventSink; stop(): void }> {
  const redactor = await createRedactor(recording.redaction);
  let slab = Buffer.allocUnsafe(slabBytes);
  let used = 0;
  const encode = (event: JournalEvent): void => {
    for (;;) {
      const end = writeEventJson(event, slab, used);
      if (end !== eventJsonNoRoom) {
        used = end;
        return;
      }
      slab = Buffer.allocUnsafe(Math.max(slabBytes, (slab.length - used) * 2));
      used = 0;
    }
  };
  const merger = new StatementMerger(encode);
  // The writer releases held starts at each flush, every half window.
  const timer = setInterval(() => merger.release(), Math.max(1, Math.floor(batchWindowMs / 2)));
  return {
    sink: {
      record: (event: TrailEvent) => {
        merger.offer(redactor.redact(event));
        return null;
      },
    },
    stop: () => clearInterval(timer),
  };
}
