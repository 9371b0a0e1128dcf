/**
 * The one error class of the journal writer, reader and keys (recorder/, outside format/ and verify/). Codes are
 * stable and listed in docs/errors.md; messages are lowercase and never contain record contents.
 */

/** Every code a JournalError carries. */
export const JournalErrorCode = {
  /** Another writer holds the journal's lock file. */
  locked: 'JOURNAL_LOCKED',
  /** No signing key where one is expected. */
  keyMissing: 'JOURNAL_KEY_MISSING',
  /** keygen would overwrite an existing signing key. */
  keyExists: 'JOURNAL_KEY_EXISTS',
  /** A signing key file is not a well-formed Ed25519 signer key. */
  keyMalformed: 'JOURNAL_KEY_MALFORMED',
  /** The signing key file may be read by group or others: refused until it is mode 0600 (and rotated). */
  keyExposed: 'JOURNAL_KEY_EXPOSED',
  /** The signing key is not the journal's key and no retired key can sign the hand-over. */
  keyMismatch: 'JOURNAL_KEY_MISMATCH',
  /** A record that is not a torn final write does not parse: the journal refuses to open. */
  recordMalformed: 'JOURNAL_RECORD_MALFORMED',
  /** Records do not chain, are out of order, or a checkpoint does not match: refuses to open. */
  chainBroken: 'JOURNAL_CHAIN_BROKEN',
  /** Segments do not follow one another: refuses to open. */
  segmentGap: 'JOURNAL_SEGMENT_GAP',
  /** The journal has fewer records than its latest signed checkpoint: refuses to open. */
  shorterThanCheckpoint: 'JOURNAL_SHORTER_THAN_CHECKPOINT',
  /** Writing or syncing failed (ENOSPC, EIO, ...): the writer has failed closed. */
  writeFailed: 'JOURNAL_WRITE_FAILED',
  /** The writer was closed. */
  closed: 'JOURNAL_CLOSED',
  /** A file of the journal could not be read. */
  readFailed: 'JOURNAL_READ_FAILED',
  /** A proof was asked for a record or tree size the journal does not have. */
  proofOutOfRange: 'JOURNAL_PROOF_OUT_OF_RANGE',
} as const;

/** One of JournalErrorCode's values. */
export type JournalErrorCode = (typeof JournalErrorCode)[keyof typeof JournalErrorCode];

/** Where in the journal an error is, when it has a place. */
export interface JournalLocation {
  readonly segment?: string;
  readonly line?: number;
  readonly index?: number;
}

/** A journal that cannot be opened, written or read. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
  readonly segment: string | null;
  readonly line: number | null;
  readonly index: number | null;

  constructor(
    readonly code: JournalErrorCode,
    message: string,
    location: JournalLocation = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.segment = location.segment ?? null;
    this.line = location.line ?? null;
    this.index = location.index ?? null;
  }
}
