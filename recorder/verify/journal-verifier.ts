/**
 * The offline verifier: given a journal's segments, its latest-checkpoint file and (optionally) the
 * pinned verifier key and a remembered state, it checks every record, the hash chain, the Merkle
 * tree against every checkpoint, every signature, the continuity of segments, and that the journal
 * extends what was verified before. It reports findings; it never repairs anything.
 *
 * This file and everything it imports run in a browser: no node: modules, bytes in, findings out.
 * The format itself (envelope, hashes, tree, notes, checkpoints, keys, segment names) is
 * recorder/format/, which the writer and the scanner use too: one definition of the bytes, so the
 * writer cannot drift from what this walk checks. What guards against a shared mistake is
 * docs/journal-format.md with its worked example and the known-answer vectors, not separate code.
 */
import { parseCheckpoint, type Checkpoint } from '../format/checkpoint.js';
import { parseNoteUnverified, parseVerifierKey } from '../format/note.js';
import { portableSha256, sha256IntoFrom, type Sha256, type Sha256Into } from '../format/sha256.js';
import { checkLatestCheckpointFile, checkPinnedKeyReached, checkRemembered, type VerifiedTree } from './end-checks.js';
import { FindingCode, type Finding } from './journal-finding.js';
import { SegmentWalk, type SegmentSource } from './segment-walk.js';
import { VerifierState } from './verifier-state.js';
import { VerifierWalkOwner } from './verifier-walk-owner.js';
import { parseCosignerKey } from '../format/cosignature.js';
import { WitnessTally, type WitnessSummary } from './witness-tally.js';

export type { VerifiedTree } from './end-checks.js';
export type { SegmentSource } from './segment-walk.js';

/** Everything the verifier looks at. */
export interface JournalVerifyInput {
  /** The segment files, in any order. */
  readonly segments: readonly SegmentSource[];
  /** The latest-checkpoint file's contents (a signed note), or null when there is none. */
  readonly latestCheckpoint: string | null;
  /** Verifier keys to trust for the journal's first key; null trusts the key the journal names. */
  readonly pinnedKeys: readonly string[] | null;
  /** The tree a previous run verified, or null. */
  readonly remembered: VerifiedTree | null;
  readonly sha256?: Sha256;
  /** The same SHA-256 writing into memory (faster per record); by default derived from `sha256`. */
  readonly sha256Into?: Sha256Into;
  /**
   * Whether bytes are valid UTF-8, exactly as a fatal TextDecoder decides (Node: buffer.isUtf8, which
   * makes no string); by default a fatal TextDecoder.
   */
  readonly isUtf8?: (bytes: Uint8Array) => boolean;
  /** Findings beyond this many are counted, not listed. */
  readonly maxFindings?: number;
  /** A writer is running: an unfinished last line is a write in progress, not a torn tail. */
  readonly writerActive?: boolean;
  /** Witness cosigner keys to check cosignatures against (--witness); none by default. */
  readonly witnessKeys?: readonly string[];
  /** Distinct pinned witnesses a checkpoint needs to count as witnessed (default 1 when keys are given). */
  readonly quorum?: number;
}

/** Which checkpoints are witnessed, and how many records no witnessed tree covers yet. */
export interface WitnessReport extends WitnessSummary {
  /** Records at or after the last witnessed tree, not counting checkpoint and cosignature records. */
  readonly unwitnessedRecords: number;
}

/** Consecutive pruned records within one segment. */
export interface PrunedRange {
  readonly segment: string;
  readonly first: number;
  readonly last: number;
}

/** The outcome of one verification. */
export interface JournalVerifyReport {
  readonly intact: boolean;
  readonly findings: readonly Finding[];
  readonly findingsOmitted: number;
  readonly records: number;
  readonly segments: number;
  readonly checkpoints: number;
  readonly recoveries: number;
  readonly keyRotations: number;
  readonly origin: string | null;
  /** Verifier keys in force, oldest first. */
  readonly keys: readonly string[];
  readonly keyPinned: boolean;
  /**
   * Checkpoints signed by a key that was not pinned, before the hand-over to a pinned key (whose
   * first checkpoint vouches for them): informational, not a finding.
   */
  readonly unpinnedCheckpoints: number;
  /** The last checkpoint record in the journal. */
  readonly lastCheckpoint: { readonly size: number; readonly root: string } | null;
  /** Records in pruned form (content removed by `pgtrail prune`, leaf hash kept), and where: index ranges per segment. */
  readonly pruned: { readonly records: number; readonly ranges: readonly PrunedRange[] };
  /** Legal hold records. */
  readonly holds: number;
  /** Releases of legal holds (`hold.released` records). */
  readonly holdReleases: number;
  /** Records after the last checkpoint: present, chained, but not yet signed. */
  readonly unsealedRecords: number;
  /** Bytes of a record being written when the journal was read (writerActive only). */
  readonly inProgressBytes: number;
  /** The witnessing tally when witness keys were given, else null. */
  readonly witnessing: WitnessReport | null;
  /** witness.alarm records (each also a finding). */
  readonly witnessAlarms: number;
  /** What to remember for the next run: the last checkpoint, or the old state when there are findings. */
  readonly verified: VerifiedTree | null;
}

