import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrailEvent } from '../recorder/events.js';
import type { JournalEntry } from '../recorder/journal-entry.js';
import { parseRecordEnvelope, RecordKind } from '../recorder/verify/record-line.js';
import { parseSegmentName } from '../recorder/verify/segment-name.js';
import { SearchError } from './search-error.js';
import type { JournalSource, LocatedEntry, RecordLocation, ScanPosition, SegmentStat } from './journal-source.js';

const chunkBytes = 8 * 1024 * 1024;
const newline = 0x0a;

/**
 * Reads a journal directory's segment files (docs/journal-format.md) for search: streams records
 * with the byte offset of each line (which the index remembers) and reads single records back by
 * offset. It does not verify hashes or signatures; that is `pgtrail verify`'s job. A final line
 * without its newline is a torn write in progress and is not yielded. The index lives in DIR/index.
 */
export function segmentSource(dir: string): JournalSource & { close(): void } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SearchError('SEARCH_JOURNAL_MISSING', `no journal directory at ${dir}`);
  const fds = new Map<string, number>();
  const listSegments = (): SegmentStat[] =>
    readdirSync(dir)
      .filter((name) => parseSegmentName(name) !== null)
      .sort()
      .map((name) => {
        const st = statSync(join(dir, name));
        return { name, size: st.size, mtimeMs: st.mtimeMs };
      });
  return {
    indexDir: join(dir, 'index'),
    segments: () => Promise.resolve(listSegments()),
    scan: (from) => scanSegments(dir, listSegments(), from),
    readAt(at: RecordLocation): JournalEntry {
      let fd = fds.get(at.segment);
      if (fd === undefined) {
        fd = openSync(join(dir, at.segment), 'r');
        fds.set(at.segment, fd);
      }
      const bytes = Buffer.allocUnsafe(at.length);
      if (readSync(fd, bytes, 0, at.length, at.offset) !== at.length || bytes[at.length - 1] !== newline) {
        throw new Error('no complete record at that offset');
      }
      const entry = decode(bytes.toString('utf8', 0, at.length - 1), at.segment, 0);
      if (entry === null) throw new Error('no well-formed record at that offset');
      return entry;
    },
    close() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    },
  };
}

function decode(text: string, segment: string, line: number): JournalEntry | null {
  const head = parseRecordEnvelope(text);
  if (head === null) return null;
  // The journal's own records (checkpoints, keys, recovery) carry no event: no need to parse them.
  if (head.kind !== RecordKind.event) return { index: head.index, segment, line, event: null };
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return null;
  }
  const event = (record as { event?: unknown }).event;
  if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') return null;
  // The event's shape is the writer's (recorder/events.ts); verify checks the bytes, search reads them as written.
  return { index: head.index, segment, line, event: event as TrailEvent };
}

async function* scanSegments(dir: string, segments: readonly SegmentStat[], from: ScanPosition | null): AsyncGenerator<LocatedEntry> {
  let started = from === null;
  for (const segment of segments) {
    let offset = 0;
    let line = 0;
    if (!started) {
      if (segment.name < (from as ScanPosition).segment) continue;
      started = true;
      if (segment.name === (from as ScanPosition).segment) {
        offset = (from as ScanPosition).offset;
        line = (from as ScanPosition).line;
      }
    }
    const file = await open(join(dir, segment.name), 'r');
    try {
      let carry = Buffer.alloc(0);
      let carryOffset = offset;
      for (;;) {
        const chunk = Buffer.allocUnsafe(chunkBytes);
        const { bytesRead } = await file.read(chunk, 0, chunkBytes, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        let start = 0;
        for (let end = data.indexOf(newline, start); end >= 0; end = data.indexOf(newline, start)) {
          line++;
          const entry = decode(data.toString('utf8', start, end), segment.name, line);
          if (entry === null) throw new SearchError('SEARCH_JOURNAL_MALFORMED', `malformed record in ${segment.name} line ${line} (run pgtrail verify)`);
          yield { ...entry, offset: carryOffset + start, length: end + 1 - start };
          start = end + 1;
        }
        carry = Buffer.from(data.subarray(start));
        carryOffset += start;
      }
    } finally {
      await file.close();
    }
  }
}
