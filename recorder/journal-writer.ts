/**
 * The journal writer: appends records to JSON Lines segment files, chains and tree-hashes them, and
 * seals them with signed checkpoints (docs/journal-format.md).
 *
 * Durability: appends are collected and written in batches; one write and one fdatasync cover every
 * record waiting at that moment (group commit). In strict durability a batch starts as soon as the
 * event loop turns, so a caller waits for at most the fsync in progress plus its own; in batched
 * durability batches start half a window apart (sooner when someone waits on flush or the queue
 * is long), so a record is durable within the window and the disk sees two syncs per window. When a write or fsync fails the writer
 * fails closed: the batch and everything after it is rejected with JOURNAL_WRITE_FAILED and nothing
 * more is written, so what was sealed stays intact and the torn tail (if any) is cut on reopen.
 *
 * Checkpoints are appended after every `checkpointEveryRecords` records, every `checkpointEveryMs`
 * (also when idle, as a heartbeat), before a segment is rotated, after a key rotation and at close.
 */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalConfig } from '../config/config.js';
import type { TrailEvent } from './events.js';
import { latestCheckpointFile } from './journal-files.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { acquireJournalLock, type JournalLock } from './journal-lock.js';
import { cutTornWrite } from './journal-recovery.js';
import { scanJournal } from './journal-scan.js';
import { fsyncDir, openSegmentFile, writeAll } from './segment-io.js';
import { nodeSha256, nodeSha256Into } from './node-sha256.js';
import { signNote } from './note-signer.js';
import { eventRecordPrefixMaxBytes, journalRecordLine, writeEventRecordPrefix } from './record-format.js';
import { loadRetiredSigningKey, loadSigningKey, signingKeyFile, type SigningKey } from './signing-key.js';
import { encodeBase64 } from './verify/base64.js';
import { formatCheckpoint } from './verify/checkpoint.js';
import { keyRotationText } from './verify/key-rotation.js';
import type { CompactRange } from './verify/merkle.js';
import { parseVerifierKey } from './verify/note.js';
import { RecordKind } from './verify/record-line.js';
import { segmentName } from './verify/segment-name.js';

/** How to open a writer: the journal section of the config, and optionally the key to sign with. */
export interface JournalWriterOptions extends JournalConfig {
  /** The signing key; by default `keyFile`, else `<dir>/signing-key`, is loaded. */
  readonly signingKey?: SigningKey;
  /** Told once when the writer fails closed (batched appends have no promise to reject). */
  readonly onFailure?: (error: JournalError) => void;
  /** Opens segment files for appending; tests pass one that fails (ENOSPC, EIO) to check failing closed. */
  readonly openSegment?: (path: string, flags: 'a' | 'ax') => Promise<FileHandle>;
}

/** An open journal. One per directory (lock file); see the module comment for durability. */
export interface JournalWriter {
  readonly dir: string;
  readonly origin: string;
  /** The verifier key of the key in force. */
  readonly verifierKey: string;
  /** Records appended, durable or not. */
  readonly size: number;
  /** Records known to be on disk. */
  readonly durableSize: number;
  /** Set once the writer has failed closed. */
  readonly failure: JournalError | null;
  /**
   * Appends an event; the promise settles when its record is durable. The promise is shared by
   * every append of the same batch and is never an unhandled rejection when ignored.
   */
  append(event: TrailEvent): Promise<void>;
  /**
   * Appends an event without waiting (batched durability): null when queued (a later disk failure
   * goes to onFailure); the batch's promise, as append() returns it, when the JSON queued for the
   * next batch exceeds maxQueuedJsonBytes (the caller waits, which bounds the queue's memory when
   * the disk is slower than the events); or the rejection when the writer has failed or is closed.
   */
  appendWithoutWaiting(event: TrailEvent): Promise<void> | null;
  /** Resolves when everything appended so far is durable. */
  flush(): Promise<void>;
  /** Appends a checkpoint now and resolves when it is durable and the latest-checkpoint file names it. */
  checkpoint(): Promise<void>;
  /** Hands over to `key` (same name): a key.rotated record signed by the current key, then a checkpoint signed by the new one. */
  rotateKey(key: SigningKey): Promise<void>;
  /** Writes a final checkpoint, waits for durability and releases the lock. */
  close(): Promise<void>;
}

