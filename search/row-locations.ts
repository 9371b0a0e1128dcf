import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Where a statement's records lie, stored row by row (not in columns) so that a query reads only the
 * rows it returns. One row is 44 bytes, little-endian:
 *
 *   0 seq f64 | 8 startedOffset f64 | 16 finishedOffset f64 | 24 statement u32 |
 *   28 startedSegment u32 | 32 startedLength u32 | 36 finishedSegment u32 | 40 finishedLength u32
 */
export interface RowLocation {
  readonly seq: number;
  readonly statement: number;
  readonly startedSegment: number;
  readonly startedOffset: number;
  readonly startedLength: number;
  readonly finishedSegment: number;
  readonly finishedOffset: number;
  readonly finishedLength: number;
}

/** Bytes of one stored row. */
export const rowLocationBytes = 44;

/** Writes one row at `at`. */
export function writeRowLocation(view: DataView, at: number, r: RowLocation): void {
  view.setFloat64(at, r.seq, true);
  view.setFloat64(at + 8, r.startedOffset, true);
  view.setFloat64(at + 16, r.finishedOffset, true);
  view.setUint32(at + 24, r.statement, true);
  view.setUint32(at + 28, r.startedSegment, true);
  view.setUint32(at + 32, r.startedLength, true);
  view.setUint32(at + 36, r.finishedSegment, true);
  view.setUint32(at + 40, r.finishedLength, true);
}

/** Reads one row at `at`. */
export function readRowLocation(view: DataView, at: number): RowLocation {
  return {
    seq: view.getFloat64(at, true),
    startedOffset: view.getFloat64(at + 8, true),
    finishedOffset: view.getFloat64(at + 16, true),
    statement: view.getUint32(at + 24, true),
    startedSegment: view.getUint32(at + 28, true),
    startedLength: view.getUint32(at + 32, true),
    finishedSegment: view.getUint32(at + 36, true),
    finishedLength: view.getUint32(at + 40, true),
  };
}

const rowsPerBlock = 4096;

/**
 * Row locations read from the index file on demand, 4096 rows (176 KiB) at a time, so that loading
 * an index costs only its filter columns. The file is opened per block read: no descriptor is held.
 * Nothing here is trusted: every location is checked against the record it points to.
 */
export class RowLocationFile {
  private readonly blocks = new Map<number, DataView>();

  constructor(
    private readonly path: string,
    private readonly base: number,
    private readonly rows: number,
  ) {}

  get(row: number): RowLocation {
    const block = Math.floor(row / rowsPerBlock);
    let view = this.blocks.get(block);
    if (view === undefined) {
      const first = block * rowsPerBlock;
      const bytes = Buffer.alloc(Math.min(rowsPerBlock, this.rows - first) * rowLocationBytes);
      const fd = openSync(this.path, 'r');
      try {
        readSync(fd, bytes, 0, bytes.length, this.base + first * rowLocationBytes);
      } finally {
        closeSync(fd);
      }
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      this.blocks.set(block, view);
    }
    return readRowLocation(view, (row % rowsPerBlock) * rowLocationBytes);
  }
}
