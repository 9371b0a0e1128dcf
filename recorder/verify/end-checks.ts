/**
 * The verifier's checks once every record is walked: the latest-checkpoint file is a checkpoint the
 * journal holds (docs/journal-format.md §1), and the journal extends the tree a previous run
 * verified (--state): not shorter (rolled back) and with the same records (not forked).
 */
import { encodeBase64 } from '../format/base64.js';
import type { Checkpoint } from '../format/checkpoint.js';
import { equalBytes } from '../format/merkle.js';
import { FindingCode } from './journal-finding.js';
import { openCheckpoint } from './own-record-checks.js';
import type { SegmentWalk } from './segment-walk.js';
import type { VerifierState } from './verifier-state.js';

/** What a verifier remembers between runs (--state): the tree it last verified. */
export interface VerifiedTree {
  readonly size: number;
  /** Base64 of the tree head. */
  readonly root: string;
}

/**
 * Holds the latest-checkpoint file (`note`, parsed as `latest` when it is well-formed) against the
 * walked journal; a file that is missing while the journal has records is a finding too.
 */
export function checkLatestCheckpointFile(
  s: VerifierState,
  walk: SegmentWalk,
  note: string | null,
  latest: Checkpoint | null,
): void {
  const pos = walk.pos;
  if (note === null) {
    if (pos > 0) s.report(FindingCode.checkpointMissing, 'the latest-checkpoint file is missing');
    return;
  }
  if (latest === null) return;
  // The writer replaces the file only after the checkpoint record at index `size` is durable.
  if (latest.size >= pos) {
    s.report(
      FindingCode.truncated,
      `the latest checkpoint is record ${latest.size} but the journal has ${pos} records`,
      {
        index: pos,
      },
    );
    return;
  }
  if (openCheckpoint(s, note, s.everTrusted, {}) === null) return;
  const root = walk.rootsAt.get(latest.size);
  const differs =
    root === undefined ||
    !equalBytes(root, latest.root) ||
    !isRecordNoteWithCosignatures(s.checkpointNotes.get(latest.size), note);
  if (differs && !s.rootDiffers) {
    s.report(
      FindingCode.checkpointMismatch,
      `the latest-checkpoint file is not the checkpoint record at index ${latest.size}`,
      {
        index: latest.size,
      },
    );
  }
}

/** Holds the journal against the tree a previous run verified. */
export function checkRemembered(s: VerifierState, walk: SegmentWalk, remembered: VerifiedTree): void {
  const pos = walk.pos;
  if (remembered.size > pos) {
    s.report(
      FindingCode.rolledBack,
      `the journal has ${pos} records, fewer than the ${remembered.size} verified before`,
      {
        index: pos,
      },
    );
    return;
  }
  const root = walk.rootsAt.get(remembered.size);
  if (root === undefined || encodeBase64(root) !== remembered.root) {
    s.report(FindingCode.forked, `the first ${remembered.size} records differ from those verified before`, {
      index: remembered.size,
    });
  }
}

/** The checkpoint file holds the record's note exactly, or that note followed by witness cosignature lines (§10). */
function isRecordNoteWithCosignatures(recordNote: string | undefined, file: string): boolean {
  if (recordNote === undefined || !file.startsWith(recordNote)) return false;
  const extra = file.slice(recordNote.length);
  return extra === '' || /^(\u2014 \S+ [A-Za-z0-9+/=]+\n)+$/.test(extra);
}

/**
 * Reports a journal that gives nothing to verify against the pinned keys: no record at all (wiped or
 * empty), or a first key that is not pinned and that no checkpoint signed by a pinned key vouches for.
 */
export function checkPinnedKeyReached(s: VerifierState, walk: SegmentWalk): void {
  if (s.pinned === null) return;
  if (walk.pos === 0) {
    s.report(
      FindingCode.empty,
      'the journal has no records and no checkpoint signed by a pinned key: nothing is there to verify (a wiped journal looks like this)',
    );
    return;
  }
  if (s.awaitingPinnedKey !== null) {
    s.report(
      FindingCode.keyMismatch,
      'the journal names a signing key other than the pinned verifier key, and no checkpoint signed by a pinned key vouches for it',
      s.awaitingPinnedKey,
    );
  }
}