/**
 * Verifies a journal; resolves with a report (findings, counts), rejects only on a malformed --vkey.
 * In order: the latest-checkpoint file is parsed (its size is a tree head to keep), every segment is
 * walked (segment-walk.ts) with each problem reported as a finding (verifier-walk-owner.ts, own-record-checks.ts),
 * then the file and the remembered tree are held against the walked journal (end-checks.ts).
 */
export async function verifyJournal(input: JournalVerifyInput): Promise<JournalVerifyReport> {
  const sha256 = input.sha256 ?? portableSha256;
  const pinned = input.pinnedKeys?.map((k) => parseVerifierKey(k, sha256)) ?? null;
  const s = new VerifierState(sha256, pinned, input.maxFindings ?? 1000);
  const witnessKeys = (input.witnessKeys ?? []).map((k) => parseCosignerKey(k, sha256));
  if (witnessKeys.length > 0) s.tally = new WitnessTally(witnessKeys, input.quorum ?? 1);
  const latest = parseLatestCheckpoint(s, input.latestCheckpoint);
  // Sizes whose tree head we must know at the end: the latest checkpoint's and the remembered one.
  const wanted = new Set<number>();
  if (latest !== null) wanted.add(latest.size);
  if (input.remembered !== null) wanted.add(input.remembered.size);
  const walk = new SegmentWalk(
    new VerifierWalkOwner(s, input.writerActive === true),
    input.sha256Into ?? sha256IntoFrom(sha256),
    sha256,
    input.isUtf8 ?? fatalUtf8Check(),
    wanted,
  );
  await walk.walk(input.segments);
  checkPinnedKeyReached(s, walk);
  checkLatestCheckpointFile(s, walk, input.latestCheckpoint, latest);
  if (input.remembered !== null) checkRemembered(s, walk, input.remembered);
  const witnessing = tallyWitnesses(s, walk, input.latestCheckpoint, latest);
  return finalReport(s, walk, input.remembered, witnessing);
}

function parseLatestCheckpoint(s: VerifierState, note: string | null): Checkpoint | null {
  if (note === null) return null;
  try {
    return parseCheckpoint(parseNoteUnverified(note).text);
  } catch {
    s.report(FindingCode.checkpointMismatch, 'the latest-checkpoint file is not a well-formed checkpoint');
    return null;
  }
}

/** The tally, with the cosignatures merged into the checkpoint file as well, and the unwitnessed tail. */
function tallyWitnesses(
  s: VerifierState,
  walk: SegmentWalk,
  file: string | null,
  latest: Checkpoint | null,
): WitnessReport | null {
  const tally = s.tally;
  if (tally === null) return null;
  if (file !== null && latest !== null && s.checkpointNotes.has(latest.size))
    tally.addNoteLines(latest.size, file, new Set(s.everTrusted.map((k) => k.name)));
  const summary = tally.summarize((size, witness) =>
    s.report(FindingCode.cosignatureInvalid, `a cosignature by ${witness} does not verify over checkpoint ${size}`, {
      index: size,
    }),
  );
  const content = walk.pos - s.checkpoints - s.cosignatureRecords;
  const covered = summary.lastWitnessed === null ? 0 : (s.contentBefore.get(summary.lastWitnessed) ?? 0);
  return { ...summary, unwitnessedRecords: content - covered };
}

function finalReport(
  s: VerifierState,
  walk: SegmentWalk,
  remembered: VerifiedTree | null,
  witnessing: WitnessReport | null,
): JournalVerifyReport {
  const intact = s.findings.length === 0 && s.omitted === 0;
  const sealed = s.lastCheckpoint;
  const records = walk.pos;
  return {
    intact,
    findings: s.findings,
    findingsOmitted: s.omitted,
    records,
    segments: walk.segments,
    checkpoints: s.checkpoints,
    recoveries: s.recoveries,
    keyRotations: s.keyRotations,
    origin: s.origin,
    keys: s.trusted.length === 0 ? [] : [...new Set(s.everTrusted.map((k) => k.text))],
    keyPinned: s.pinned !== null,
    unpinnedCheckpoints: s.unpinnedCheckpoints,
    lastCheckpoint: sealed,
    pruned: { records: s.prunedRecords, ranges: s.prunedRanges },
    holds: s.holds,
    holdReleases: s.releasedHoldIds.size,
    unsealedRecords: sealed === null ? records : records - sealed.size - 1,
    inProgressBytes: s.inProgressBytes,
    witnessing,
    witnessAlarms: s.witnessAlarms,
    verified: intact && sealed !== null ? sealed : remembered,
  };
}

function fatalUtf8Check(): (bytes: Uint8Array) => boolean {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return (bytes) => {
    try {
      decoder.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
}
