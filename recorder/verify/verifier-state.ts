/**
 * What the verifier knows while it walks a journal: the findings so far, the keys in force, the
 * journal's origin and the counts it reports. It is plain state that the checks write to: what the
 * verifier does about each problem the segment walk meets is verifier-walk-owner.ts, the checks of
 * the journal's own records own-record-checks.ts, those after the walk end-checks.ts. It imports
 * none of them, so they can all take it without an import loop.
 */
import type { NoteVerifierKey } from '../format/note.js';
import type { Sha256 } from '../format/sha256.js';
import { SessionChains } from '../format/session-chain.js';
import type { FindingCode, Finding } from './journal-finding.js';
import type { WitnessTally } from './witness-tally.js';
import type { RecordLocation } from './segment-walk.js';

/** The verifier's state over one run. */
export class VerifierState {
  readonly findings: Finding[] = [];
  /** Findings beyond maxFindings: counted, not listed. */
  omitted = 0;
  /** The keys whose signatures are accepted now: the pinned ones, then journal.started's, then each rotation's. */
  trusted: NoteVerifierKey[];
  /** Every key that was ever in force, oldest first. */
  readonly everTrusted: NoteVerifierKey[];
  /** The journal's name (its first key's name), once journal.started is read. */
  origin: string | null = null;
  checkpoints = 0;
  recoveries = 0;
  keyRotations = 0;
  /** The last checkpoint record that opened. */
  lastCheckpoint: { size: number; root: string } | null = null;
  /** A checkpoint's root differed from the tree: every later one does too, as a consequence. */
  rootDiffers = false;
  /** Bytes of a record being written when the journal was read (writerActive only). */
  inProgressBytes = 0;
  /** Records in pruned form, and where: runs of consecutive indexes within one segment. */
  prunedRecords = 0;
  readonly prunedRanges: { segment: string; first: number; last: number }[] = [];
  /** Legal hold records. */
  holds = 0;
  /** Ids of the hold records seen so far, and of those released (a release must name one of them, once). */
  readonly holdIds = new Set<string>();
  readonly releasedHoldIds = new Set<string>();
  /**
   * Where journal.started named a key that is not pinned: trusted only until a checkpoint signed by
   * a pinned key (after a hand-over) vouches for everything before it; still set at the end, it is
   * a JOURNAL_KEY_MISMATCH there.
   */
  awaitingPinnedKey: RecordLocation | null = null;
  /** Checkpoints signed by a key that was not pinned, before a pinned key took over (informational). */
  unpinnedCheckpoints = 0;
  /** The note of each checkpoint record, by its index. */
  readonly checkpointNotes = new Map<number, string>();
  /** journal.started's format (docs/journal-format.md §9). */
  format = 1;
  /** Cosignatures on checkpoints, collected for the tally when witness keys are given (witness-record-checks.ts). */
  tally: WitnessTally | null = null;
  cosignatureRecords = 0;
  witnessAlarms = 0;
  /** Records other than checkpoints and cosignatures before each checkpoint, by its size. */
  readonly contentBefore = new Map<number, number>();
  /** The open sessions' chains (format 3 on; docs/journal-format.md §13). */
  readonly chains = new SessionChains();

  constructor(
    readonly sha256: Sha256,
    /** The pinned verifier keys, or null when the journal's own key is trusted. */
    readonly pinned: readonly NoteVerifierKey[] | null,
    private readonly maxFindings: number,
  ) {
    this.trusted = pinned === null ? [] : [...pinned];
    this.everTrusted = [...this.trusted];
  }

  /** Whether a signature by the key in force is one by a pinned key (always, when nothing is pinned). */
  signsAsPinned(): boolean {
    const pinned = this.pinned;
    return pinned === null || this.trusted.some((k) => pinned.some((p) => p.text === k.text));
  }

  /** Records a finding (or counts it, beyond maxFindings). */
  report(code: FindingCode, message: string, at: Partial<RecordLocation> = {}): void {
    if (this.findings.length >= this.maxFindings) {
      this.omitted++;
      return;
    }
    this.findings.push({
      code,
      message,
      segment: at.segment ?? null,
      line: at.line ?? null,
      offset: at.offset ?? null,
      index: at.index ?? null,
    });
  }
}
