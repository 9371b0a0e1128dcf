import { binaryValueText } from './binary-value.js';
import { formatOf } from './client-messages.js';
import { toHexText, toValueText } from './recorded-text.js';

/** How a result's columns are sent: the format code of each (0 text, 1 binary) and, when known, its type OID. */
export interface ResultColumns {
  readonly formats: readonly number[];
  readonly typeOids: readonly number[] | null;
}

/**
 * Keeps the first rows of a result as text for the replay view, within a row count and a byte
 * budget counted over the DataRow bodies. A row that would exceed the budget ends the capture; no
 * row is ever captured in part.
 */
export class RowCapture {
  readonly rows: (string | null)[][] = [];
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private bytesLeft: number;
  private full = false;

  constructor(
    private readonly maxRows: number,
    maxBytes: number,
    private readonly columns: ResultColumns,
  ) {
    this.bytesLeft = maxBytes;
  }

  /** A piece of a DataRow body, in order. */
  piece(piece: Buffer, first: boolean, last: boolean): void {
    if (this.full) return;
    if (first) {
      this.pieces = [];
      this.pieceBytes = 0;
    }
    this.pieceBytes += piece.length;
    if (this.pieceBytes > this.bytesLeft) {
      this.full = true;
      this.pieces = [];
      return;
    }
    this.pieces.push(Buffer.from(piece)); // a copy: the piece is a view into the socket's chunk
    if (!last) return;
    this.bytesLeft -= this.pieceBytes;
    const row = this.decodeRow(Buffer.concat(this.pieces));
    this.pieces = [];
    if (row !== null) this.rows.push(row);
    if (this.rows.length >= this.maxRows) this.full = true;
  }

  /** DataRow: Int16 column count, then per column Int32 length (-1 = NULL) and the value bytes. */
  private decodeRow(body: Buffer): (string | null)[] | null {
    if (body.length < 2) return null;
    const count = body.readInt16BE(0);
    const row: (string | null)[] = [];
    let offset = 2;
    for (let i = 0; i < count; i++) {
      if (offset + 4 > body.length) return null;
      const length = body.readInt32BE(offset);
      offset += 4;
      if (length === -1) {
        row.push(null);
        continue;
      }
      if (length < 0 || offset + length > body.length) return null;
      const value = body.subarray(offset, offset + length);
      offset += length;
      row.push(this.columnText(i, value));
    }
    return row;
  }

  private columnText(i: number, value: Buffer): string {
    if (formatOf(this.columns.formats, i) === 0) return toValueText(value);
    const oid = this.columns.typeOids?.[i];
    return oid === undefined ? toHexText(value) : binaryValueText(oid, value);
  }
}
