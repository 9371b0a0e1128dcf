/**
 * Encodes batches of queued records into journal lines (docs/journal-format.md): each record's
 * envelope with its index and the previous record's hash, the leaf hash that chains it and grows
 * the Merkle tree, checkpoints signed every `checkpointEveryRecords` records and at rotation, and
 * the split into segment files. It holds the journal's position (size, prev hash, tree, segment);
 * the writer (journal-writer.ts) does the queueing, the I/O and the durability.
 */
import type { JournalConfig } from '../config/config.js';
import { nodeSha256Into } from './node-sha256.js';
import { signNote } from './note-signer.js';
import { eventRecordPrefixMaxBytes, journalRecordLine, writeEventRecordPrefix } from './record-format.js';
import type { SigningKey } from './signing-key.js';
import { encodeBase64 } from './format/base64.js';
import { formatCheckpoint } from './format/checkpoint.js';
import { keyRotationText } from './format/key-rotation.js';
import type { CompactRange } from './format/merkle.js';
import { RecordKind } from './format/record-line.js';
import { segmentName } from './format/segment-name.js';
import { ChainRole, chainMembersMaxBytes, type ChainLink, writeChainMembers } from './format/session-chain.js';

/** The journal's own records queued as a kind and a body. */
export type OwnRecordKind = 'journal.started' | 'recovery' | 'hold' | 'hold.released' | 'cosignature' | 'witness.alarm';

/** What is queued besides events: a checkpoint, one of the journal's own records, or a key hand-over. */
export type Marker =
  | { readonly type: 'checkpoint' }
  | {
      readonly type: 'record';
      readonly kind: OwnRecordKind;
      readonly body: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'rotate'; readonly key: SigningKey }
  /** A witness's cosignature line on the checkpoint of `size`: a `cosignature` record when `record` (format 2). */
  | { readonly type: 'cosigned'; readonly size: number; readonly line: string; readonly record: boolean };

/** The encoded lines of one segment file, in order; `isNew` when the file must be created first. */
export interface SegmentChunk {
  readonly segment: string;
  readonly isNew: boolean;
  readonly buffers: Buffer[];
}

/** One encoded batch: its chunks, the last checkpoint note in it (if any) and the journal size after it. */
export interface EncodedBatch {
  readonly chunks: readonly SegmentChunk[];
  readonly latestNote: string | null;
  readonly size: number;
}

/** Where the journal stands when the encoder takes over (from journal-scan.ts, or a new journal). */
export interface JournalPosition {
  readonly key: SigningKey;
  readonly origin: string;
  readonly size: number;
  readonly prevHash: Uint8Array;
  readonly range: CompactRange;
  readonly segment: string;
  readonly segmentBytes: number;
  readonly sinceCheckpoint: number;
  /**
   * The open sessions' chains (format/session-chain.ts) from the reopen scan, or null when the
   * journal's format has none (before format 3): then no event carries chain members.
   */
  readonly chains: Map<string, ChainLink> | null;
  /** The journal's format (journal.started's `format`; docs/journal-format.md §9). */
  readonly format: number;
}

/**
 * Each queued event's session and chain role, in queue order (one entry per event, none per
 * marker): the encoder needs them to chain an event, and reading them from the JSON would cost more.
 */
export interface QueuedEventHeads {
  readonly sessions: readonly (string | null)[];
  readonly roles: readonly ChainRole[];
}

// Room kept in a segment for the checkpoint written when it is rotated.
const checkpointReserveBytes = 1024;
/** Size of the buffers records are encoded into. */
export const arenaBytes = 1 << 20;

/** See the module comment. */
export class BatchEncoder {
  readonly origin: string;
  #key: SigningKey;
  #size: number;
  // The last record's leaf hash: the next record's `prev` (written as base64 straight into its line).
  readonly #prevHash = new Uint8Array(32);
  readonly #range: CompactRange;
  // Open sessions' chains: one leaf hash and a count per open session (null: the format has none).
  readonly #chains: Map<string, ChainLink> | null;
  // The chain of the event being added (#chainOf sets it, #addEvent takes it).
  #link: ChainLink | null = null;
  #heads: QueuedEventHeads = { sessions: [], roles: [] };
  #eventNumber = 0;
  #segment: string;
  #segmentBytes: number;
  #sinceCheckpoint: number;
  #lastCheckpointAt = Date.now();
  #checkpointsEncoded = 0;
  #lastCheckpointSize = 0;
  readonly #arenas: Buffer[] = [];
  // The batch being encoded (encode and the methods after it).
  #chunks: SegmentChunk[] = [];
  #latestNote: string | null = null;
  #batchJson: Uint8Array = new Uint8Array(0);
  #items: readonly (number | Marker)[] = [];
  // The next item to encode, and where its JSON starts if it is an event.
  #itemIndex = 0;
  #eventStart = 0;
  #arenaIndex = 0;
  #arenaBuffer: Buffer = Buffer.alloc(0);
  #arenaView: Uint8Array = new Uint8Array(0);
  #offset = 1;
  #sliceStart = 1;

