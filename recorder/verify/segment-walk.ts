/**
 * The one walk over a journal's segments, record by record: segments in name order, lines split
 * across chunks, each record's index and `prev` held against its position and its predecessor's
 * leaf hash, and the record appended to the Merkle tree. The verifier (journal-verifier.ts) and the
 * writer's reopen scan (../journal-scan.ts) both walk with it and differ only in what they do about
 * a problem (a finding, or refusing to open), which they say through a WalkOwner.
 *
 * Event records, nearly all of a journal, are checked on their bytes (EventEnvelopeReader), with no
 * string or digest made per record; anything else is handed to the owner as bytes to parse as text.
 */
import { encodeBase64Into } from '../format/base64.js';
import { CompactRange, hashSize } from '../format/merkle.js';
import { EventEnvelopeReader } from '../format/record-line.js';
import { parseSegmentName } from '../format/segment-name.js';
import type { Sha256, Sha256Into } from '../format/sha256.js';

/** One segment file: its name and a way to read all of its bytes (which the walk may briefly modify and restores). */
export interface SegmentSource {
  readonly name: string;
  read(): Promise<Uint8Array>;
  /**
   * Optional, preferred over read(): the bytes as consecutive chunks, each ending at a line end
   * except possibly the last. A chunk may be reused for the next one once the next is asked for;
   * reading a large segment into one fresh buffer costs more than verifying it (page faults).
   */
  chunks?(): AsyncIterable<Uint8Array>;
}

/** Where a record is: its segment, line (1-based), byte offset in the segment and position in the journal. */
export interface RecordLocation {
  readonly segment: string;
  readonly line: number;
  readonly offset: number;
  readonly index: number;
}

/** What the owner of a walk decides; the walk itself never judges. */
export interface WalkOwner {
  /** A segment begins; `first` is the index its name declares (null: none). False skips the segment. */
  segmentStarts(name: string, first: number | null, walk: SegmentWalk): boolean;
  /** An event record whose index is not its position, or whose prev is not its predecessor's hash. */
  eventOutOfPlace(index: number, chained: boolean, at: RecordLocation, walk: SegmentWalk): void;
  /**
   * A record the byte reader did not take (the journal's own records, pruned records, or damage):
   * its bytes, to parse as text. Returns the leaf hash a well-formed pruned record stores, which the
   * walk then uses instead of hashing the line (docs/journal-format.md section 10), else null.
   */
  textRecord(raw: Uint8Array, at: RecordLocation, walk: SegmentWalk): Uint8Array | null;
  /** A segment's bytes after its last newline (an unfinished record), with where it starts. */
  unfinishedTail(bytes: Uint8Array, at: RecordLocation, isLast: boolean, walk: SegmentWalk): void;
  /**
   * An event record in its place, read by its bytes: its event object is bytes[start:end], the
   * line starts at `lineStart`, and walk.leaf is its leaf hash. Optional: the reopen scan follows
   * sessions with it (sessions-left-open.ts), the scan and the verifier the session chains.
   */
  event?(bytes: Uint8Array, start: number, end: number, walk: SegmentWalk, lineStart: number): void;
}

// Characters of a hash's base64 (`prev`), which are also the bytes of its ASCII spelling.
const base64Length = 44;

/** The walk's state: the tree so far, the last record's hash and where the walk is. */
export class SegmentWalk {
  /** Records walked so far: the position of the next one. */
  pos = 0;
  /** The tree of the records walked so far. */
  readonly range: CompactRange;
  /** The last record's leaf hash (all zeros before the first record). */
  readonly leaf = new Uint8Array(hashSize);
  /** The last record's leaf hash in base64, as the next record's `prev` must spell it (ASCII bytes). */
  readonly prevBase64 = new Uint8Array(base64Length);
  /** Where the previous record is; its segment is null before the first record. */
  prevSegment: string | null = null;
  prevLine = 0;
  prevOffset = 0;
  /**
   * The last record's index minus its position, as the owner last judged it (0 for a record in place):
   * a verifier reports where the difference changes, so one removed record is one finding.
   */
  lastDelta = 0;
  /** Segments walked (counting those skipped by the owner). */
  segments = 0;
  /** Tree heads to keep while walking, by tree size (e.g. sizes named by checkpoint files). */
  readonly rootsAt = new Map<number, Uint8Array>();
  // Where the walk is: the segment being read, its last line number, and its bytes before the chunk.
  private segment = '';
  private line = 0;
  private base = 0;
  private readonly envelope = new EventEnvelopeReader();

  constructor(
    private readonly owner: WalkOwner,
    private readonly sha256Into: Sha256Into,
    sha256: Sha256,
    private readonly isUtf8: (bytes: Uint8Array) => boolean,
    /** Tree sizes whose heads to keep in rootsAt. */
    private readonly rootsWanted: ReadonlySet<number> = new Set(),
  ) {
    this.range = new CompactRange(sha256, sha256Into);
    encodeBase64Into(this.leaf, this.prevBase64, 0);
  }

