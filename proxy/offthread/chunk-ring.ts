/**
 * A single-producer, single-consumer queue of byte records in shared memory, from the forwarding
 * thread to the recording thread (proxy/offthread/). The producer copies each record in and moves
 * the tail; the consumer reads records in place and moves the head once it is done with them.
 * Neither side allocates or posts a message per record: the consumer polls while there is work and
 * sleeps on the tail when there is none, and only then does the producer wake it.
 *
 * Layout of `data`: records 8-byte aligned, each a header of 16 bytes (payload length, a tag, and a
 * float64 timestamp) and the payload. A length of -1 says the records go on at offset 0.
 *
 * The producer waits in two cases: the ring is full, or its oldest unread record is older than
 * `maxLagMs` (the consumer has fallen that far behind in time). The second bounds what a crash of
 * the process can lose to the ring, whatever the consumer's scheduling priority.
 */

/** Indexes into the control words. */
const HEAD = 0;
const TAIL = 1;
const SLEEPING = 2;
/** The producer waits for room: the consumer wakes it once it has freed some. */
const WAITING = 3;
const HEADER_BYTES = 16;
/** The consumer gives room back after this many records, not only at the end of a drain. */
const FREE_EVERY = 64;
const WRAP = -1;

/** What both threads share: pass it to the other thread (structured clone keeps the memory shared). */
export interface ChunkRingMemory {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

export function createChunkRingMemory(bytes: number): ChunkRingMemory {
  if (bytes % 8 !== 0 || bytes < 1024) throw new RangeError('ring size must be a multiple of 8, at least 1 KiB');
  return { control: new SharedArrayBuffer(16), data: new SharedArrayBuffer(bytes) };
}

/** Atomics.waitAsync (Node 20 has it; the TypeScript lib this project targets does not declare it). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ): { readonly async: false; readonly value: string } | { readonly async: true; readonly value: Promise<string> };
  }
).waitAsync;

const align8 = (n: number): number => (n + 7) & ~7;

/** The forwarding thread's side. */
export class ChunkRingProducer {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #stamps: Float64Array;
  readonly #size: number;
  readonly #maxLagMs: number;
  /** Times push had to wait for room (the consumer fell a whole ring behind). */
  waits = 0;
  /** Times push had to wait because the oldest unread record was older than maxLagMs. */
  lagWaits = 0;

  /** `maxLagMs`: how far behind in time the consumer may fall before push waits for it (Infinity: only the ring's size bounds it). */
  constructor(memory: ChunkRingMemory, maxLagMs: number) {
    if (!(maxLagMs > 0)) throw new RangeError('maxLagMs must be positive');
    this.#maxLagMs = maxLagMs;
    this.#control = new Int32Array(memory.control);
    this.#bytes = new Uint8Array(memory.data);
    this.#words = new Int32Array(memory.data);
    this.#stamps = new Float64Array(memory.data);
    this.#size = memory.data.byteLength;
  }

  /** The largest payload one record can carry. */
  get maxPayload(): number {
    return this.#size / 2 - HEADER_BYTES;
  }

