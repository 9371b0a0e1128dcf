import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TrailEvent } from '../recorder/events.js';
import type { JournalEntry } from '../recorder/journal-entry.js';
import { parsePrunedLine } from '../recorder/format/pruned-record.js';
import { parseRecordEnvelope, RecordKind } from '../recorder/format/record-line.js';
import { prunedPlaceholder } from '../recorder/pruned-placeholder.js';
import { parseSegmentName } from '../recorder/format/segment-name.js';
import { readSegmentLines } from '../recorder/segment-reader.js';
import { SearchError } from './search-error.js';
import type { JournalSource, LocatedEntry, RecordLocation, ScanPosition, SegmentStat } from './journal-source.js';

const newline = 0x0a;

/**
 * Reads a journal directory's segment files (docs/journal-format.md) for search: streams records
 * with the byte offset of each line (which the index remembers) and reads single records back by
 * offset. It does not verify hashes or signatures; that is `pgtrail verify`'s job. Scans read with
 * the one segment reader (recorder/segment-reader.ts): a final line without its newline is a write
 * in progress and is not yielded. The index lives in DIR/index.
 */
export function segmentSource(dir: string): JournalSource & { close(): void } {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new SearchError('SEARCH_JOURNAL_MISSING', `no journal directory at ${dir}`);
  const fds = new Map<string, number>();
  const fdOf = (segment: string): number => {
    let fd = fds.get(segment);
    if (fd === undefined) {
      fd = openSync(join(dir, segment), 'r');
      fds.set(segment, fd);
    }
    return fd;
  };
  const window = new ReadWindow(fdOf);
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
      const bytes = window.slice(at);
      if (bytes === null || bytes.length !== at.length || bytes[at.length - 1] !== newline)
        throw new Error('no complete record at that offset');
      const entry = decode(bytes.toString('utf8', 0, at.length - 1), at.segment, 0, at.offset, at.length);
      if (entry === null) throw new Error('no well-formed record at that offset');
      return entry;
    },
    peekSql(at: RecordLocation, seq: number): string | null {
      const bytes = window.slice(at);
      if (bytes === null || bytes.length !== at.length) return null;
      return sqlOfStartedLine(bytes.toString('utf8', 0, at.length - 1), seq);
    },
    close() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
      window.clear();
    },
  };
}

const windowBytes = 16 * 1024;

/**
 * Reads records by location through a 16 KiB window of the segment, so that a query returning many
 * nearby records (the common case: a time range, a session) costs a few reads instead of one per
 * record. The window ends at its last newline, so it only ever holds complete records, even of a
 * segment being written.
 */
class ReadWindow {
  private segment = '';
  private start = 0;
  private bytes: Buffer = Buffer.alloc(0);

  constructor(private readonly fdOf: (segment: string) => number) {}

  slice(at: RecordLocation): Buffer | null {
    const inside =
      at.segment === this.segment && at.offset >= this.start && at.offset + at.length <= this.start + this.bytes.length;
    if (!inside) {
      const size = Math.max(windowBytes, at.length);
      // Reading backwards (newest first): place the window so that it ends at this record.
      const backwards = at.segment === this.segment && at.offset < this.start;
      const start = backwards ? Math.max(0, at.offset + at.length - size) : at.offset;
      const buffer = Buffer.allocUnsafe(size);
      const read = readSync(this.fdOf(at.segment), buffer, 0, size, start);
      const end = read === 0 ? -1 : buffer.lastIndexOf(newline, read - 1);
      this.segment = at.segment;
      this.start = start;
      this.bytes = buffer.subarray(0, end + 1);
    }
    const from = at.offset - this.start;
    return from + at.length <= this.bytes.length ? this.bytes.subarray(from, from + at.length) : null;
  }

  clear(): void {
    this.segment = '';
    this.bytes = Buffer.alloc(0);
  }
}

const sqlKey = '"sql":"';

/**
 * The SQL of a statement.started record line, taken from its `"sql":"..."` member without parsing
 * the rest. Sound because inside a JSON string every quote is escaped, so the bytes `"sql":"` can
 * only be a key; the event is the only object with that key. Returns null for record `seq` not
 * being this line, SQL recorded as base64, or anything unexpected.
 */
function sqlOfStartedLine(text: string, seq: number): string | null {
  const head = parseRecordEnvelope(text);
  if (head === null || head.index !== seq || head.kind !== RecordKind.event) return null;
  const start = text.indexOf(sqlKey);
  if (start < 0) return null;
  let end = start + sqlKey.length;
  for (;;) {
    end = text.indexOf('"', end);
    if (end < 0) return null;
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) break;
    end++;
  }
  try {
    return JSON.parse(text.slice(start + sqlKey.length - 1, end + 1)) as string;
  } catch {
    return null;
  }
}

function decode(text: string, segment: string, line: number, offset: number, length: number): LocatedEntry | null {
  const head = parseRecordEnvelope(text);
  if (head === null) return null;
  if (head.kind === RecordKind.pruned) {
    const pruned = parsePrunedLine(text);
    const event = pruned === null ? null : prunedPlaceholder(pruned.was);
    return { index: head.index, segment, line, event, offset, length };
  }
  // The journal's own records (checkpoints, keys, recovery) carry no event: no need to parse them.
  if (head.kind !== RecordKind.event) return { index: head.index, segment, line, event: null, offset, length };
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return null;
  }
  const event = (record as { event?: unknown }).event;
  if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string')
    return null;
  // The event's shape is the writer's (recorder/events.ts); verify checks the bytes, search reads them as written.
  return { index: head.index, segment, line, event: event as TrailEvent, offset, length };
}

async function* scanSegments(
  dir: string,
  segments: readonly SegmentStat[],
  from: ScanPosition | null,
): AsyncGenerator<LocatedEntry> {
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
    for await (const lines of readSegmentLines(join(dir, segment.name), { from: { offset, line } })) {
      for (const l of lines) {
        const entry = decode(
          l.chunk.toString('utf8', l.start, l.end),
          segment.name,
          l.line,
          l.offset,
          l.end + 1 - l.start,
        );
        if (entry === null)
          throw new SearchError(
            'SEARCH_JOURNAL_MALFORMED',
            `malformed record in ${segment.name} line ${l.line} (run pgtrail verify)`,
          );
        yield entry;
      }
    }
  }
}
