/**
 * The journal writer's running part (openJournalWriter in journal-writer.ts opens it): appends records to JSON Lines segment files, chained, tree-hashed and sealed
 * with signed checkpoints by its BatchEncoder (batch-encoder.ts; docs/journal-format.md).
 *
 * Durability: appends are collected and written in batches; one durable write (O_DSYNC, else write +
 * fdatasync; segment-io.ts) covers every record waiting at that moment (group commit). In strict durability a batch starts as soon as the
 * event loop turns, so a caller waits for at most the fsync in progress plus its own; in batched
 * durability batches start half a window apart (sooner when someone waits on flush or the queue
 * is long), so a record is durable within the window and the disk sees two syncs per window. When
 * a write or fsync fails the writer fails closed: the batch and everything after it is rejected
 * with JOURNAL_WRITE_FAILED and nothing more is written, so what was sealed stays intact and the
 * torn tail (if any) is cut on reopen. In batched durability (format 4) a statement whose finish
 * comes before its start was encoded is queued as one `statement` record (statement-merge.ts).
 *
 * Checkpoints are appended after every `checkpointEveryRecords` records, every `checkpointEveryMs`
 * (also when idle, as a heartbeat), before a segment is rotated, after a key rotation and at close.
 */
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BatchEncoder, type JournalPosition, type Marker, type QueuedEventHeads } from './batch-encoder.js';
import type { TrailEvent } from './events.js';
import { writeLatestCheckpoint } from './latest-checkpoint.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import type { JournalLock } from './journal-lock.js';
import type { JournalWriter, JournalWriterOptions } from './journal-writer-types.js';
import { keptBufferBytes, RecordQueue } from './record-queue.js';
import { StatementMerger } from './statement-merge.js';
import { statementRecordFormat } from './statement-record.js';
import { newWaiter, type Waiter } from './waiter.js';
import { fsyncDir, openSegmentFile, segmentWritesAreDurable, writeAll, writeAllBlocking } from './segment-io.js';
import type { SigningKey } from './signing-key.js';
import { holdRecordOf, type HoldRelease, type LegalHold } from './format/hold-record.js';
import type { WitnessStats } from './witnessing/witness-client.js';
import { type WitnessingStart, WriterWitnessing } from './witnessing/writer-witnessing.js';

// In batched durability, a batch this large is written without waiting for the window.
const eagerFlushItems = 8192;
// In batched durability, items encoded between two turns of the event loop (#writeBatch): about 0.1 ms here.
const itemsPerSlice = 32;

/** Resolves after the event loop has run the I/O callbacks that are due (setImmediate runs after the poll phase). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
/**
 * Queued JSON beyond which appendWithoutWaiting returns the batch's promise instead of null: a
 * bound on the memory held by records that are not yet written (docs/journal-format.md section 6).
 */
export const maxQueuedJsonBytes = 64 * 1024 * 1024;

/** An open journal: queues appends, writes them in durable batches and keeps the latest-checkpoint file. */
export class GroupCommitWriter implements JournalWriter {
  readonly dir: string;
  readonly origin: string;
  readonly sizeAtOpen: number;
  readonly #encoder: BatchEncoder;
  #durableSize: number;
  #handle: FileHandle | null;
  readonly #durableWrites = { count: 0, ms: 0 };
  #checkpoints: { readonly count: number; readonly lastSize: number } = { count: 0, lastSize: 0 };
  // When the last batch started (ms): in batched durability the next starts half a window later.
  #lastBatchAt = 0;
  // What waits for the next batch, as JSON bytes and markers (record-queue.ts).
  readonly #queue = new RecordQueue();
  #waiter: Waiter | null = null;
  #inflight: Promise<void> | null = null;
  #scheduled = false;
  // The timer of a batch scheduled for later (batched durability), while it waits.
  #batchTimer: NodeJS.Timeout | null = null;
  #failure: JournalError | null = null;
  #failed: Promise<void> | null = null;
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  // Batched durability, format 4: holds statement starts to write a statement as one record (statement-merge.ts).
  readonly #merger: StatementMerger | null;
  readonly format: number;
  readonly leftOpen: JournalWriter['leftOpen'];
  // Sends checkpoints to witnesses and merges their cosignatures (null without witnesses).
  #witnessing: WriterWitnessing | null = null;