  /**
   * Appends one record, stamped `ts` (milliseconds; the stamps must not go backwards). When the ring
   * is full, or its oldest unread record is more than maxLagMs older than `ts`, it blocks until the
   * consumer has read on (bounded memory and lag: the forwarding thread waits rather than drop a
   * byte of the record).
   */
  push(tag: number, ts: number, payload: Uint8Array): void {
    const need = HEADER_BYTES + align8(payload.length);
    if (need > this.#size / 2) throw new RangeError(`record of ${payload.length} bytes exceeds the ring's bound`);
    this.#waitForLag(ts);
    let at = this.#reserve(need);
    while (at < 0) {
      this.waits++;
      Atomics.store(this.#control, WAITING, 1);
      this.#wake();
      const head = Atomics.load(this.#control, HEAD);
      at = this.#reserve(need);
      if (at >= 0) break;
      Atomics.wait(this.#control, HEAD, head, 50);
      at = this.#reserve(need);
    }
    Atomics.store(this.#control, WAITING, 0);
    this.#words[at >> 2] = payload.length;
    this.#words[(at >> 2) + 1] = tag;
    this.#stamps[(at >> 3) + 1] = ts;
    this.#bytes.set(payload, at + HEADER_BYTES);
    let tail = at + need;
    if (tail === this.#size) tail = 0;
    Atomics.store(this.#control, TAIL, tail);
    if (Atomics.load(this.#control, SLEEPING) === 1) this.#wake();
  }

  /** Blocks while the oldest unread record is more than maxLagMs older than `ts`. */
  #waitForLag(ts: number): void {
    for (let waited = false; ; waited = true) {
      const head = Atomics.load(this.#control, HEAD);
      // Only this producer writes the records, so the one at the head stays put while it is read.
      const oldest = head === Atomics.load(this.#control, TAIL) ? ts : this.#stampAt(head);
      if (ts - oldest <= this.#maxLagMs) {
        if (waited) Atomics.store(this.#control, WAITING, 0);
        return;
      }
      if (!waited) this.lagWaits++;
      Atomics.store(this.#control, WAITING, 1);
      this.#wake();
      Atomics.wait(this.#control, HEAD, head, 50);
    }
  }

  /** The timestamp of the record at `at` (an unread one), following a wrap mark to the start. */
  #stampAt(at: number): number {
    return this.#stamps[((this.#words[at >> 2] === WRAP ? 0 : at) >> 3) + 1] as number;
  }

  /** Where a record of `need` bytes goes (writing a wrap mark when it goes to the start), or -1: no room. */
  #reserve(need: number): number {
    const head = Atomics.load(this.#control, HEAD);
    const tail = Atomics.load(this.#control, TAIL);
    if (tail >= head) {
      if (tail + need <= this.#size) {
        // Filling up to the end is fine unless the head is at 0 (full and empty would look alike).
        if (tail + need === this.#size && head === 0) return -1;
        return tail;
      }
      // Not enough before the end: wrap, when the start has room (strictly: head === tail means empty).
      if (need >= head) return -1;
      this.#words[tail >> 2] = WRAP;
      Atomics.store(this.#control, TAIL, 0);
      return 0;
    }
    return tail + need < head ? tail : -1;
  }

  #wake(): void {
    Atomics.store(this.#control, SLEEPING, 0);
    Atomics.notify(this.#control, TAIL);
  }
}

/** One record as the consumer sees it: `payload` is a view into the ring, valid only during the call; true stops the drain after it. */
export type ChunkRecordHandler = (tag: number, ts: number, payload: Buffer) => unknown;

/** The recording thread's side. */
export class ChunkRingConsumer {
  readonly #control: Int32Array;
  readonly #data: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #stamps: Float64Array;
  readonly #size: number;

  constructor(memory: ChunkRingMemory) {
    this.#control = new Int32Array(memory.control);
    this.#data = memory.data;
    this.#words = new Int32Array(memory.data);
    this.#stamps = new Float64Array(memory.data);
    this.#size = memory.data.byteLength;
  }

  /**
   * Hands every record there is to `handle`, in order, then frees their room; stops early after a
   * record for which `handle` returns true. Returns how many it handed.
   */
  drain(handle: ChunkRecordHandler): number {
    let head = Atomics.load(this.#control, HEAD);
    let count = 0;
    for (;;) {
      const tail = Atomics.load(this.#control, TAIL);
      if (head === tail) break;
      while (head !== tail) {
        const length = this.#words[head >> 2] as number;
        if (length === WRAP) {
          head = 0;
          continue;
        }
        const tag = this.#words[(head >> 2) + 1] as number;
        const ts = this.#stamps[(head >> 3) + 1] as number;
        const stop = handle(tag, ts, Buffer.from(this.#data, head + HEADER_BYTES, length));
        count++;
        head += HEADER_BYTES + align8(length);
        if (head === this.#size) head = 0;
        if (stop === true) {
          this.#free(head);
          return count;
        }
        // A producer waiting on the lag bound goes on as soon as the records it waits on are read.
        if (count % FREE_EVERY === 0) this.#free(head);
      }
      this.#free(head);
    }
    return count;
  }

  /** Gives the room before `head` back to the producer, waking it when it waits. */
  #free(head: number): void {
    Atomics.store(this.#control, HEAD, head);
    if (Atomics.load(this.#control, WAITING) === 1) Atomics.notify(this.#control, HEAD);
  }

  /**
   * Settles when a record may be there: at once when one is, else when the producer wakes the
   * consumer (it does so only after `sleep` was called and the ring was seen empty).
   */
  async sleep(): Promise<void> {
    Atomics.store(this.#control, SLEEPING, 1);
    const head = Atomics.load(this.#control, HEAD);
    const tail = Atomics.load(this.#control, TAIL);
    if (head !== tail) {
      Atomics.store(this.#control, SLEEPING, 0);
      return;
    }
    const waiting = waitAsync(this.#control, TAIL, tail);
    if (waiting.async) await waiting.value;
    Atomics.store(this.#control, SLEEPING, 0);
  }

  /** Wakes a consumer asleep in `sleep` (to close it). */
  wake(): void {
    Atomics.store(this.#control, SLEEPING, 0);
    Atomics.notify(this.#control, TAIL);
  }
}