type Marker =
  | { readonly type: 'checkpoint' }
  | { readonly type: 'record'; readonly kind: 'journal.started' | 'recovery'; readonly body: Readonly<Record<string, unknown>> }
  | { readonly type: 'rotate'; readonly key: SigningKey };

interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface SegmentChunk {
  readonly segment: string;
  readonly isNew: boolean;
  readonly buffers: Buffer[];
}

function newWaiter(): Waiter {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller may ignore the promise (events that do not gate forwarding); never let that crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

// Room kept in a segment for the checkpoint written when it is rotated.
const checkpointReserveBytes = 1024;
// Size of the buffers records are encoded into.
const arenaBytes = 1 << 20;
// Reusable buffers kept between batches, at most (json and arenas each): a burst's are let go.
const keptBufferBytes = 16 * arenaBytes;
// In batched durability, a batch this large is written without waiting for the window.
const eagerFlushItems = 8192;
/**
 * Queued JSON beyond which appendWithoutWaiting returns the batch's promise instead of null: a
 * bound on the memory held by records that are not yet written (docs/journal-format.md section 6).
 */
export const maxQueuedJsonBytes = 64 * 1024 * 1024;

class Writer implements JournalWriter {
  readonly dir: string;
  readonly origin: string;
  #key: SigningKey;
  #size: number;
  #durableSize: number;
  // The last record's leaf hash: the next record's `prev` (written as base64 straight into its line).
  readonly #prevHash = new Uint8Array(32);
  readonly #range: CompactRange;
  #segment: string;
  #segmentBytes: number;
  #handle: FileHandle | null;
  #sinceCheckpoint: number;
  #lastCheckpointAt = Date.now();
  // When the last batch started (ms): in batched durability the next starts half a window later.
  #lastBatchAt = 0;
  // An event is queued as the end offset of its JSON in #json (the previous event's end is its
  // start): queued events then hold no strings or objects on the heap, which the garbage collector
  // would otherwise copy on every scavenge until the batch is written (measured: the largest cost
  // of a batched append). Two buffers alternate: one is being encoded while the other fills.
  #pending: (number | Marker)[] = [];
  #json = Buffer.allocUnsafe(arenaBytes);
  #jsonBytes = 0;
  #spareJson = Buffer.allocUnsafe(arenaBytes);
  #waiter: Waiter | null = null;
  #inflight: Promise<void> | null = null;
  #scheduled = false;
  // The timer of a batch scheduled for later (batched durability), while it waits.
  #batchTimer: NodeJS.Timeout | null = null;
  #failure: JournalError | null = null;
  #failed: Promise<void> | null = null;
  #closed = false;
  readonly #arenas: Buffer[] = [];
  // The batch being encoded (#encodeBatch and the methods after it).
  #chunks: SegmentChunk[] = [];
  #latestNote: string | null = null;
  #batchJson: Uint8Array = new Uint8Array(0);
  #arenaIndex = 0;
  #arenaBuffer: Buffer = Buffer.alloc(0);
  #arenaView: Uint8Array = new Uint8Array(0);
  #offset = 1;
  #sliceStart = 1;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly options: JournalWriterOptions,
    private readonly lock: JournalLock,
    state: { key: SigningKey; origin: string; size: number; prevHash: Uint8Array; range: CompactRange; segment: string; segmentBytes: number; handle: FileHandle | null; sinceCheckpoint: number },
  ) {
    this.dir = options.dir;
    this.origin = state.origin;
    this.#key = state.key;
    this.#size = state.size;
    this.#durableSize = state.size;
    this.#prevHash.set(state.prevHash);
    this.#range = state.range;
    this.#segment = state.segment;
    this.#segmentBytes = state.segmentBytes;
    this.#handle = state.handle;
    this.#sinceCheckpoint = state.sinceCheckpoint;
    this.#timer = setInterval(() => this.#heartbeat(), Math.max(10, Math.floor(options.checkpointEveryMs / 2)));
    this.#timer.unref();
  }

  get verifierKey(): string {
    return this.#key.verifierKey;
  }
  get size(): number {
    return this.#size + this.#pending.length;
  }
  get durableSize(): number {
    return this.#durableSize;
  }
  get failure(): JournalError | null {
    return this.#failure;
  }

  append(event: TrailEvent): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    this.#queueEvent(event);
    this.#waiter ??= newWaiter();
    this.#schedule();
    return this.#waiter.promise;
  }

  appendWithoutWaiting(event: TrailEvent): Promise<void> | null {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    this.#queueEvent(event);
    if (this.#jsonBytes > maxQueuedJsonBytes) {
      // The disk is behind: the caller waits for this batch (a waiter also starts it as soon as the one in flight ends).
      this.#waiter ??= newWaiter();
      this.#schedule();
      return this.#waiter.promise;
    }
    this.#schedule();
    return null;
  }

  flush(): Promise<void> {
    if (this.#failed !== null) return this.#failed;
    if (this.#pending.length > 0) {
      this.#waiter ??= newWaiter();
      this.#schedule();
      return this.#waiter.promise;
    }
    return this.#inflight ?? Promise.resolve();
  }

  checkpoint(): Promise<void> {
    return this.#enqueue({ type: 'checkpoint' });
  }

  rotateKey(key: SigningKey): Promise<void> {
    if (key.name !== this.origin) {
      return Promise.reject(new JournalError(JournalErrorCode.keyMismatch, 'a rotated key must keep the journal origin as its name'));
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
    this.#closed = true;
    await this.#inflight?.catch(() => undefined);
    await this.#handle?.close().catch(() => undefined);
    this.#handle = null;
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

  #queueEvent(event: TrailEvent): void {
    const json = JSON.stringify(event);
    // UTF-16 code units never take more than 3 bytes in UTF-8.
    if (this.#jsonBytes + json.length * 3 > this.#json.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#json.length * 2, this.#jsonBytes + json.length * 3));
      this.#json.copy(bigger, 0, 0, this.#jsonBytes);
      this.#json = bigger;
    }
    this.#jsonBytes += this.#json.write(json, this.#jsonBytes, 'utf8');
    this.#pending.push(this.#jsonBytes);
  }

  #enqueue(marker: Marker): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return refused;
    this.#pending.push(marker);
    this.#waiter ??= newWaiter();
    this.#schedule(true);
    return this.#waiter.promise;
  }

  #heartbeat(): void {
    if (this.#failure !== null || this.#closed) return;
    if (Date.now() - this.#lastCheckpointAt < this.options.checkpointEveryMs) return;
    this.#lastCheckpointAt = Date.now();
    this.#pending.push({ type: 'checkpoint' });
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
    else this.#batchTimer = setTimeout(run, Math.max(1, this.#lastBatchAt + Math.floor(this.options.batchWindowMs / 2) - Date.now()));
  }

  /**
   * Whether the next batch should start as soon as possible: in strict durability, when a caller
   * waits for durability (flush, checkpoint, close), or when the queue is long. Otherwise (batched)
   * batches start at most every half window: one write + fdatasync per half window instead of one
   * after another, which cost more CPU than everything else the recorder does (measured under pgbench).
   */
  #urgent(): boolean {
    return this.options.durability === 'strict' || this.#waiter !== null || this.#pending.length >= eagerFlushItems;
  }

  async #drain(): Promise<void> {
    let first = true;
    while (this.#pending.length > 0 && this.#failure === null) {
      if (!first && !this.#urgent()) break;
      first = false;
      this.#lastBatchAt = Date.now();
      const items = this.#pending;
      const json = this.#json;
      this.#json = this.#spareJson;
      this.#spareJson = json;
      this.#jsonBytes = 0;
      const waiter = this.#waiter;
      this.#pending = [];
      this.#waiter = null;
      try {
        await this.#writeBatch(items, json);
        this.#trimBuffers(json);
        waiter?.resolve();
      } catch (err) {
        const failure = this.#fail(err);
        waiter?.reject(failure);
      }
    }
    this.#inflight = null;
    if (this.#pending.length > 0 && this.#failure === null) this.#schedule();
  }

  #fail(err: unknown): JournalError {
    if (this.#failure !== null) return this.#failure;
    const failure =
      err instanceof JournalError ? err : new JournalError(JournalErrorCode.writeFailed, 'journal write failed; the writer has stopped', {}, { cause: err });
    this.#failure = failure;
    this.#failed = Promise.reject(failure);
    this.#failed.catch(() => undefined);
    this.#waiter?.reject(failure);
    this.#waiter = null;
    this.#pending = [];
    this.#jsonBytes = 0;
    clearInterval(this.#timer);
    this.options.onFailure?.(failure);
    return failure;
  }

  /** Encodes `items` (events as end offsets into `json`), synchronously, then writes and syncs them. */
  async #writeBatch(items: readonly (number | Marker)[], json: Buffer): Promise<void> {
    this.#encodeBatch(items, json);
    const chunks = this.#chunks;
    const latestNote = this.#latestNote;
    this.#chunks = [];
    const size = this.#size;
    for (const chunk of chunks) {
      if (chunk.isNew) {
        await this.#handle?.close();
        this.#handle = await this.#openSegment(join(this.dir, chunk.segment), 'ax');
      }
      if (this.#handle === null) throw new Error('no open segment');
      if (chunk.buffers.length > 0) await writeAll(this.#handle, chunk.buffers);
      await this.#handle.datasync();
      if (chunk.isNew) await fsyncDir(this.dir);
    }
    this.#durableSize = size;
    if (latestNote !== null) await this.#writeLatestCheckpoint(latestNote);
  }

  // Encoding a batch. Records are encoded side by side into arena buffers (fewer allocations than a
  // Buffer per record); a full arena, or a new segment, closes the slice written so far. Byte 0 of
  // an arena is never written out: it is the byte before the first record, which the leaf hash
  // borrows (#seal). Arenas are kept for the next batch (batches run one at a time and every write
  // of one is awaited): a fresh megabyte per batch costs page faults and external-memory garbage
  // collections. The state is in fields and the steps are methods, not closures made per batch: the
  // JIT then keeps one optimised version of them (closures were recompiled for every batch).

  #encodeBatch(items: readonly (number | Marker)[], json: Buffer): void {
    this.#chunks = [{ segment: this.#segment, isNew: this.#handle === null, buffers: [] }];
    this.#latestNote = null;
    this.#arenaIndex = 0;
    this.#useArena(this.#arenaAt(0, 0));
    // A plain view of the queued JSON: its subarrays cost less than a Buffer's, and set() less than copy().
    this.#batchJson = new Uint8Array(json.buffer, json.byteOffset, json.length);
    let eventStart = 0;
    for (const item of items) {
      if (typeof item === 'number') {
        this.#addEvent(eventStart, item);
        eventStart = item;
        if (this.#sinceCheckpoint >= this.options.checkpointEveryRecords) this.#addCheckpoint();
      } else if (item.type === 'checkpoint') {
        this.#addCheckpoint();
      } else if (item.type === 'record') {
        this.#addText(() => journalRecordLine(this.#size, this.#prevBase64(), item.kind, item.body), true);
      } else {
        const oldKey = this.#key;
        const vkey = item.key.verifierKey;
        this.#addText(() => journalRecordLine(this.#size, this.#prevBase64(), RecordKind.keyRotated, { ts: Date.now(), vkey, note: signNote(keyRotationText(this.origin, this.#size, vkey), oldKey) }), true);
        this.#key = item.key;
        this.#addCheckpoint();
      }
    }
    this.#closeSlice();
    this.#batchJson = new Uint8Array(0);
  }

  #useArena(arena: Buffer): void {
    this.#arenaBuffer = arena;
    // A plain view for hashing: its subarrays cost less than a Buffer's.
    this.#arenaView = new Uint8Array(arena.buffer, arena.byteOffset, arena.length);
    this.#offset = 1;
    this.#sliceStart = 1;
  }

  #closeSlice(): void {
    if (this.#offset > this.#sliceStart) this.#chunks[this.#chunks.length - 1]!.buffers.push(this.#arenaBuffer.subarray(this.#sliceStart, this.#offset));
    this.#sliceStart = this.#offset;
  }

  /** Makes room for a line of at most `bytes` bytes and its newline. */
  #reserve(bytes: number): void {
    if (this.#offset + bytes + 1 > this.#arenaBuffer.length) {
      this.#closeSlice();
      this.#useArena(this.#arenaAt(++this.#arenaIndex, bytes + 2));
    }
  }

  #prevBase64(): string {
    return encodeBase64(this.#prevHash);
  }

  /** An event line is its envelope, its JSON copied as bytes, and the closing brace (record-format.ts); no string is made. */
  #encodeEvent(start: number, end: number): number {
    this.#reserve(eventRecordPrefixMaxBytes + (end - start) + 1);
    const arena = this.#arenaBuffer;
    const offset = this.#offset;
    let length = writeEventRecordPrefix(arena, offset, this.#size, this.#prevHash);
    arena.set(this.#batchJson.subarray(start, end), offset + length);
    length += end - start;
    arena[offset + length] = 0x7d;
    return length + 1;
  }

  #encodeText(text: string): number {
    // UTF-16 code units never take more than 3 bytes in UTF-8.
    this.#reserve(text.length * 3);
    return this.#arenaBuffer.write(text, this.#offset, 'utf8');
  }

  // A line is built from the current index and prev, so it is built again after a rotation checkpoint.
  #addEvent(start: number, end: number): void {
    let length = this.#encodeEvent(start, end);
    if (this.#mustRotate(length)) {
      this.#rotate();
      length = this.#encodeEvent(start, end);
    }
    this.#seal(length);
  }

  #addText(line: () => string, mayRotate: boolean): void {
    let length = this.#encodeText(line());
    if (mayRotate && this.#mustRotate(length)) {
      this.#rotate();
      length = this.#encodeText(line());
    }
    this.#seal(length);
  }

  #mustRotate(length: number): boolean {
    return this.#segmentBytes > 0 && this.#segmentBytes + length + 1 + checkpointReserveBytes > this.options.segmentMaxBytes;
  }

  /** Seals the segment with a checkpoint and starts the next one at the current index. */
  #rotate(): void {
    this.#addCheckpoint();
    this.#closeSlice();
    this.#segment = segmentName(this.#size);
    this.#segmentBytes = 0;
    this.#chunks.push({ segment: this.#segment, isNew: true, buffers: [] });
  }

  /** Ends the line just encoded (`length` bytes at the offset): newline, leaf hash, chain and tree. */
  #seal(length: number): void {
    const arena = this.#arenaBuffer;
    const offset = this.#offset;
    arena[offset + length] = 0x0a;
    // Leaf hash = SHA-256(0x00 || line): borrow the byte before the line (the previous newline, or
    // the arena's spare first byte) for the 0x00 instead of copying the line. Hashed into the reused
    // prev hash: no digest allocated per record (node-sha256.ts).
    const before = arena[offset - 1]!;
    arena[offset - 1] = 0x00;
    nodeSha256Into(this.#arenaView.subarray(offset - 1, offset + length), this.#prevHash, 0);
    arena[offset - 1] = before;
    this.#offset = offset + length + 1;
    this.#range.appendLeafHash(this.#prevHash);
    this.#size++;
    this.#sinceCheckpoint++;
    this.#segmentBytes += length + 1;
  }

  #addCheckpoint(): void {
    const note = signNote(formatCheckpoint(this.origin, this.#size, this.#range.root()), this.#key);
    this.#addText(() => journalRecordLine(this.#size, this.#prevBase64(), RecordKind.checkpoint, { note }), false);
    this.#sinceCheckpoint = 0;
    this.#lastCheckpointAt = Date.now();
    this.#latestNote = note;
  }

  /**
   * After a batch far larger than usual (a burst up to maxQueuedJsonBytes), lets its buffers go:
   * what is kept for reuse stays near a normal batch's size.
   */
  #trimBuffers(json: Buffer): void {
    if (json.length > keptBufferBytes && this.#spareJson === json) this.#spareJson = Buffer.allocUnsafe(arenaBytes);
    if (this.#arenas.length > keptBufferBytes / arenaBytes) this.#arenas.length = keptBufferBytes / arenaBytes;
  }

  /** The n-th reusable arena of a batch, at least `bytes` long. */
  #arenaAt(n: number, bytes: number): Buffer {
    const kept = this.#arenas[n];
    if (kept !== undefined && kept.length >= bytes) return kept;
    const arena = Buffer.allocUnsafe(Math.max(arenaBytes, bytes));
    this.#arenas[n] = arena;
    return arena;
  }

  #openSegment(path: string, flags: 'a' | 'ax'): Promise<FileHandle> {
    return (this.options.openSegment ?? openSegmentFile)(path, flags);
  }

  async #writeLatestCheckpoint(note: string): Promise<void> {
    const path = join(this.dir, latestCheckpointFile);
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(note);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await fsyncDir(this.dir);
  }
}

