/**
 * What waits for the journal writer's next batch (group-commit-writer.ts): events as their JSON
 * bytes, and markers (checkpoints, the journal's own records, key hand-overs) in order.
 *
 * An event is queued as the end offset of its JSON in `json` (the previous event's end is its
 * start): queued events then hold no strings or objects on the heap, which the garbage collector
 * would otherwise copy on every scavenge until the batch is written (measured: the largest cost of
 * a batched append). Two buffers alternate: one is being encoded while the other fills.
 */
import { arenaBytes, type Marker, type QueuedEventHeads } from './batch-encoder.js';
import { eventJsonNoRoom, writeEventJson } from './event-json.js';
import type { JournalEvent } from './events.js';
import { ChainRole, chainKeyOf, chainRoleOf, type EventChainFields, readEventChain } from './format/session-chain.js';

/** Bytes of reusable buffers kept between batches, at most (the queue's and the encoder's arenas each): a burst's are let go. */
export const keptBufferBytes = 16 * arenaBytes;

/** Everything queued for one batch, as `take` hands it over. */
export interface QueuedBatch {
  /** Events as end offsets into `json`, and markers, in order. */
  readonly items: readonly (number | Marker)[];
  readonly json: Buffer;
  readonly heads: QueuedEventHeads;
}

/** The queue of records waiting for a batch (see the module comment). */
export class RecordQueue {
  #items: (number | Marker)[] = [];
  // Each queued event's session and chain role (format/session-chain.ts), in queue order.
  #sessions: (string | null)[] = [];
  #roles: ChainRole[] = [];
  #json = Buffer.allocUnsafe(arenaBytes);
  #jsonBytes = 0;
  #spareJson = Buffer.allocUnsafe(arenaBytes);
  // The head (role, session) of the last serialised event queued: reused, no object per record.
  readonly #serializedHead: EventChainFields = { role: ChainRole.member, session: null, sn: -1, sprevStart: 0 };

  /** Items queued (events and markers). */
  get length(): number {
    return this.#items.length;
  }
  /** Bytes of event JSON queued. */
  get jsonBytes(): number {
    return this.#jsonBytes;
  }

  /** Queues the event's JSON written straight into the queue (event-json.ts: the bytes of JSON.stringify). */
  pushEvent(event: JournalEvent): void {
    let end = writeEventJson(event, this.#json, this.#jsonBytes);
    for (; end === eventJsonNoRoom; end = writeEventJson(event, this.#json, this.#jsonBytes))
      this.#growJson(this.#json.length * 2);
    const role = chainRoleOf(event.type);
    this.#sessions.push(chainKeyOf(event.session, role));
    this.#roles.push(role);
    this.#jsonBytes = end;
    this.#items.push(end);
  }

  /** Queues the serialised event json[start:end] as it is (the recorder service): its bytes copied, its head read from them. */
  pushJson(json: Uint8Array, start: number, end: number): void {
    const head = this.#serializedHead;
    readEventChain(json, start, end, head);
    this.#sessions.push(head.session);
    this.#roles.push(head.role);
    const length = end - start;
    if (this.#jsonBytes + length > this.#json.length)
      this.#growJson(Math.max(this.#json.length * 2, this.#jsonBytes + length));
    this.#json.set(start === 0 && end === json.length ? json : json.subarray(start, end), this.#jsonBytes);
    this.#jsonBytes += length;
    this.#items.push(this.#jsonBytes);
  }

  #growJson(bytes: number): void {
    const bigger = Buffer.allocUnsafe(bytes);
    this.#json.copy(bigger, 0, 0, this.#jsonBytes);
    this.#json = bigger;
  }

  /** Queues a marker. */
  pushMarker(marker: Marker): void {
    this.#items.push(marker);
  }

  /** Takes everything queued; the queue goes on filling the other buffer. */
  take(): QueuedBatch {
    const batch = { items: this.#items, json: this.#json, heads: { sessions: this.#sessions, roles: this.#roles } };
    this.#json = this.#spareJson;
    this.#spareJson = batch.json;
    this.#jsonBytes = 0;
    this.#items = [];
    this.#sessions = [];
    this.#roles = [];
    return batch;
  }

  /** Drops everything queued (the writer failed). */
  clear(): void {
    this.#items = [];
    this.#sessions = [];
    this.#roles = [];
    this.#jsonBytes = 0;
  }

  /**
   * After the batch taken with `json` was written: when it was far larger than usual (a burst up to
   * maxQueuedJsonBytes), lets its buffer go, so what is kept for reuse stays near a normal batch's size.
   */
  trim(json: Buffer): void {
    if (json.length > keptBufferBytes && this.#spareJson === json) this.#spareJson = Buffer.allocUnsafe(arenaBytes);
  }
}
