import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordLocation, SegmentStat } from './journal-source.js';
import { columnNames, columnTypes, TrailIndex, type ColumnName, type TrailIndexState } from './trail-index.js';

/**
 * The index on disk, in DIR/index/: `statements.bin` holds the statement columns one after the other
 * (each padded to 8 bytes, little-endian as the machine writes them), and `search-index.json` holds
 * everything else plus the SHA-256 of statements.bin, the segments it was derived from, and the
 * location of the last record it took. The JSON is written last, so a half-written index never
 * matches its hash and is rebuilt. The index is a cache: deleting the directory is always safe.
 */

const headerFile = 'search-index.json';
const columnsFile = 'statements.bin';
const format = 'pgtrail-search-index';
const version = 1;

/** The persisted index and what it was derived from. */
export interface StoredIndex {
  readonly index: TrailIndex;
  readonly segments: readonly SegmentStat[];
  /** The last record the index took, to check that it is still there. */
  readonly last: RecordLocation | null;
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly rowCount: number;
  readonly columnsSha256: string;
  readonly segments: readonly SegmentStat[];
  readonly last: RecordLocation | null;
  readonly state: Omit<TrailIndexState, 'columns'>;
}

/** Writes the index; replaces any earlier one. */
export function saveIndex(dir: string, stored: StoredIndex): void {
  mkdirSync(dir, { recursive: true });
  const { index } = stored;
  const parts: Buffer[] = [];
  for (const name of columnNames) {
    const view = index.columns[name].view();
    const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    parts.push(bytes, Buffer.alloc((8 - (bytes.length % 8)) % 8));
  }
  const body = Buffer.concat(parts);
  const header: Header = {
    format,
    version,
    rowCount: index.rowCount,
    columnsSha256: createHash('sha256').update(body).digest('hex'),
    segments: stored.segments,
    last: stored.last,
    state: {
      position: index.position,
      users: index.users,
      errorCodes: index.errorCodes,
      segmentNames: index.segmentNames,
      sessions: index.sessions,
    },
  };
  writeFileSync(join(dir, `${columnsFile}.tmp`), body);
  renameSync(join(dir, `${columnsFile}.tmp`), join(dir, columnsFile));
  writeFileSync(join(dir, `${headerFile}.tmp`), JSON.stringify(header));
  renameSync(join(dir, `${headerFile}.tmp`), join(dir, headerFile));
}

/** Reads the index, or returns null when it is missing, of another version, or damaged in any way. */
export function loadIndex(dir: string): StoredIndex | null {
  try {
    const header: unknown = JSON.parse(readFileSync(join(dir, headerFile), 'utf8'));
    if (!isHeader(header)) return null;
    const body = readFileSync(join(dir, columnsFile));
    if (createHash('sha256').update(body).digest('hex') !== header.columnsSha256) return null;
    const columns = {} as Record<ColumnName, Float64Array | Uint32Array | Uint8Array>; // filled for every name below
    let offset = 0;
    for (const name of columnNames) {
      const type = columnTypes[name];
      const width = type === 'f64' ? 8 : type === 'u32' ? 4 : 1;
      const bytes = header.rowCount * width;
      if (offset + bytes > body.length) return null;
      // Copy into a fresh, aligned buffer: the file's buffer may not be aligned for Float64Array.
      const copy = new Uint8Array(bytes);
      copy.set(body.subarray(offset, offset + bytes));
      columns[name] = type === 'f64' ? new Float64Array(copy.buffer) : type === 'u32' ? new Uint32Array(copy.buffer) : copy;
      offset += bytes + ((8 - (bytes % 8)) % 8);
    }
    if (offset !== body.length) return null;
    return { index: new TrailIndex({ ...header.state, columns }), segments: header.segments, last: header.last };
  } catch {
    return null;
  }
}

function isHeader(value: unknown): value is Header {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Partial<Header>; // narrowed field by field below
  return (
    h.format === format &&
    h.version === version &&
    typeof h.rowCount === 'number' &&
    Number.isInteger(h.rowCount) &&
    h.rowCount >= 0 &&
    typeof h.columnsSha256 === 'string' &&
    Array.isArray(h.segments) &&
    typeof h.state === 'object' &&
    h.state !== null &&
    Array.isArray(h.state.users) &&
    Array.isArray(h.state.errorCodes) &&
    Array.isArray(h.state.segmentNames) &&
    Array.isArray(h.state.sessions)
  );
}
