/**
 * What the verifier knows while it walks a journal: the findings so far, the keys in force, the
 * journal's origin and the counts it reports, and what it does about each problem the segment walk
 * meets (it reports a finding and walks on). The checks of the journal's own records are in
 * own-record-checks.ts, those after the walk in end-checks.ts.
 */
import { decodeBase64, encodeBase64 } from '../format/base64.js';
import { hashSize } from '../format/merkle.js';
import type { NoteVerifierKey } from '../format/note.js';
import { parsePrunedLine } from '../format/pruned-record.js';
import { parseRecordLine, RecordKind } from '../format/record-line.js';
import type { Sha256 } from '../format/sha256.js';
import { FindingCode, type Finding } from './journal-finding.js';
import { checkOwnRecord } from './own-record-checks.js';
import type { WitnessTally } from './witness-tally.js';
import type { RecordLocation, SegmentWalk, WalkOwner } from './segment-walk.js';

/** The verifier's state over one run. */
export class VerifierState implements WalkOwner {
  readonly findings: Finding[] = [];
  /** Findings beyond maxFindings: counted, not listed. */
  omitted = 0;
  /** The keys whose signatures are accepted now: the pinned ones, then journal.started's, then each rotation's. */
  trusted: NoteVerifierKey[];
  /** Every key that was ever in force, oldest first. */
  readonly everTrusted: NoteVerifierKey[];
  /** The journal's name (its first key's name), once journal.started is read. */
  origin: string | null = null;
  checkpoints = 0;
  recoveries = 0;
  keyRotations = 0;
  /** The last checkpoint record that opened. */
  lastCheckpoint: { size: number; root: string } | null = null;
  /** A checkpoint's root differed from the tree: every later one does too, as a consequence. */
  rootDiffers = false;
  /** Bytes of a record being written when the journal was read (writerActive only). */
  inProgressBytes = 0;
  /** Records in pruned form, and where: runs of consecutive indexes within one segment. */
  prunedRecords = 0;
  readonly prunedRanges: { segment: string; first: number; last: number }[] = [];
  /** Legal hold records. */
  holds = 0;
  /** Ids of the hold records seen so far, and of those released (a release must name one of them, once). */
  readonly holdIds = new Set<string>();
  readonly releasedHoldIds = new Set<string>();
  /**
   * Where journal.started named a key that is not pinned: trusted only until a checkpoint signed by
   * a pinned key (after a hand-over) vouches for everything before it; still set at the end, it is
   * a JOURNAL_KEY_MISMATCH there.
   */
  awaitingPinnedKey: RecordLocation | null = null;
  /** Checkpoints signed by a key that was not pinned, before a pinned key took over (informational). */
  unpinnedCheckpoints = 0;
  /** The note of each checkpoint record, by its index. */
  readonly checkpointNotes = new Map<number, string>();
  /** journal.started's format (docs/journal-format.md §9). */
  format = 1;
  /** Cosignatures on checkpoints, collected for the tally when witness keys are given (witness-record-checks.ts). */
  tally: WitnessTally | null = null;
  cosignatureRecords = 0;
  witnessAlarms = 0;
  /** Records other than checkpoints and cosignatures before each checkpoint, by its size. */
  readonly contentBefore = new Map<number, number>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    readonly sha256: Sha256,
    /** The pinned verifier keys, or null when the journal's own key is trusted. */
    readonly pinned: readonly NoteVerifierKey[] | null,
    private readonly maxFindings: number,
    private readonly writerActive: boolean,
  ) {
    this.trusted = pinned === null ? [] : [...pinned];
    this.everTrusted = [...this.trusted];
  }

  /** Whether a signature by the key in force is one by a pinned key (always, when nothing is pinned). */
  signsAsPinned(): boolean {
    const pinned = this.pinned;
    return pinned === null || this.trusted.some((k) => pinned.some((p) => p.text === k.text));
  }

  /** Records a finding (or counts it, beyond maxFindings). */
  report(code: FindingCode, message: string, at: Partial<RecordLocation> = {}): void {
    if (this.findings.length >= this.maxFindings) {
      this.omitted++;
      return;
    }
    this.findings.push({
      code,
      message,
      segment: at.segment ?? null,
      line: at.line ?? null,
      offset: at.offset ?? null,
      index: at.index ?? null,
    });
  }

  segmentStarts(name: string, first: number | null, walk: SegmentWalk): boolean {
    if (first === null) {
      this.report(FindingCode.segmentGap, 'segment file name does not declare its first index', { segment: name });
      return false;
    }
    const pos = walk.pos;
    if (first !== pos) {
      const what =
        first > pos ? `records ${pos} to ${first - 1} are missing` : `it overlaps records from ${first} to ${pos - 1}`;
      this.report(
        FindingCode.segmentGap,
        `segment starts at index ${first} but the journal so far ends before index ${pos}: ${what}`,
        { segment: name, line: 1, offset: 0, index: pos },
      );
    }
    return true;
  }

  eventOutOfPlace(index: number, chained: boolean, at: RecordLocation, walk: SegmentWalk): void {
    this.checkPosition(index, chained, at, walk);
  }

  /**
   * A record checked as text: the journal's own records, pruned records, and anything the byte
   * reader refused. Returns a well-formed pruned record's stored leaf hash, else null.
   */
  textRecord(raw: Uint8Array, at: RecordLocation, walk: SegmentWalk): Uint8Array | null {
    let text: string;
    try {
      text = this.decoder.decode(raw);
    } catch {
      this.report(FindingCode.recordMalformed, 'record is not valid UTF-8', at);
      return null;
    }
    const record = parseRecordLine(text);
    if ('malformed' in record) {
      this.report(FindingCode.recordMalformed, record.malformed, at);
      return null;
    }
    this.checkPosition(record.index, record.prev === encodeBase64(walk.leaf), at, walk);
    if (record.kind === RecordKind.pruned) return this.prunedRecord(text, at);
    checkOwnRecord(this, record, text, at, walk.range);
    return null;
  }

  /** A pruned line: exactly its form (docs/journal-format.md section 10), counted by segment; its stored leaf. */
  private prunedRecord(text: string, at: RecordLocation): Uint8Array | null {
    const pruned = parsePrunedLine(text);
    const stored = pruned === null ? null : decodeBase64(pruned.leaf);
    if (stored === null || stored.length !== hashSize || at.index === 0) {
      this.report(FindingCode.recordMalformed, 'pruned record is not exactly its envelope, leaf and was', at);
      return null;
    }
    this.prunedRecords++;
    const last = this.prunedRanges.at(-1);
    if (last !== undefined && last.segment === at.segment && last.last === at.index - 1) last.last = at.index;
    else this.prunedRanges.push({ segment: at.segment, first: at.index, last: at.index });
    return stored;
  }

  unfinishedTail(bytes: Uint8Array, at: RecordLocation, isLast: boolean): void {
    if (isLast && this.writerActive) this.inProgressBytes = bytes.length;
    else if (isLast)
      this.report(FindingCode.tornTail, `the last segment ends in an unfinished record of ${bytes.length} bytes`, at);
    else this.report(FindingCode.recordMalformed, 'segment ends in an unfinished record', at);
  }

  /** The record's index against its position, and its prev against the previous record's hash. */
  private checkPosition(index: number, chained: boolean, at: RecordLocation, walk: SegmentWalk): void {
    const pos = walk.pos;
    const delta = index - pos;
    if (delta !== walk.lastDelta && delta !== 0) {
      this.report(
        FindingCode.indexMismatch,
        `record says index ${index} but is at position ${pos}: records were removed, added or reordered`,
        at,
      );
    }
    walk.lastDelta = delta;
    if (chained) return;
    if (walk.prevSegment === null) {
      this.report(FindingCode.chainBroken, 'the first record does not start the chain (prev is not all zeros)', at);
      return;
    }
    this.report(
      FindingCode.chainBroken,
      `this record's hash differs from the prev stored by the next record (position ${pos}): one of them was altered`,
      { segment: walk.prevSegment, line: walk.prevLine, offset: walk.prevOffset, index: pos - 1 },
    );
  }
}
