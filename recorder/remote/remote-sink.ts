/**
 * The EventSink of a proxy that records into a remote recorder service (docs/recorder-service.md).
 * Every event gets the next sequence number of this instance, is queued (and spooled, when a spool
 * is configured) until the recorder acknowledges it durable, and is sent in Batches over the link.
 *
 * When the caller must wait (strict durability; batched once the spool is full) record() returns,
 * for the events that gate forwarding (statement.started, session.opened), a promise that resolves
 * when the event's Ack arrives; other events are queued without one. A statement.started or session.opened event
 * that must wait while the recorder is unreachable is refused at once (RECORDER_UNREACHABLE or
 * RECORDER_SPOOL_FULL, SQLSTATE 57P03): the statement is not run (its statement.started is still
 * queued when there is room, so the journal shows the attempt, finished as notExecuted). When the link
 * drops, the promises still waiting are rejected the same way, but their events stay queued and are
 * resent: the journal then says the statement was not executed. Nothing queued is ever dropped.
 *
 * Spooling: in strict durability every event is spooled as it is sent. In batched durability an event
 * is spooled only if it is still unacknowledged a quarter window after it was sent (or could not be
 * sent): on a healthy link the recorder's Ack comes first and the event never touches the proxy's
 * disk, and an event is still durable somewhere within about `batchWindowMs` of being recorded (at
 * most half a window to its flush, a quarter to the spool check, then one O_DSYNC write). The check
 * runs after the event loop has read its sockets, so an Ack that came while this thread was busy
 * past the check's time still keeps its events off the disk.
 *
 * Numbering: a proxy whose spool was closed cleanly continues from the number it recorded;
 * otherwise (a first start, no spool, or a spool left by a crash, which may not hold every number
 * the proxy gave out) events queued before the first Welcome are numbered after the recorder's
 * durable sequence number and after every spooled event, which keep their own numbers.
 *
 * In batched durability, while nothing waits, a statement is one event, as in a local batched
 * journal (statement-merge.ts, docs/journal-format.md §14): a statement.started is held back and
 * sent as one `statement` event with its statement.finished when that comes before the next flush;
 * starts still held at a flush go as they are. A start that could be too large for the wire is
 * never held, so its refusal still reaches the caller.
 */
import type { Durability } from '../../config/config.js';
import type { EventSink, JournalEvent, TrailEvent } from '../events.js';
import { StatementMerger } from '../statement-merge.js';
import { finishedOf, startedOf } from '../statement-record.js';
import { encodeBatch, wireLimits } from '../wire/recorder-frames.js';
import { EventSlabs } from './event-slabs.js';
import type { EventSpool, SpooledEvent } from './event-spool.js';
import type { RecorderLink } from './recorder-link.js';
import { gatingBound, ordinaryEventBound } from './gating-bound.js';
import { RemoteRecorderError, RemoteRecorderErrorCode, unreachableRefusal } from './remote-recorder-error.js';
import { newWaiter, rejected, type Waiter } from '../waiter.js';

/** What a RemoteSink needs. */
export interface RemoteSinkOptions {
  readonly durability: Durability;
  readonly batchWindowMs: number;
  /** The spool, with the events it held at open and the next sequence number it knows; null: memory only. */
  readonly spool: {
    readonly spool: EventSpool;
    readonly events: SpooledEvent[];
    readonly nextSeq: number | null;
  } | null;
  /** Unacknowledged bytes beyond which the sink waits for acks as strict does (the spool's bound). */
  readonly maxUnackedBytes: number;
  /** Told once when the sink fails closed. */
  readonly onFailure: (error: RemoteRecorderError) => void;
  /**
   * Whoever gives events decides before forwarding whether a statement may go (the recording
   * thread's gate, proxy/offthread/remote-gate.ts, reading gateState()): the sink then never refuses
   * nor waits for an event for lack of room or link, and takes every event it is given, since its
   * statement has already gone. The bound is then kept by that gate, a little late.
   */
  readonly gatedOutside?: boolean;
}

/** What gateState() tells a gate outside the sink: go, wait for acknowledgements, or refuse (and why). */
export type SinkGate = 'open' | 'wait' | 'unreachable' | 'spoolFull';

interface Entry {
  /** 0 until numbered (before the first Welcome of a proxy without spooled history). */
  seq: number;
  readonly bytes: Buffer;
  waiter: Waiter | null;
}

