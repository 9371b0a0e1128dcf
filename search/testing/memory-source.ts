import type { JournalEntry } from '../../recorder/journal-entry.js';
import type { TrailEvent } from '../../recorder/events.js';
import type { JournalSource, LocatedEntry, RecordLocation, ScanPosition } from '../journal-source.js';

/**
 * A journal held in memory: one pseudo-segment `memory` where a record's offset is its index and its
 * length is 1. For unit tests of the query engine and the index; `events` may grow between scans.
 */
export function memorySource(events: (TrailEvent | null)[], indexDir: string | null = null): JournalSource {
  const entryAt = (i: number): LocatedEntry => ({
    index: i,
    segment: 'memory',
    line: i + 1,
    event: events[i] ?? null,
    offset: i,
    length: 1,
  });
  return {
    indexDir,
    segments: () => Promise.resolve([{ name: 'memory', size: events.length, mtimeMs: 0 }]),
    async *scan(from: ScanPosition | null) {
      for (let i = from?.offset ?? 0; i < events.length; i++) yield entryAt(i);
    },
    readAt(location: RecordLocation): JournalEntry {
      if (location.segment !== 'memory' || location.offset >= events.length)
        throw new Error('no record at that location');
      return entryAt(location.offset);
    },
  };
}
