/**
 * What the verifier does about each thing the segment walk (segment-walk.ts) hands it: a segment
 * that starts at the wrong index, an event out of place, a record to check as text (the journal's
 * own records, pruned ones, anything the byte reader refused), an unfinished tail. It reports a
 * finding into the VerifierState and walks on.
 */
import { decodeBase64, encodeBase64 } from '../format/base64.js';
import { hashSize } from '../format/merkle.js';
import { parsePrunedLine } from '../format/pruned-record.js';
import { parseRecordLine, RecordKind } from '../format/record-line.js';
import { sessionChainFormat } from '../format/session-chain.js';
import { FindingCode } from './journal-finding.js';
import { checkOwnRecord } from './own-record-checks.js';
import type { RecordLocation, SegmentWalk, WalkOwner } from './segment-walk.js';
import type { VerifierState } from './verifier-state.js';

/** The verifier's side of the segment walk, reporting into `s`. */
export class VerifierWalkOwner implements WalkOwner {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly s: VerifierState,
    /** Whether a writer may be appending now: an unfinished last record is then in progress, not torn. */
    private readonly writerActive: boolean,
  ) {}

  /** A segment begins: its name must declare the index the journal has reached. */
  segmentStarts(name: string, first: number | null, walk: SegmentWalk): boolean {
    if (first === null) {
      this.s.report(FindingCode.segmentGap, 'segment file name does not declare its first index', { segment: name });
      return false;
    }
    const pos = walk.pos;
    if (first !== pos) {
      const what =
        first > pos ? `records ${pos} to ${first - 1} are missing` : `it overlaps records from ${first} to ${pos - 1}`;
      this.s.report(
        FindingCode.segmentGap,
        `segment starts at index ${first} but the journal so far ends before index ${pos}: ${what}`,
        { segment: name, line: 1, offset: 0, index: pos },
      );
    }
    return true;
  }

  /**
   * An event record in its place: its session chain members (format 3 on) checked. Only while the
   * journal has no other finding: an edited record already breaks the hash chain, and what it does
   * to its session's later records (anywhere after it) is a consequence, not another finding.
   */
  event(bytes: Uint8Array, start: number, end: number, walk: SegmentWalk, lineStart: number): void {
    const s = this.s;
    if (s.format < sessionChainFormat) return;
    const problem = s.chains.event(bytes, start, end, walk.leaf);
    if (problem !== null && s.findings.length === 0 && s.omitted === 0)
      s.report(FindingCode.sessionChainBroken, problem, walk.locate(lineStart));
  }

  /** An event whose index or prev the byte reader found out of place. */
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
      this.s.report(FindingCode.recordMalformed, 'record is not valid UTF-8', at);
      return null;
    }
    const record = parseRecordLine(text);
    if ('malformed' in record) {
      this.s.report(FindingCode.recordMalformed, record.malformed, at);
      return null;
    }
    this.checkPosition(record.index, record.prev === encodeBase64(walk.leaf), at, walk);
    if (record.kind === RecordKind.pruned) return this.prunedRecord(text, at);
    checkOwnRecord(this.s, record, text, at, walk.range);
    return null;
  }

  /** A pruned line: exactly its form (docs/journal-format.md section 10), counted by segment; its stored leaf. */
  private prunedRecord(text: string, at: RecordLocation): Uint8Array | null {
    const pruned = parsePrunedLine(text);
    const stored = pruned === null ? null : decodeBase64(pruned.leaf);
    if (stored === null || stored.length !== hashSize || at.index === 0) {
      this.s.report(FindingCode.recordMalformed, 'pruned record is not exactly its envelope, leaf and was', at);
      return null;
    }
    this.s.prunedRecords++;
    if (this.s.format >= sessionChainFormat) this.s.chains.pruned(pruned!.was.type, pruned!.was.session, stored);
    const last = this.s.prunedRanges.at(-1);
    if (last !== undefined && last.segment === at.segment && last.last === at.index - 1) last.last = at.index;
    else this.s.prunedRanges.push({ segment: at.segment, first: at.index, last: at.index });
    return stored;
  }

  /** A segment ends without a newline: a record being written (writerActive), else a finding. */
  unfinishedTail(bytes: Uint8Array, at: RecordLocation, isLast: boolean): void {
    if (isLast && this.writerActive) this.s.inProgressBytes = bytes.length;
    else if (isLast)
      this.s.report(FindingCode.tornTail, `the last segment ends in an unfinished record of ${bytes.length} bytes`, at);
    else this.s.report(FindingCode.recordMalformed, 'segment ends in an unfinished record', at);
  }

  /** The record's index against its position, and its prev against the previous record's hash. */
  private checkPosition(index: number, chained: boolean, at: RecordLocation, walk: SegmentWalk): void {
    const pos = walk.pos;
    const delta = index - pos;
    if (delta !== walk.lastDelta && delta !== 0) {
      this.s.report(
        FindingCode.indexMismatch,
        `record says index ${index} but is at position ${pos}: records were removed, added or reordered`,
        at,
      );
    }
    walk.lastDelta = delta;
    if (chained) return;
    if (walk.prevSegment === null) {
      this.s.report(FindingCode.chainBroken, 'the first record does not start the chain (prev is not all zeros)', at);
      return;
    }
    this.s.report(
      FindingCode.chainBroken,
      `this record's hash differs from the prev stored by the next record (position ${pos}): one of them was altered`,
      { segment: walk.prevSegment, line: walk.prevLine, offset: walk.prevOffset, index: pos - 1 },
    );
  }
}