const maxBatchEvents = 4096;
const maxBatchBytes = 1024 * 1024;

/** The remote recorder's EventSink (see the file comment). */
export class RemoteSink implements EventSink {
  #link: RecorderLink | null = null;
  // Unacknowledged entries are queue[head..]; sendAt and spoolAt are the next to send and to spool.
  #queue: Entry[] = [];
  #head = 0;
  #sendAt = 0;
  #spoolAt = 0;
  #numbered: boolean;
  #nextSeq: number;
  #acked = 0;
  #unackedBytes = 0;
  #scheduled = false;
  // Batched: the pending check that spools what is still unacknowledged (see the file comment).
  #spoolTimer: NodeJS.Timeout | null = null;
  // The last sequence number a flush has sent (or, the link down, tried to): what the check spools up to.
  #spoolMark = 0;
  #failure: RemoteRecorderError | null = null;
  #closed = false;
  #drained: (() => void) | null = null;
  readonly #slabs = new EventSlabs();
  // Batched durability: holds statement starts to send a statement as one event (see the file comment).
  readonly #merger: StatementMerger | null;
  // The refusal of an event the merger queued too large, for the record() call that offered it.
  #mergeRefusal: Promise<void> | null = null;

  constructor(private readonly options: RemoteSinkOptions) {
    this.#merger = options.durability === 'batched' ? new StatementMerger((event) => this.#enqueueMerged(event)) : null;
    const spooled = options.spool;
    this.#numbered = spooled?.nextSeq != null;
    this.#nextSeq = spooled?.nextSeq ?? 1;
    for (const e of spooled?.events ?? []) {
      this.#queue.push({ seq: e.seq, bytes: e.bytes, waiter: null });
      this.#unackedBytes += e.bytes.length;
    }
    this.#spoolAt = this.#queue.length;
  }

  /** Connects the sink to its link (the link's callbacks call back into the sink). */
  attach(link: RecorderLink): void {
    this.#link = link;
  }

  /** The highest sequence number the recorder has acknowledged durable (0: none yet). */
  get acknowledgedSeq(): number {
    return this.#acked;
  }

