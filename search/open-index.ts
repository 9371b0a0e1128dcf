import { join } from 'node:path';
import type { JournalSource, LocatedEntry, RecordLocation, SegmentStat } from './journal-source.js';
import { loadIndex, saveIndex, type StoredIndex } from './index-store.js';
import { TrailIndex } from './trail-index.js';

/** Reports scan progress: records taken so far, and bytes of the journal done out of the total. */
export type ProgressListener = (progress: {
  readonly records: number;
  readonly bytes: number;
  readonly totalBytes: number;
}) => void;

/** How openIndex got its index. */
export type IndexOrigin = 'loaded' | 'extended' | 'built';

/** The index, brought up to date with the journal. */
export interface OpenedIndex {
  readonly index: TrailIndex;
  readonly origin: IndexOrigin;
}

/**
 * Returns an index that covers the whole journal: the stored one when the segments it was derived
 * from are unchanged, extended by the records appended since, or a new one built by a full scan
 * when it is missing, damaged or stale (a segment shrank, vanished or changed time without growing,
 * or its last record is no longer where it was). A rebuilt or extended index is stored again.
 * A loaded index reads row locations from its file as queries need them; `complete` loads them all,
 * so that the caller can go on extending it with `add` (replay --follow).
 */
export async function openIndex(
  source: JournalSource,
  options: { readonly rebuild?: boolean; readonly progress?: ProgressListener; readonly complete?: boolean } = {},
): Promise<OpenedIndex> {
  const dir = source.indexDir === null ? null : join(source.indexDir);
  const segments = await source.segments();
  const stored = dir === null || options.rebuild === true ? null : loadIndex(dir);
  const fresh = stored ? freshness(stored, segments, source) : 'stale';
  let index: TrailIndex;
  let origin: IndexOrigin;
  if (stored && fresh === 'current' && options.complete !== true) return { index: stored.index, origin: 'loaded' };
  // Extending needs every row location in memory; a query alone reads the few it returns.
  const complete = stored && fresh !== 'stale' && dir !== null ? loadIndex(dir, { complete: true }) : null;
  if (complete && fresh === 'current') return { index: complete.index, origin: 'loaded' };
  if (complete) {
    index = complete.index;
    origin = 'extended';
  } else {
    index = new TrailIndex();
    origin = 'built';
  }
  const last = await scanInto(index, source, segments, options.progress);
  if (dir !== null) {
    try {
      saveIndex(dir, { index, segments, last: last ?? stored?.last ?? null });
    } catch {
      // The index is a cache: a read-only journal (an auditor's copy) is searched without one.
    }
  }
  return { index, origin };
}

async function scanInto(
  index: TrailIndex,
  source: JournalSource,
  segments: readonly SegmentStat[],
  progress: ProgressListener | undefined,
): Promise<RecordLocation | null> {
  const totalBytes = segments.reduce((sum, s) => sum + s.size, 0);
  const before = new Map<string, number>();
  let sum = 0;
  for (const s of segments) {
    before.set(s.name, sum);
    sum += s.size;
  }
  let last: LocatedEntry | null = null;
  let records = 0;
  for await (const entry of source.scan(index.position)) {
    index.add(entry);
    last = entry;
    if (progress && ++records % 65_536 === 0) {
      progress({ records, bytes: (before.get(entry.segment) ?? 0) + entry.offset + entry.length, totalBytes });
    }
  }
  if (progress) progress({ records, bytes: totalBytes, totalBytes });
  return last && { segment: last.segment, offset: last.offset, length: last.length };
}

function freshness(
  stored: StoredIndex,
  now: readonly SegmentStat[],
  source: JournalSource,
): 'current' | 'grown' | 'stale' {
  const then = stored.segments;
  if (now.length < then.length) return 'stale';
  let grown = now.length > then.length;
  for (let i = 0; i < then.length; i++) {
    const a = then[i] as SegmentStat;
    const b = now[i] as SegmentStat;
    if (a.name !== b.name || b.size < a.size) return 'stale';
    const isLast = i === then.length - 1;
    if (b.size === a.size && b.mtimeMs === a.mtimeMs) continue;
    // Only the segment being written when the index was made may have grown since.
    if (!isLast || b.size === a.size) return 'stale';
    grown = true;
  }
  if (!grown) return 'current';
  if (stored.last === null) return 'stale';
  try {
    const entry = source.readAt(stored.last);
    return stored.index.position !== null && entry.index === stored.index.position.nextIndex - 1 ? 'grown' : 'stale';
  } catch {
    return 'stale';
  }
}
