import type { JournalEntry } from '../recorder/journal-entry.js';

/**
 * What search, sessions and replay need from a journal: a scan in index order that says where each
 * record lies, a way to read one record back from where the index says it is, and the segment
 * files' sizes and times so that a stale index is noticed. `segmentSource` (search/segment-source.ts)
 * reads real journals; `memorySource` serves arrays of entries in unit tests.
 */
export interface JournalSource {
  /** The directory the derived index lives in (DIR/index), or null when it must not be persisted. */
  readonly indexDir: string | null;
  segments(): Promise<readonly SegmentStat[]>;
  /** Entries in index order, starting after `from` (from the beginning when null). */
  scan(from: ScanPosition | null): AsyncIterable<LocatedEntry>;
  /** Reads the one record at a location the index remembered; throws when nothing decodable is there. */
  readAt(location: RecordLocation): JournalEntry;
  /**
   * Optional fast path for --grep: the SQL text of the statement.started record at `location`
   * without parsing the whole record, or null when it cannot be had cheaply (then readAt is used).
   * It must return null unless the record there is record `seq`.
   */
  peekSql?(location: RecordLocation, seq: number): string | null;
}

/** A segment file's identity for staleness checks. */
export interface SegmentStat {
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Where one record lies: segment file, byte offset and byte length (including its line end). */
export interface RecordLocation {
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

/** A journal entry with its location, as a scan yields it. */
export interface LocatedEntry extends JournalEntry {
  readonly offset: number;
  readonly length: number;
}

/** Where a scan stopped: just after the last record it yielded, so a later scan can go on from there. */
export interface ScanPosition {
  readonly segment: string;
  /** Byte offset just past the last record. */
  readonly offset: number;
  /** Line number of the last record in its segment. */
  readonly line: number;
  /** The index of the next record expected. */
  readonly nextIndex: number;
}

/** The position just after an entry. */
export function positionAfter(entry: LocatedEntry): ScanPosition {
  return { segment: entry.segment, offset: entry.offset + entry.length, line: entry.line, nextIndex: entry.index + 1 };
}