  readonly #limits: Pick<JournalConfig, 'checkpointEveryRecords' | 'segmentMaxBytes'>;

  /** Told each record's leaf hash as it is encoded (the witness client's tree); the hash is reused after the call. */
  onLeafHash: ((hash: Uint8Array) => void) | null = null;

  constructor(position: JournalPosition, limits: Pick<JournalConfig, 'checkpointEveryRecords' | 'segmentMaxBytes'>) {
    this.#limits = limits;
    this.origin = position.origin;
    this.#key = position.key;
    this.#size = position.size;
    this.#prevHash.set(position.prevHash);
    this.#range = position.range;
    this.#chains = position.chains;
    this.#segment = position.segment;
    this.#segmentBytes = position.segmentBytes;
    this.#sinceCheckpoint = position.sinceCheckpoint;
  }

  /** Records encoded so far (the journal's size once they are written). */
  get size(): number {
    return this.#size;
  }
  /** Checkpoints encoded since this encoder was made, and the tree size the last one signed. */
  get checkpointsEncoded(): { readonly count: number; readonly lastSize: number } {
    return { count: this.#checkpointsEncoded, lastSize: this.#lastCheckpointSize };
  }
  /** The key that signs the next checkpoint. */
  get key(): SigningKey {
    return this.#key;
  }
  /** When the last checkpoint was encoded (ms); the heartbeat moves it when it queues one. */
  get lastCheckpointAt(): number {
    return this.#lastCheckpointAt;
  }
  set lastCheckpointAt(ms: number) {
    this.#lastCheckpointAt = ms;
  }

  /** Lets go of arenas beyond `keep` bytes' worth (after a burst far larger than usual). */
  trimArenas(keepBytes: number): void {
    const keep = Math.floor(keepBytes / arenaBytes);
    if (this.#arenas.length > keep) this.#arenas.length = keep;
  }

  // Encoding a batch. Records are encoded side by side into arena buffers (fewer allocations than a
  // Buffer per record); a full arena, or a new segment, closes the slice written so far. Byte 0 of
  // an arena is never written out: it is the byte before the first record, which the leaf hash
  // borrows (#seal). Arenas are kept for the next batch (batches run one at a time and every write
  // of one is awaited): a fresh megabyte per batch costs page faults and external-memory garbage
  // collections. The state is in fields and the steps are methods, not closures made per batch: the
  // JIT then keeps one optimised version of them (closures were recompiled for every batch).

  // A batch is encoded by begin, encodeSome until it returns true, and finish. Every step reads and
  // writes only the encoder's own state, which stays put between calls: a batch encoded in slices
  // has the same bytes as one encoded at once. In batched durability the writer yields to the event
  // loop between slices, so a long batch does not hold every session's next message.

  /**
   * Starts encoding `items` (events as end offsets into `json`, in order) and the checkpoints and
   * rotations they call for; `segmentOpen` says whether the current segment file exists yet.
   * `json` and `heads` must stay unchanged until finish. Nothing is written: the caller writes the
   * chunks finish returns in order and syncs them.
   */
  begin(items: readonly (number | Marker)[], json: Buffer, segmentOpen: boolean, heads: QueuedEventHeads): void {
    this.#items = items;
    this.#itemIndex = 0;
    this.#eventStart = 0;
    this.#heads = heads;
    this.#eventNumber = 0;
    this.#chunks = [{ segment: this.#segment, isNew: !segmentOpen, buffers: [] }];
    this.#latestNote = null;
    this.#arenaIndex = 0;
    this.#useArena(this.#arenaAt(0, 0));
    // A plain view of the queued JSON: its subarrays cost less than a Buffer's, and set() less than copy().
    this.#batchJson = new Uint8Array(json.buffer, json.byteOffset, json.length);
  }

  /** Items of the batch begun that are not encoded yet. */
  get itemsLeft(): number {
    return this.#items.length - this.#itemIndex;
  }

  /** Encodes the batch's next `maxItems` items (at least one); true when the whole batch is encoded. */
  encodeSome(maxItems: number): boolean {
    const items = this.#items;
    const end = Math.min(items.length, this.#itemIndex + Math.max(1, maxItems));
    for (; this.#itemIndex < end; this.#itemIndex++) this.#addItem(items[this.#itemIndex]!);
    return this.#itemIndex === items.length;
  }

  /** Ends the batch begun and hands over its chunks. */
  finish(): EncodedBatch {
    this.#closeSlice();
    this.#items = [];
    this.#itemIndex = 0;
    this.#batchJson = new Uint8Array(0);
    this.#heads = { sessions: [], roles: [] };
    const batch = { chunks: this.#chunks, latestNote: this.#latestNote, size: this.#size };
    this.#chunks = [];
    return batch;
  }

  #addItem(item: number | Marker): void {
    if (typeof item === 'number') {
      this.#addEvent(this.#eventStart, item);
      this.#eventStart = item;
      if (this.#sinceCheckpoint >= this.#limits.checkpointEveryRecords) this.#addCheckpoint();
    } else if (item.type === 'checkpoint') {
      this.#addCheckpoint();
    } else if (item.type === 'record') {
      this.#addText(() => journalRecordLine(this.#size, this.#prevBase64(), item.kind, item.body), true);
    } else if (item.type === 'cosigned') {
      const body = { size: item.size, cosignature: item.line };
      if (item.record)
        this.#addText(() => journalRecordLine(this.#size, this.#prevBase64(), RecordKind.cosignature, body), true);
    } else {
      const oldKey = this.#key;
      const vkey = item.key.verifierKey;
      this.#addText(
        () =>
          journalRecordLine(this.#size, this.#prevBase64(), RecordKind.keyRotated, {
            ts: Date.now(),
            vkey,
            note: signNote(keyRotationText(this.origin, this.#size, vkey), oldKey),
          }),
        true,
      );
      this.#key = item.key;
      this.#addCheckpoint();
    }
  }

  #useArena(arena: Buffer): void {
    this.#arenaBuffer = arena;
    // A plain view for hashing: its subarrays cost less than a Buffer's.
    this.#arenaView = new Uint8Array(arena.buffer, arena.byteOffset, arena.length);
    this.#offset = 1;
    this.#sliceStart = 1;
  }

  #closeSlice(): void {
    if (this.#offset > this.#sliceStart)
      this.#chunks[this.#chunks.length - 1]!.buffers.push(this.#arenaBuffer.subarray(this.#sliceStart, this.#offset));
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
  #encodeEvent(start: number, end: number, link: ChainLink | null): number {
    this.#reserve(eventRecordPrefixMaxBytes + (end - start) + chainMembersMaxBytes + 2);
    const arena = this.#arenaBuffer;
    const offset = this.#offset;
    let length = writeEventRecordPrefix(arena, offset, this.#size, this.#prevHash);
    if (link === null) {
      arena.set(this.#batchJson.subarray(start, end), offset + length);
      length += end - start;
    } else {
      // The chain members go inside the event object, before its closing brace.
      arena.set(this.#batchJson.subarray(start, end - 1), offset + length);
      length += end - 1 - start;
      length += writeChainMembers(arena, offset + length, link.leaf, link.sn + 1);
      arena[offset + length++] = 0x7d;
    }
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
    const n = this.#eventNumber++;
    const role = this.#chains === null ? ChainRole.member : this.#chainOf(n);
    const link = this.#link;
    this.#link = null;
    // A rotation writes a checkpoint, which must not take the event's chain.
    let length = this.#encodeEvent(start, end, link);
    if (this.#mustRotate(length)) {
      this.#rotate();
      length = this.#encodeEvent(start, end, link);
    }
    this.#seal(length);
    if (link !== null) {
      link.leaf.set(this.#prevHash);
      link.sn++;
      if (role === ChainRole.closed) this.#chains!.delete(this.#heads.sessions[n]!);
    }
  }

  /** Sets #link to the chain event `n` of the batch continues or starts (none: null); returns its role. */
  #chainOf(n: number): ChainRole {
    const chains = this.#chains!;
    const session = this.#heads.sessions[n] ?? null;
    const role = this.#heads.roles[n] ?? ChainRole.member;
    if (session === null) this.#link = null;
    else if (role === ChainRole.opened) {
      this.#link = { leaf: new Uint8Array(32), sn: 0 };
      chains.set(session, this.#link);
    } else this.#link = chains.size === 0 ? null : (chains.get(session) ?? null);
    return role;
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
    return (
      this.#segmentBytes > 0 && this.#segmentBytes + length + 1 + checkpointReserveBytes > this.#limits.segmentMaxBytes
    );
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
    if (this.onLeafHash !== null) this.onLeafHash(this.#prevHash);
    this.#size++;
    this.#sinceCheckpoint++;
    this.#segmentBytes += length + 1;
  }

  #addCheckpoint(): void {
    const treeSize = this.#size;
    const note = signNote(formatCheckpoint(this.origin, this.#size, this.#range.root()), this.#key);
    this.#addText(() => journalRecordLine(this.#size, this.#prevBase64(), RecordKind.checkpoint, { note }), false);
    this.#sinceCheckpoint = 0;
    this.#lastCheckpointAt = Date.now();
    this.#latestNote = note;
    this.#checkpointsEncoded++;
    this.#lastCheckpointSize = treeSize;
  }

  /** The n-th reusable arena of a batch, at least `bytes` long. */
  #arenaAt(n: number, bytes: number): Buffer {
    const kept = this.#arenas[n];
    if (kept !== undefined && kept.length >= bytes) return kept;
    const arena = Buffer.allocUnsafe(Math.max(arenaBytes, bytes));
    this.#arenas[n] = arena;
    return arena;
  }
}
