/**
 * What the verifier reports: one finding per problem, each with where it is. A journal with no
 * findings is intact. Codes are stable (docs/errors.md); messages never quote record contents.
 */

/** Every code a finding can carry. */
export const FindingCode = {
  /** A line is not a well-formed record (envelope, JSON, or the fields of its kind). */
  recordMalformed: 'JOURNAL_RECORD_MALFORMED',
  /** A record's index is not its position: records were deleted, inserted or reordered here. */
  indexMismatch: 'JOURNAL_INDEX_MISMATCH',
  /** A record's hash differs from the `prev` its successor stored: one of the two was altered. */
  chainBroken: 'JOURNAL_CHAIN_BROKEN',
  /** A checkpoint's root hash differs from the tree of the records before it. */
  rootMismatch: 'JOURNAL_ROOT_MISMATCH',
  /** A checkpoint's tree size differs from its own index. */
  checkpointSizeMismatch: 'JOURNAL_CHECKPOINT_SIZE_MISMATCH',
  /** A checkpoint or rotation note is malformed, or names another origin. */
  checkpointMalformed: 'JOURNAL_CHECKPOINT_MALFORMED',
  /** A checkpoint or rotation note is not validly signed by the key in force. */
  signatureInvalid: 'JOURNAL_SIGNATURE_INVALID',
  /** The journal's first key is not pinned, and no checkpoint signed by a pinned --vkey vouches for it. */
  keyMismatch: 'JOURNAL_KEY_MISMATCH',
  /** With a pinned --vkey: the journal has no records and no checkpoint (wiped or empty): nothing to verify. */
  empty: 'JOURNAL_EMPTY',
  /** A segment does not start where the previous one ended (a segment is missing or misnamed). */
  segmentGap: 'JOURNAL_SEGMENT_GAP',
  /** The last segment ends in an unfinished record: a crash the writer has not yet recovered. */
  tornTail: 'JOURNAL_TORN_TAIL',
  /** The latest-checkpoint file is missing though the journal has records. */
  checkpointMissing: 'JOURNAL_CHECKPOINT_MISSING',
  /** The latest-checkpoint file is not a checkpoint that the journal holds. */
  checkpointMismatch: 'JOURNAL_CHECKPOINT_MISMATCH',
  /** The journal has fewer records than its latest signed checkpoint covers. */
  truncated: 'JOURNAL_TRUNCATED',
  /** The journal has fewer records than the --state file remembers: rolled back to an older copy. */
  rolledBack: 'JOURNAL_ROLLED_BACK',
  /** The first records differ from the tree the --state file remembers: history was rewritten. */
  forked: 'JOURNAL_FORKED',
  /** A cosignature by a pinned witness (--witness) does not verify over the checkpoint it names. */
  cosignatureInvalid: 'JOURNAL_COSIGNATURE_INVALID',
  /** The writer recorded that a witness holds a tree this journal does not extend (docs/witnesses.md). */
  witnessAlarm: 'JOURNAL_WITNESS_ALARM',
  /** Format 3: an event record's session chain members (sprev, sn) are not what its session's records make them. */
  sessionChainBroken: 'JOURNAL_SESSION_CHAIN_BROKEN',
} as const;

/** One of FindingCode's values. */
export type FindingCode = (typeof FindingCode)[keyof typeof FindingCode];

/** One problem and where it is; a location field is null when the problem has no single place. */
export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
  readonly segment: string | null;
  /** 1-based line in the segment. */
  readonly line: number | null;
  /** Byte offset of the line's start in the segment. */
  readonly offset: number | null;
  /** The record's position in the journal (its expected index). */
  readonly index: number | null;
}