  /**
   * For a gate outside the sink (gatedOutside): a new statement may go while the bytes unacknowledged
   * leave room for the largest ordinary event (64 KiB); past that it waits while the link is up, and
   * is refused while it is down, as would have been here. Unnumbered (the recorder never reached):
   * refused while the link is down.
   */
  gateState(): SinkGate {
    const linkOpen = this.#link?.isOpen === true;
    if (!this.#numbered && !linkOpen) return 'unreachable';
    if (this.#unackedBytes + ordinaryEventBound <= this.options.maxUnackedBytes) return 'open';
    return linkOpen ? 'wait' : 'spoolFull';
  }

  /** Events queued (or held to be merged) and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#queue.length - this.#head + (this.#merger?.held ?? 0);
  }

  record(event: TrailEvent): Promise<void> | null {
    if (this.#failure !== null) return rejected(this.#failure);
    if (this.#closed)
      return rejected(new RemoteRecorderError(RemoteRecorderErrorCode.closed, 'the recorder sink is closed'));
    const merger = this.#merger;
    if (merger !== null) {
      // Merging needs a caller that would not wait: numbered, and room for a gating event at its largest.
      const largest = gatingBound(event);
      const mayHold = this.#numbered && this.#unackedBytes + largest <= this.options.maxUnackedBytes;
      if (largest !== Number.POSITIVE_INFINITY && (mayHold || this.options.gatedOutside === true)) {
        merger.offer(event);
        const refusal = this.#mergeRefusal;
        this.#mergeRefusal = null;
        this.#schedule(this.#unackedBytes > this.options.maxUnackedBytes);
        return refusal;
      }
      merger.release();
    }
    return this.#recordNow(event);
  }

  /**
   * Queues an event from the merger: a `statement` too large for the wire goes as its two events; an
   * event still too large is refused as record() refuses it (the refusal goes to the caller).
   */
  #enqueueMerged(event: JournalEvent): void {
    const bytes = this.#slabs.write(event);
    if (bytes.length <= wireLimits.maxEventBytes) this.#enqueue(bytes, null);
    else if (event.type === 'statement') {
      this.#recordNow(startedOf(event));
      this.#mergeRefusal = this.#recordNow(finishedOf(event));
    } else this.#mergeRefusal = this.#recordNow(event);
  }

  #recordNow(event: TrailEvent): Promise<void> | null {
    const bytes = this.#slabs.write(event);
    if (bytes.length > wireLimits.maxEventBytes) {
      return rejected(new RemoteRecorderError(RemoteRecorderErrorCode.eventTooLarge, 'an event is larger than 16 MiB'));
    }
    const full = this.#unackedBytes + bytes.length > this.options.maxUnackedBytes;
    // Until numbering is known (a proxy that never reached its recorder) nothing can be spooled: fail closed.
    const waits =
      this.options.gatedOutside !== true && (this.options.durability === 'strict' || full || !this.#numbered);
    const gating = event.type === 'statement.started' || event.type === 'session.opened';
    if (waits && gating && this.#link?.isOpen !== true) {
      // The statement is not run; its record still goes (when there is room), followed by its
      // statement.finished saying notExecuted, so the journal shows the attempt.
      if (!full && event.type === 'statement.started') {
        this.#enqueue(bytes, null);
        this.#schedule(false);
      }
      return rejected(unreachableRefusal(full && this.options.durability === 'batched'));
    }
    // Only a gating event's caller waits: the others' promises would be ignored (and their
    // rejections, when the link drops, reported as failures although the events stay queued).
    const entry = this.#enqueue(bytes, waits && gating ? newWaiter() : null);
    this.#schedule(waits);
    return entry.waiter?.promise ?? null;
  }

  #enqueue(bytes: Buffer, waiter: Waiter | null): Entry {
    const entry: Entry = { seq: this.#numbered ? this.#nextSeq++ : 0, bytes, waiter };
    this.#queue.push(entry);
    this.#unackedBytes += bytes.length;
    return entry;
  }

  /** The recorder welcomed the link: it holds this instance's events up to durableSeq. */
  welcomed(durableSeq: number): void {
    if (this.#failure !== null) return;
    if (!this.#numbered) {
      // Spooled events keep their numbers; new ones follow them and what the recorder holds.
      let last = durableSeq;
      for (let i = this.#head; i < this.#queue.length; i++) last = Math.max(last, this.#queue[i]!.seq);
      this.#nextSeq = last + 1;
      for (let i = this.#head; i < this.#queue.length; i++) {
        const entry = this.#queue[i]!;
        if (entry.seq === 0) entry.seq = this.#nextSeq++;
      }
      this.#numbered = true;
    }
    this.acknowledged(durableSeq);
    const first = this.#head < this.#queue.length ? this.#queue[this.#head]!.seq : this.#nextSeq;
    if (first > durableSeq + 1) {
      this.#fail(
        new RemoteRecorderError(
          RemoteRecorderErrorCode.sequenceLost,
          `the recorder holds events of this instance up to ${durableSeq}, the proxy continues at ${first}`,
        ),
      );
      return;
    }
    if (this.#head === this.#queue.length) this.#nextSeq = durableSeq + 1;
    this.#sendAt = this.#head;
    this.#flush();
  }

  /** Everything up to durableSeq is durable at the recorder. */
  acknowledged(durableSeq: number): void {
    this.#acked = Math.max(this.#acked, durableSeq);
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.seq <= durableSeq) {
      const entry = this.#queue[this.#head]!;
      if (entry.seq === 0) break;
      this.#unackedBytes -= entry.bytes.length;
      entry.waiter?.resolve();
      this.#head++;
    }
    this.#compact();
    this.options.spool?.spool.acknowledged(this.#acked, this.#nextSeq).catch((err: unknown) => this.#failWith(err));
    if (this.#head === this.#queue.length) this.#drained?.();
  }

  /** The link went down: whoever waits is refused (their statements are not run); events stay queued. */
  down(): void {
    const refusal = new RemoteRecorderError(RemoteRecorderErrorCode.unreachable, 'the recorder became unreachable');
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i]!;
      entry.waiter?.reject(refusal);
      entry.waiter = null;
    }
    this.#sendAt = this.#head;
  }

  /**
   * Stops taking events; waits up to `waitMs` for the queue to be acknowledged, spools what is not,
   * then closes the spool, recording where numbering stands.
   */
  async close(waitMs: number): Promise<void> {
    this.#closed = true;
    this.#flush();
    if (this.#head < this.#queue.length && this.#failure === null) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        setTimeout(resolve, waitMs).unref();
      });
    }
    const spool = this.options.spool?.spool;
    if (spool === undefined) return;
    if (this.#spoolTimer !== null) clearTimeout(this.#spoolTimer);
    this.#spoolTimer = null;
    if (this.#failure === null) this.#spoolUnacknowledged();
    const clean = this.#failure === null && this.#numbered;
    await spool.close(clean ? this.#nextSeq : null).catch(() => undefined);
  }

  #schedule(urgent: boolean): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.options.durability === 'strict' || urgent) setImmediate(() => this.#flush());
    else setTimeout(() => this.#flush(), Math.max(1, Math.floor(this.options.batchWindowMs / 2))).unref();
  }

  /** Sends what the link has not carried yet; spools what is new (strict) or arms the spool check (batched). */
  #flush(): void {
    this.#scheduled = false;
    this.#merger?.release();
    if (this.#failure !== null || !this.#numbered) return;
    if (this.options.spool !== null) {
      if (this.options.durability === 'strict') this.#spoolUnacknowledged();
      else if (Math.max(this.#spoolAt, this.#head) < this.#queue.length) {
        // What this flush sends: what is still unacknowledged of it is spooled a quarter window
        // later (by the check already pending, when a flush came sooner than that).
        this.#spoolMark = this.#queue.at(-1)!.seq;
        if (this.#spoolTimer === null) {
          this.#spoolTimer = setTimeout(
            () => {
              this.#spoolTimer = null;
              // Timers run before the loop reads its sockets: an Ack that arrived while this thread
              // was not running (a busy core, or the recording thread's low priority) is read
              // first, so the check spools only what is really still unacknowledged.
              const upTo = this.#spoolMark;
              setImmediate(() => {
                if (this.#failure === null) this.#spoolUnacknowledged(upTo);
              });
            },
            Math.max(1, Math.floor(this.options.batchWindowMs / 4)),
          );
          this.#spoolTimer.unref();
        }
      }
    }
    const link = this.#link;
    if (link === null || !link.isOpen) return;
    while (this.#sendAt < this.#queue.length) {
      const first = this.#queue[this.#sendAt]!.seq;
      const bytes: Buffer[] = [];
      let size = 0;
      while (
        this.#sendAt < this.#queue.length &&
        bytes.length < maxBatchEvents &&
        (size < maxBatchBytes || bytes.length === 0)
      ) {
        const entry = this.#queue[this.#sendAt]!;
        bytes.push(entry.bytes);
        size += entry.bytes.length;
        this.#sendAt++;
      }
      if (!link.send(encodeBatch(first, bytes))) {
        this.#sendAt = this.#head;
        return;
      }
    }
  }

  /** Appends to the spool every entry not yet acknowledged nor spooled, up to sequence `upTo`. */
  #spoolUnacknowledged(upTo = Number.POSITIVE_INFINITY): void {
    const from = Math.max(this.#spoolAt, this.#head);
    if (!this.#numbered || from >= this.#queue.length) return;
    let to = from;
    while (to < this.#queue.length && this.#queue[to]!.seq <= upTo) to++;
    if (to === from) return;
    // Entries are SpooledEvents (seq and bytes); the slice is the spool's to keep.
    const events = this.#queue.slice(from, to);
    this.#spoolAt = to;
    this.options.spool!.spool.append(events).catch((err: unknown) => this.#failWith(err));
  }

  /** Drops acknowledged entries from the front once they are many. */
  #compact(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#queue.length) return;
    this.#queue = this.#queue.slice(this.#head);
    this.#sendAt = Math.max(0, this.#sendAt - this.#head);
    this.#spoolAt = Math.max(0, this.#spoolAt - this.#head);
    this.#head = 0;
  }

  #failWith(err: unknown): void {
    this.#fail(
      err instanceof RemoteRecorderError
        ? err
        : new RemoteRecorderError(RemoteRecorderErrorCode.spoolFailed, 'writing the spool failed', { cause: err }),
    );
  }

  #fail(error: RemoteRecorderError): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.waiter?.reject(error);
    this.#link?.close();
    this.options.onFailure(error);
  }
}
