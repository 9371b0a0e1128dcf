import { createHash, hash, type Hash } from 'node:crypto';
import type { CopyOutcome, StatementFinished } from '../../recorder/events.js';
import { RowCapture, type ResultColumns } from './row-capture.js';

/** What capture of result rows the recording config asks for (captureRows 0 = off). */
export interface CaptureLimits {
  readonly captureRows: number;
  readonly captureBytes: number;
}

/** An error as a record keeps it: SQLSTATE and primary message. */
export interface RecordedError {
  readonly code: string;
  readonly message: string;
}

/**
 * One statement from the moment it left pgtrail until its statement.finished record: it collects the
 * outcome as the server's messages arrive. Hashes: resultDigest = SHA-256 over the DataRow bodies
 * (without type byte and length word) concatenated in the order sent; copy sha256 = SHA-256 over the
 * CopyData bodies concatenated in order.
 */
export class StatementRun {
  /** When the statement left pgtrail (updated when a strict record became durable). */
  sentAt: number;
  /** Its SQL text when it is a string (for role tracking), else null. */
  readonly sqlText: string | null;
  command: string | null = null;
  error: RecordedError | null = null;
  notExecuted = false;
  /** Set once a completion, error or skip has been seen. */
  completedAt: number | null = null;
  /** Set while an Execute with a row limit has been suspended (PortalSuspended) and not completed. */
  suspended = false;
  /** Result columns, once known (RowDescription or the Bind's result formats). */
  columns: ResultColumns = NO_COLUMNS;
  private dataRows = 0;
  private rowsFromTag: number | null = null;
  private wasSuspended = false;
  /** The result digest so far: small results are collected (one one-shot hash at the end), larger ones stream. */
  private digest: Hash | null = null;
  private resultBytes: Buffer | null = null;
  private resultLength = 0;
  private capture: RowCapture | null = null;
  private copyDirection: 'in' | 'out' | null = null;
  private copyHash: Hash | null = null;
  private copyBytes = 0;
  /** Set by finish(): the hashes are final, and anything arriving later is not this statement's. */
  private finished = false;

  constructor(
    readonly session: string,
    readonly statement: number,
    sentAt: number,
    sqlText: string | null,
    private readonly limits: CaptureLimits,
  ) {
    this.sentAt = sentAt;
    this.sqlText = sqlText;
  }

  /** True once the statement has an outcome (complete, failed or skipped) and is not suspended. */
  get isComplete(): boolean {
    return this.completedAt !== null && !this.suspended;
  }

  /** A piece of a DataRow body of this statement's result. */
  dataRowPiece(piece: Buffer, first: boolean, last: boolean): void {
    if (this.finished) return;
    this.digestPiece(piece);
    if (last) this.dataRows++;
    if (this.limits.captureRows > 0) {
      this.capture ??= new RowCapture(this.limits.captureRows, this.limits.captureBytes, this.columns);
      this.capture.piece(piece, first, last);
    }
  }

  /** FunctionCallResponse: its body is the result; the digest covers it as it covers DataRow bodies. */
  resultBody(body: Buffer): void {
    if (this.finished) return;
    this.digestPiece(body);
  }

  /**
   * Adds bytes to the result digest. Most results are a few rows: their bytes are collected and
   * hashed once at the end (a one-shot hash costs a fraction of a streaming Hash object); past
   * smallResultBytes the digest streams, so memory stays bounded.
   */
  private digestPiece(piece: Buffer): void {
    if (this.digest !== null) {
      this.digest.update(piece);
      return;
    }
    const length = this.resultLength + piece.length;
    if (length > smallResultBytes) {
      this.digest = createHash('sha256');
      if (this.resultBytes !== null) this.digest.update(this.resultBytes.subarray(0, this.resultLength));
      this.digest.update(piece);
      this.resultBytes = null;
      return;
    }
    if (this.resultBytes === null || length > this.resultBytes.length) {
      const bigger = Buffer.allocUnsafe(Math.min(smallResultBytes, Math.max(256, length * 2)));
      this.resultBytes?.copy(bigger, 0, 0, this.resultLength);
      this.resultBytes = bigger;
    }
    piece.copy(this.resultBytes, this.resultLength);
    this.resultLength = length;
  }

