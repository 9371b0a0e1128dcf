import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { makeDirectorySync } from '../recorder/make-directory.js';
import { join } from 'node:path';
import type { RecordLocation, SegmentStat } from './journal-source.js';
import { readRowLocation, RowLocationFile, rowLocationBytes, writeRowLocation } from './row-locations.js';
import { columnTypes, filterColumnNames, TrailIndex, type ColumnName, type TrailIndexState } from './trail-index.js';

/**
 * The index on disk, in DIR/index/. `statements.bin` holds first the filter columns (ts, session,
 * user, kind, flags, errorCode) one after the other, each padded to 8 bytes, little-endian; then
 * one 44-byte row location per statement (search/row-locations.ts). `search-index.json` holds
 * everything else: the SHA-256 of each of the two parts, the segments the index was derived from,
 * the location of the last record it took, users, SQLSTATEs, segment names and session summaries.
 * A query loads only the filter columns (checked against their hash) and reads the row locations
 * it needs; those are checked by reading the records they point to. The JSON is written last, so a
 * half-written index never matches its hashes and is rebuilt. Deleting the directory is always safe.
 */

const headerFile = 'search-index.json';
const columnsFile = 'statements.bin';
const format = 'pgtrail-search-index';
// 3: session summaries carry failed logins (authFailed, authFailedSeq, authFailedTs).
// 4: viewings (viewer.viewed records) are indexed.
// 5: `statement` records (journal format 4) are indexed as statements; an index that skipped them is rebuilt.
const version = 5;

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
  readonly filtersBytes: number;
  readonly filtersSha256: string;
  readonly locationsSha256: string;
  readonly segments: readonly SegmentStat[];
  readonly last: RecordLocation | null;
  readonly state: Omit<TrailIndexState, 'columns' | 'locations'>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const widthOf = (name: ColumnName) => ({ f64: 8, u32: 4, u8: 1 })[columnTypes[name]];
const padded = (n: number) => n + ((8 - (n % 8)) % 8);

/** Writes the index (which must be complete); replaces any earlier one. */
export function saveIndex(dir: string, stored: StoredIndex): void {
  makeDirectorySync(dir);
  const { index } = stored;
  const rows = index.rowCount;
  const filterParts: Buffer[] = [];
  for (const name of filterColumnNames) {
    const view = index.columns[name].view();
    const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    filterParts.push(bytes, Buffer.alloc(padded(bytes.length) - bytes.length));
  }
  const filters = Buffer.concat(filterParts);
  const locations = Buffer.alloc(rows * rowLocationBytes);
  const view = new DataView(locations.buffer, locations.byteOffset, locations.length);
  for (let row = 0; row < rows; row++) writeRowLocation(view, row * rowLocationBytes, index.location(row));
  const header: Header = {
    format,
    version,
    rowCount: rows,
    filtersBytes: filters.length,
    filtersSha256: sha256(filters),
    locationsSha256: sha256(locations),
    segments: stored.segments,
    last: stored.last,
    state: {
      position: index.position,
      users: index.users,
      errorCodes: index.errorCodes,
      segmentNames: index.segmentNames,
      sessions: index.sessions,
      viewings: index.viewings,
    },
  };
  // Per-process temporary names: two searches saving at once must not interleave one file.
  const tmp = `.tmp-${process.pid}`;
  writeFileSync(join(dir, columnsFile + tmp), Buffer.concat([filters, locations]));
  renameSync(join(dir, columnsFile + tmp), join(dir, columnsFile));
  writeFileSync(join(dir, headerFile + tmp), JSON.stringify(header));
  renameSync(join(dir, headerFile + tmp), join(dir, headerFile));
}

/**
 * Reads the index, or returns null when it is missing, of another version, or damaged in any way.
 * `complete` also loads every row location into memory, as extending the index needs.
 */
export function loadIndex(dir: string, options: { readonly complete?: boolean } = {}): StoredIndex | null {
  try {
    const header: unknown = JSON.parse(readFileSync(join(dir, headerFile), 'utf8'));
    if (!isHeader(header)) return null;
    const rows = header.rowCount;
    const expectedFilters = filterColumnNames.reduce((sum, n) => sum + padded(rows * widthOf(n)), 0);
    if (header.filtersBytes !== expectedFilters) return null;
    const path = join(dir, columnsFile);
    const filters = readPart(path, 0, expectedFilters);
    if (filters === null || sha256(filters) !== header.filtersSha256) return null;
    const columns: Partial<Record<ColumnName, Float64Array | Uint32Array | Uint8Array>> = {};
    let offset = 0;
    for (const name of filterColumnNames) {
      columns[name] = columnView(filters, offset, rows, columnTypes[name]);
      offset += padded(rows * widthOf(name));
    }
    const state = { ...header.state, columns };
    if (options.complete !== true) {
      return {
        index: new TrailIndex({ ...state, locations: new RowLocationFile(path, expectedFilters, rows) }),
        segments: header.segments,
        last: header.last,
      };
    }
    const locations = readPart(path, expectedFilters, rows * rowLocationBytes);
    if (locations === null || sha256(locations) !== header.locationsSha256) return null;
    Object.assign(columns, locationColumns(locations, rows));
    return { index: new TrailIndex(state), segments: header.segments, last: header.last };
  } catch {
    return null;
  }
}

function readPart(path: string, position: number, length: number): Buffer | null {
  const bytes = Buffer.allocUnsafeSlow(length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, bytes, 0, length, position) === length ? bytes : null;
  } finally {
    closeSync(fd);
  }
}

function locationColumns(bytes: Buffer, rows: number): Partial<Record<ColumnName, Float64Array | Uint32Array>> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const c = {
    seq: new Float64Array(rows),
    statement: new Uint32Array(rows),
    startedSegment: new Uint32Array(rows),
    startedOffset: new Float64Array(rows),
    startedLength: new Uint32Array(rows),
    finishedSegment: new Uint32Array(rows),
    finishedOffset: new Float64Array(rows),
    finishedLength: new Uint32Array(rows),
  };
  for (let row = 0; row < rows; row++) {
    const r = readRowLocation(view, row * rowLocationBytes);
    c.seq[row] = r.seq;
    c.statement[row] = r.statement;
    c.startedSegment[row] = r.startedSegment;
    c.startedOffset[row] = r.startedOffset;
    c.startedLength[row] = r.startedLength;
    c.finishedSegment[row] = r.finishedSegment;
    c.finishedOffset[row] = r.finishedOffset;
    c.finishedLength[row] = r.finishedLength;
  }
  return c;
}

/** A typed-array view of a column in the file's bytes; copied only when not 8-aligned in memory. */
function columnView(
  body: Buffer,
  offset: number,
  rows: number,
  type: 'f64' | 'u32' | 'u8',
): Float64Array | Uint32Array | Uint8Array {
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
    typeof h.filtersBytes === 'number' &&
    typeof h.filtersSha256 === 'string' &&
    typeof h.locationsSha256 === 'string' &&
    Array.isArray(h.segments) &&
    typeof h.state === 'object' &&
    h.state !== null &&
    Array.isArray(h.state.users) &&
    Array.isArray(h.state.errorCodes) &&
    Array.isArray(h.state.segmentNames) &&
    Array.isArray(h.state.sessions) &&
    Array.isArray(h.state.viewings)
  );
}