  constructor(
    private readonly options: JournalWriterOptions,
    private readonly lock: JournalLock,
    position: JournalPosition,
    handle: FileHandle | null,
    leftOpen: JournalWriter['leftOpen'] = { sessions: [], lastEventTs: null },
  ) {
    this.leftOpen = leftOpen;
    this.dir = options.dir;
    this.origin = position.origin;
    this.#encoder = new BatchEncoder(position, options);
    this.#durableSize = position.size;
    this.sizeAtOpen = position.size;
    this.#handle = handle;
    this.format = position.format;
    this.#merger =
      options.durability === 'batched' && position.format >= statementRecordFormat
        ? new StatementMerger((event) => this.#queue.pushEvent(event))
        : null;
    this.#timer = setInterval(() => this.#heartbeat(), Math.max(10, Math.floor(options.checkpointEveryMs / 2)));
    this.#timer.unref();
  }

  get verifierKey(): string {
    return this.#encoder.key.verifierKey;
  }
  get size(): number {
    return this.#encoder.size + this.#encoder.itemsLeft + this.queuedRecords;
  }
  get durableSize(): number {
    return this.#durableSize;
  }
  get failure(): JournalError | null {
    return this.#failure;
  }
  get durableWrites(): { readonly count: number; readonly ms: number } {
    return this.#durableWrites;
  }
  get witnessStats(): readonly WitnessStats[] {
    return this.#witnessing?.stats ?? [];
  }

  /** Starts sending checkpoints to the witnesses of `setup` (writer-witnessing.ts). */
  startWitnessing(setup: WitnessingStart): void {
    this.#witnessing = new WriterWitnessing({
      ...setup,
      dir: this.dir,
      encoder: this.#encoder,
      enqueue: (marker) => this.#enqueue(marker),
    });
  }
  get queuedRecords(): number {
    // A held start becomes one record (a statement record, or a plain start when it is released).
    return this.#queue.length + (this.#merger?.held ?? 0);
  }
  get checkpoints(): { readonly count: number; readonly lastSize: number } {
    return this.#checkpoints;
  }

  append(event: TrailEvent): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    this.#merger?.release();
    this.#queue.pushEvent(event);
    return this.#nextBatch();
  }

  appendSerialized(json: Uint8Array, start: number, end: number): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    this.#merger?.release();
    this.#queue.pushJson(json, start, end);
    return this.#nextBatch();
  }

  appendWithoutWaiting(event: TrailEvent): Promise<void> | null {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    if (this.#merger === null) this.#queue.pushEvent(event);
    else this.#merger.offer(event);
    // The disk is behind: the caller waits for this batch (a waiter also starts it as soon as the one in flight ends).
    if (this.#queue.jsonBytes > maxQueuedJsonBytes) return this.#nextBatch();
    this.#schedule();
    return null;
  }

  flush(): Promise<void> {
    if (this.#failed !== null) return this.#failed;
    if (this.#hasWork()) return this.#nextBatch();
    return this.#inflight ?? Promise.resolve();
  }

  checkpoint(): Promise<void> {
    return this.#enqueue({ type: 'checkpoint' });
  }

  appendHold(item: LegalHold | HoldRelease): Promise<void> {
    const { kind, body } = holdRecordOf(item);
    return this.#enqueue({ type: 'record', kind, body });
  }

  rotateKey(key: SigningKey): Promise<void> {
    if (key.name !== this.origin) {
      return Promise.reject(
        new JournalError(JournalErrorCode.keyMismatch, 'a rotated key must keep the journal origin as its name'),
      );
    }
    return this.#enqueue({ type: 'rotate', key });
  }

  /** Appends one of the journal's own records (used while opening). */
  enqueueRecord(kind: 'journal.started' | 'recovery', body: Readonly<Record<string, unknown>>): Promise<void> {
    return this.#enqueue({ type: 'record', kind, body });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#witnessing?.close();
    if (this.#failure === null) {
      await this.#enqueue({ type: 'checkpoint' }).catch(() => undefined);
    }
    this.#closed = true;
    await this.#inflight?.catch(() => undefined);
    await this.#handle?.close().catch(() => undefined);
    this.#handle = null;
    await this.lock.release();
  }

  /** Stops without a final checkpoint and without releasing the lock: for an open that failed half-way. */
  async abandon(): Promise<void> {
    clearInterval(this.#timer);
    this.#witnessing?.close();
    this.#closed = true;
    await this.#inflight?.catch(() => undefined);
    await this.#handle?.close().catch(() => undefined);
    this.#handle = null;
  }

  /** The promise of the batch that will hold what is queued now; that batch is scheduled (`now`: at once). */
  #nextBatch(now = false): Promise<void> {
    this.#waiter ??= newWaiter();
    this.#schedule(now);
    return this.#waiter.promise;
  }

  /** Whether anything waits for a batch: queued items, or held statement starts. */
  #hasWork(): boolean {
    return this.queuedRecords > 0;
  }

  #refusal(): Promise<void> | null {
    if (this.#failed !== null) return this.#failed;
    if (this.#closed) {
      const closed = Promise.reject(new JournalError(JournalErrorCode.closed, 'the journal writer is closed'));
      closed.catch(() => undefined);
      return closed;
    }
    return null;
  }

  #enqueue(marker: Marker): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    this.#merger?.release();
    this.#queue.pushMarker(marker);
    return this.#nextBatch(true);
  }

  #heartbeat(): void {
    if (this.#failure !== null || this.#closed) return;
    if (Date.now() - this.#encoder.lastCheckpointAt < this.options.checkpointEveryMs) return;
    this.#encoder.lastCheckpointAt = Date.now();
    this.#queue.pushMarker({ type: 'checkpoint' });
    this.#schedule(true);
  }

  #schedule(now = false): void {
    if (this.#inflight !== null) return;
    const urgent = now || this.#urgent();
    if (this.#scheduled) {
      // A batch waiting for its half-window timer starts at once when it becomes urgent (a flush, a long queue).
      if (!urgent || this.#batchTimer === null) return;
      clearTimeout(this.#batchTimer);
      this.#batchTimer = null;
    }
    this.#scheduled = true;
    const run = () => {
      this.#batchTimer = null;
      this.#scheduled = false;
      this.#inflight ??= this.#drain();
    };
    if (urgent) setImmediate(run);
    else
      this.#batchTimer = setTimeout(
        run,
        Math.max(1, this.#lastBatchAt + Math.floor(this.options.batchWindowMs / 2) - Date.now()),
      );
  }

  /**
   * Whether the next batch should start as soon as possible: in strict durability, when a caller
   * waits for durability (flush, checkpoint, close), or when the queue is long. Otherwise (batched)
   * batches start at most every half window: one write + fdatasync per half window instead of one
   * after another, which cost more CPU than everything else the recorder does (measured under pgbench).
   */
  #urgent(): boolean {
    return this.options.durability === 'strict' || this.#waiter !== null || this.#queue.length >= eagerFlushItems;
  }

  async #drain(): Promise<void> {
    let first = true;
    while (this.#hasWork() && this.#failure === null) {
      if (!first && !this.#urgent()) break;
      first = false;
      // Starts still held go into this batch: a statement's start is durable within the window.
      this.#merger?.release();
      this.#lastBatchAt = Date.now();
      const { items, json, heads } = this.#queue.take();
      const waiter = this.#waiter;
      this.#waiter = null;
      try {
        await this.#writeBatch(items, json, heads);
        // After a burst far larger than usual, its buffers are let go (record-queue.ts).
        this.#queue.trim(json);
        this.#encoder.trimArenas(keptBufferBytes);
        waiter?.resolve();
      } catch (err) {
        const failure = this.#fail(err);
        waiter?.reject(failure);
      }
    }
    this.#inflight = null;
    if (this.#hasWork() && this.#failure === null) this.#schedule();
  }

  #fail(err: unknown): JournalError {
    if (this.#failure !== null) return this.#failure;
    const failure =
      err instanceof JournalError
        ? err
        : new JournalError(
            JournalErrorCode.writeFailed,
            'journal write failed; the writer has stopped',
            {},
            { cause: err },
          );
    this.#failure = failure;
    this.#failed = Promise.reject(failure);
    this.#failed.catch(() => undefined);
    this.#waiter?.reject(failure);
    this.#waiter = null;
    this.#queue.clear();
    clearInterval(this.#timer);
    this.options.onFailure?.(failure);
    return failure;
  }

  /**
   * Encodes `items` (events as end offsets into `json`), then writes and syncs them. In batched
   * durability the encoding yields to the event loop every `itemsPerSlice` items: a batch of a
   * half window's records takes 0.2-0.8 ms here, and every session's next message would wait
   * behind it. In strict durability callers wait for the batch, so it is encoded in one piece.
   */
  async #writeBatch(items: readonly (number | Marker)[], json: Buffer, heads: QueuedEventHeads): Promise<void> {
    const slice = this.options.durability === 'batched' ? itemsPerSlice : Number.POSITIVE_INFINITY;
    this.#encoder.begin(items, json, this.#handle !== null, heads);
    while (!this.#encoder.encodeSome(slice)) await yieldToEventLoop();
    const { chunks, latestNote, size } = this.#encoder.finish();
    for (const chunk of chunks) {
      if (chunk.isNew) {
        await this.#handle?.close();
        this.#handle = await this.#openSegment(join(this.dir, chunk.segment), 'ax');
      }
      if (this.#handle === null) throw new Error('no open segment');
      const started = performance.now();
      if (chunk.buffers.length > 0) {
        if (this.options.blockingWrites === true) writeAllBlocking(this.#handle, chunk.buffers);
        else await writeAll(this.#handle, chunk.buffers);
      }
      if (!segmentWritesAreDurable || chunk.buffers.length === 0) await this.#handle.datasync();
      const ms = performance.now() - started;
      this.#durableWrites.count++;
      this.#durableWrites.ms += ms;
      this.options.onDurableWrite?.(ms);
      if (chunk.isNew) await fsyncDir(this.dir);
    }
    this.#durableSize = size;
    this.#checkpoints = this.#encoder.checkpointsEncoded;
    const file =
      this.#witnessing === null
        ? latestNote
        : this.#witnessing.afterBatch(items, latestNote, this.#checkpoints.lastSize);
    if (file !== null) await writeLatestCheckpoint(this.dir, file);
    if (latestNote !== null) this.#witnessing?.submit(latestNote);
  }

  #openSegment(path: string, flags: 'a' | 'ax'): Promise<FileHandle> {
    return (this.options.openSegment ?? openSegmentFile)(path, flags);
  }
}