  /** The result digest in hex, or null when no result bytes were seen. */
  private resultDigest(): string | null {
    if (this.digest !== null) return this.digest.digest('hex');
    if (this.resultBytes === null) return null;
    return hash('sha256', this.resultBytes.subarray(0, this.resultLength), 'hex');
  }

  /** CommandComplete (or EmptyQueryResponse when tag is null) ended one execution. */
  complete(tag: string | null, at: number): void {
    this.command = tag;
    this.rowsFromTag = tag === null ? null : rowsOfTag(tag);
    this.suspended = false;
    this.completedAt = at;
  }

  /** ErrorResponse ended the statement. */
  fail(error: RecordedError, at: number): void {
    this.error = error;
    this.suspended = false;
    this.completedAt = at;
  }

  /** The server refused the statement before running it (its Parse, Bind or Describe failed). */
  refuse(error: RecordedError, at: number): void {
    this.error = error;
    this.notExecuted = true;
    this.suspended = false;
    this.completedAt = at;
  }

  /** PortalSuspended: the row limit was reached; a later Execute of the same portal continues this statement. */
  suspend(at: number): void {
    this.suspended = true;
    this.wasSuspended = true;
    this.completedAt = at;
  }

  /** The server skipped the statement (an earlier error in its batch, or its portal was never bound). */
  skip(): void {
    this.notExecuted = true;
    this.completedAt = this.sentAt;
  }

  /** CopyInResponse / CopyOutResponse / CopyBothResponse: a COPY data stream starts. */
  startCopy(direction: 'in' | 'out'): void {
    this.copyDirection = direction;
    this.copyHash = createHash('sha256');
  }

  /** A piece of a CopyData body of this statement's stream. */
  copyPiece(piece: Buffer): void {
    if (this.copyHash === null) return;
    this.copyHash.update(piece);
    this.copyBytes += piece.length;
  }

  /** The statement.finished record; the hashes are final after this call. */
  finish(ts: number, txStatus: 'I' | 'T' | 'E' | null): StatementFinished {
    this.finished = true;
    const copy: CopyOutcome | null =
      this.copyDirection === null || this.copyHash === null
        ? null
        : { direction: this.copyDirection, bytes: this.copyBytes, sha256: this.copyHash.digest('hex') };
    this.copyHash = null;
    // An Execute with a row limit reports only its own rows in its tag: the statement's rows are all it sent.
    const rows = this.error !== null || this.notExecuted ? null : this.wasSuspended ? this.dataRows : this.rowsFromTag;
    return {
      type: 'statement.finished',
      ts,
      session: this.session,
      statement: this.statement,
      command: this.error !== null ? null : this.command,
      rows,
      error: this.error,
      durationMs: this.notExecuted || this.completedAt === null ? 0 : Math.max(0, this.completedAt - this.sentAt),
      txStatus,
      resultDigest: this.resultDigest(),
      notExecuted: this.notExecuted,
      copy,
      capturedRows: this.capture === null ? null : this.capture.rows,
    };
  }
}

/** The row count a command tag reports ('INSERT 0 3' -> 3, 'SELECT 5' -> 5, 'BEGIN' -> null). */
export function rowsOfTag(tag: string): number | null {
  // A session mostly repeats a few tags ('SELECT 1'): the last answer is kept rather than parsed again.
  if (tag === lastTag) return lastRows;
  lastRows = parseRowsOfTag(tag);
  lastTag = tag;
  return lastRows;
}

let lastTag = '';
let lastRows: number | null = null;

function parseRowsOfTag(tag: string): number | null {
  const space = tag.lastIndexOf(' ');
  if (space < 0) return null;
  const last = tag.slice(space + 1);
  if (!/^\d+$/.test(last)) return null;
  const verb = tag.slice(0, tag.indexOf(' '));
  if (!ROW_COUNT_VERBS.has(verb)) return null;
  return Number(last);
}

/** The columns of a statement before any are known (shared: a Bind's usually replace them at once). */
const NO_COLUMNS: ResultColumns = Object.freeze({ formats: Object.freeze([]), typeOids: null });

/** Result bytes up to which the digest is computed in one go at the end (see digestPiece). */
const smallResultBytes = 4096;

/** Commands whose tag ends in a row count (CommandComplete in the protocol docs). */
const ROW_COUNT_VERBS = new Set(['INSERT', 'DELETE', 'UPDATE', 'MERGE', 'SELECT', 'MOVE', 'FETCH', 'COPY']);