/**
 * Opens (creating when absent) the journal in `options.dir`: takes the lock, checks the journal
 * (journal-scan.ts), cuts a torn final write into a `.torn-<offset>` file and records that, hands
 * over to a new signing key when the key file changed since the last run, and returns the writer.
 */
export async function openJournalWriter(options: JournalWriterOptions): Promise<JournalWriter> {
  const dir = options.dir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = options.keyFile ?? join(dir, signingKeyFile);
  const key = options.signingKey ?? (await loadSigningKey(keyPath));
  const lock = await acquireJournalLock(dir);
  let writer: Writer | null = null;
  try {
    const scanned = await scanJournal(dir);
    const recovery = scanned.torn === null ? null : await cutTornWrite(dir, scanned.torn);
    const origin = scanned.origin ?? key.name;
    const journalKey = scanned.verifierKey === null ? null : parseVerifierKey(scanned.verifierKey, nodeSha256);
    let initialKey = key;
    if (journalKey !== null && journalKey.text !== key.verifierKey) {
      // The key file changed (keygen --rotate): the retired key must sign the hand-over.
      const retired = options.signingKey === undefined ? await loadRetiredSigningKey(keyPath, journalKey.keyId) : null;
      if (retired === null || retired.verifierKey !== journalKey.text || key.name !== origin) {
        throw new JournalError(JournalErrorCode.keyMismatch, 'the signing key is not the journal key and the retired journal key is not available');
      }
      initialKey = retired;
    }
    const last = scanned.lastSegment;
    const segment = last?.name ?? segmentName(0);
    const handle = last === null ? null : await (options.openSegment ?? openSegmentFile)(join(dir, segment), 'a');
    writer = new Writer(options, lock, {
      key: initialKey,
      origin,
      size: scanned.size,
      prevHash: Buffer.from(scanned.prevHash, 'base64'),
      range: scanned.range,
      segment,
      segmentBytes: last?.bytes ?? 0,
      handle,
      sinceCheckpoint: scanned.sinceCheckpoint,
    });
    if (scanned.size === 0) {
      await writer.enqueueRecord(RecordKind.journalStarted, { ts: Date.now(), origin, vkey: key.verifierKey, format: 1 });
      await writer.checkpoint();
    }
    if (recovery !== null) await writer.enqueueRecord(RecordKind.recovery, recovery);
    if (initialKey !== key) await writer.rotateKey(key);
    if (writer.failure !== null) throw writer.failure;
    return writer;
  } catch (err) {
    await writer?.abandon();
    await lock.release();
    throw err;
  }
}
