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
  // Per-process temporary names: two searches saving at once must not interleave one file.
  const tmp = `.tmp-${process.pid}`;
  writeFileSync(join(dir, columnsFile + tmp), body);
  renameSync(join(dir, columnsFile + tmp), join(dir, columnsFile));
  writeFileSync(join(dir, headerFile + tmp), JSON.stringify(header));
  renameSync(join(dir, headerFile + tmp), join(dir, headerFile));
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
      columns[name] = columnView(body, offset, header.rowCount, type);
      offset += bytes + ((8 - (bytes % 8)) % 8);
    }
    if (offset !== body.length) return null;
    return { index: new TrailIndex({ ...header.state, columns }), segments: header.segments, last: header.last };
  } catch {
    return null;
  }
}

/** A typed-array view of a column in the file's bytes; copied only when the bytes are not 8-aligned in memory. */
function columnView(body: Buffer, offset: number, rows: number, type: 'f64' | 'u32' | 'u8'): Float64Array | Uint32Array | Uint8Array {
  const width = type === 'f64' ? 8 : type === 'u32' ? 4 : 1;
  let buffer = body.buffer;
  let at = body.byteOffset + offset;
  if (at % 8 !== 0) {
    const copy = new Uint8Array(rows * width);
    copy.set(body.subarray(offset, offset + rows * width));
    buffer = copy.buffer;
    at = 0;
  }
  if (type === 'f64') return new Float64Array(buffer, at, rows);
  if (type === 'u32') return new Uint32Array(buffer, at, rows);
  return new Uint8Array(buffer, at, rows);
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