  /** Walks the segments (in any order: they are walked in the order of the indexes their names declare). */
  async walk(sources: readonly SegmentSource[]): Promise<void> {
    const named = sources
      .map((source) => ({ source, first: parseSegmentName(source.name) }))
      .sort((a, b) => (a.first ?? -1) - (b.first ?? -1));
    this.segments = named.length;
    for (const [s, { source, first }] of named.entries()) {
      if (!this.owner.segmentStarts(source.name, first, this)) continue;
      await this.walkSegment(source, s === named.length - 1);
    }
    this.keepRoot();
  }

  /** Bytes of complete records in the segment being walked (or last walked): where its unfinished tail starts. */
  get segmentOffset(): number {
    return this.base;
  }

  /** Where the record starting at `start` of the current chunk is. */
  locate(start: number): RecordLocation {
    return { segment: this.segment, line: this.line, offset: this.base + start, index: this.pos };
  }

  private async walkSegment(source: SegmentSource, isLast: boolean): Promise<void> {
    this.segment = source.name;
    this.line = 0;
    this.base = 0;
    // An unfinished line carried over from the previous chunk.
    let carry: Uint8Array | null = null;
    for await (const chunk of source.chunks?.() ?? wholeSegment(source)) {
      if (chunk.length === 0) continue;
      // A source whose chunks end at line ends never takes this copy.
      const bytes: Uint8Array = carry === null ? chunk : concatBytes(carry, chunk);
      const done = this.walkLines(bytes);
      carry = done < bytes.length ? bytes.slice(done) : null;
      this.base += done;
    }
    if (carry !== null) {
      const at = { segment: this.segment, line: this.line + 1, offset: this.base, index: this.pos };
      this.owner.unfinishedTail(carry, at, isLast, this);
    }
  }

  /**
   * Checks every complete line of a chunk and returns the offset after the last one. Kept small and
   * free of rare paths (those are calls): this is the function the JIT optimises for millions of
   * records, and a rare path seen for the first time then costs a cheap recompilation of it.
   */
  private walkLines(bytes: Uint8Array): number {
    const envelope = this.envelope;
    const prevBase64 = this.prevBase64;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      if (end < 0) return start;
      this.line++;
      this.keepRoot();
      let storedLeaf: Uint8Array | null = null;
      let eventEnd = -1;
      if (this.isUtf8(bytes.subarray(start, end)) && envelope.read(bytes, start, end)) {
        let chained = true;
        for (let i = 0; i < base64Length; i++) if (bytes[envelope.prevStart + i] !== prevBase64[i]) chained = false;
        if (envelope.index !== this.pos || !chained)
          this.owner.eventOutOfPlace(envelope.index, chained, this.locate(start), this);
        else {
          this.lastDelta = 0;
          eventEnd = end - 1;
        }
      } else {
        storedLeaf = this.owner.textRecord(bytes.subarray(start, end), this.locate(start), this);
      }
      if (storedLeaf === null) leafHashInto(this.sha256Into, bytes, start, end, this.leaf);
      else this.leaf.set(storedLeaf);
      if (eventEnd >= 0) this.owner.event?.(bytes, envelope.eventStart, eventEnd, this, start);
      this.range.appendLeafHash(this.leaf);
      encodeBase64Into(this.leaf, prevBase64, 0);
      this.prevSegment = this.segment;
      this.prevLine = this.line;
      this.prevOffset = this.base + start;
      this.pos++;
      start = end + 1;
    }
  }

  private keepRoot(): void {
    if (this.rootsWanted.has(this.pos)) this.rootsAt.set(this.pos, this.range.root());
  }
}

async function* wholeSegment(source: SegmentSource): AsyncIterable<Uint8Array> {
  yield await source.read();
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * SHA-256(0x00 || bytes[start:end]) into `out` (RFC 9162 2.1.1), without copying the record when it
 * can: the byte before it (the previous newline) stands in for the 0x00 during the synchronous hash
 * and is put back at once. A record at the very start of a chunk is copied.
 */
function leafHashInto(sha256Into: Sha256Into, bytes: Uint8Array, start: number, end: number, out: Uint8Array): void {
  if (start === 0) {
    const input = new Uint8Array(end + 1);
    input.set(bytes.subarray(0, end), 1);
    sha256Into(input, out, 0);
    return;
  }
  const before = bytes[start - 1]!;
  bytes[start - 1] = 0x00;
  try {
    sha256Into(bytes.subarray(start - 1, end), out, 0);
  } finally {
    bytes[start - 1] = before;
  }
}
