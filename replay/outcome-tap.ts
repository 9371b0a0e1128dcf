import { createHash, type Hash } from 'node:crypto';
import { parseErrorFields } from '../proxy/protocol/error-fields.js';
import { BackendCode, HEADER_BYTES } from '../proxy/protocol/message-codes.js';

/** What one statement came to on the target, as the server's messages said. */
export interface ReplayedOutcome {
  /** CommandComplete's tag, null on error or EmptyQueryResponse. */
  readonly command: string | null;
  readonly rows: number | null;
  /** SQLSTATE of the ErrorResponse, or null. */
  readonly errorCode: string | null;
  /** SHA-256 (hex) over the DataRow bodies in order, or null when there were none (as the recorder computes it). */
  readonly resultDigest: string | null;
}

/**
 * Reads the backend byte stream beside the client library that drives the connection and computes
 * each statement's outcome from the raw messages, so that the result digest is exactly the
 * recorder's: SHA-256 over the concatenated DataRow bodies (without type byte and length word).
 * One outcome per ReadyForQuery. Attach it at a message boundary (when the connection is idle).
 */
export class OutcomeTap {
  private pending = Buffer.alloc(0);
  private command: string | null = null;
  private errorCode: string | null = null;
  private digest: Hash | null = null;
  private readonly done: ReplayedOutcome[] = [];

  /** Feeds bytes as the socket delivered them. */
  push(chunk: Buffer): void {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    while (data.length - at >= HEADER_BYTES) {
      const length = data.readInt32BE(at + 1);
      if (data.length - at < 1 + length) break;
      this.message(data[at] as number, data.subarray(at + HEADER_BYTES, at + 1 + length));
      at += 1 + length;
    }
    this.pending = at === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
  }

  /** The outcome of the oldest completed exchange, or null when none has completed. */
  take(): ReplayedOutcome | null {
    return this.done.shift() ?? null;
  }

  private message(type: number, body: Buffer): void {
    switch (type) {
      case BackendCode.DataRow:
        (this.digest ??= createHash('sha256')).update(body);
        return;
      case BackendCode.CommandComplete:
        this.command = body.toString('utf8', 0, Math.max(0, body.indexOf(0)));
        return;
      case BackendCode.ErrorResponse:
        this.errorCode = parseErrorFields(body).code || null;
        return;
      case BackendCode.ReadyForQuery:
        this.done.push({
          command: this.errorCode === null ? this.command : null,
          rows: this.errorCode === null && this.command !== null ? rowsOfTag(this.command) : null,
          errorCode: this.errorCode,
          resultDigest: this.digest === null ? null : this.digest.digest('hex'),
        });
        this.command = null;
        this.errorCode = null;
        this.digest = null;
        return;
      default:
        return;
    }
  }
}

/** The row count a command tag reports ('INSERT 0 3' -> 3, 'SELECT 5' -> 5, 'BEGIN' -> null). */
export function rowsOfTag(tag: string): number | null {
  const match = / (\d+)$/.exec(tag);
  return match ? Number(match[1]) : null;
}
