/**
 * The remote sink's events as JSON bytes (event-json.ts, the bytes of JSON.stringify) written one
 * after another into slabs of 64 KiB: each event's bytes are a view of its slab, with no string
 * and no buffer of its own. A slab is dropped once no queued event views it.
 */
import { eventJsonNoRoom, writeEventJson } from '../event-json.js';
import type { JournalEvent } from '../events.js';

const slabBytes = 64 * 1024;

/** Writes events into slabs (see the file comment). */
export class EventSlabs {
  #slab = Buffer.allocUnsafe(slabBytes);
  #used = 0;

  /** The event's JSON, as a view of the current slab. */
  write(event: JournalEvent): Buffer {
    for (;;) {
      const end = writeEventJson(event, this.#slab, this.#used);
      if (end !== eventJsonNoRoom) {
        const bytes = this.#slab.subarray(this.#used, end);
        this.#used = end;
        return bytes;
      }
      // A fresh slab, with at least twice the room this one had left (an event larger than a slab).
      this.#slab = Buffer.allocUnsafe(Math.max(slabBytes, (this.#slab.length - this.#used) * 2));
      this.#used = 0;
    }
  }
}
