/**
 * The verifier's checks of the journal's own records (docs/journal-format.md §2, §4, §5):
 * journal.started names the origin and first key, every checkpoint is exactly its envelope and a
 * note signed by the key in force over the tree before it, and a key.rotated hands over to the next
 * key with a note the old key signed. Event records need nothing beyond the walk's chain and tree.
 */
import { encodeBase64 } from '../format/base64.js';
import { parseCheckpoint, type Checkpoint } from '../format/checkpoint.js';
import { keyRotationText } from '../format/key-rotation.js';
import { type CompactRange, equalBytes } from '../format/merkle.js';
import { openNote, parseVerifierKey, type NoteVerifierKey } from '../format/note.js';
import { type ParsedRecordLine, RecordKind } from '../format/record-line.js';
import { FindingCode } from './journal-finding.js';
import type { RecordLocation } from './segment-walk.js';
import type { VerifierState } from './verifier-state.js';
import { checkCosignatureRecord, checkWitnessAlarm, noteCheckpointForWitnessing } from './witness-record-checks.js';
import { VerifyError, VerifyErrorCode } from './verify-error.js';
import { parseHoldBody, parseHoldReleaseBody } from '../format/hold-record.js';

/** Checks a parsed record of any kind at its place; `tree` holds the records before it. */
export function checkOwnRecord(
  s: VerifierState,
  record: ParsedRecordLine,
  text: string,
  at: RecordLocation,
  tree: CompactRange,
): void {
  switch (record.kind) {
    case RecordKind.event:
      // Shape checked by parseRecordLine; contents are covered by the chain and the tree.
      return;
    case RecordKind.journalStarted:
      checkJournalStarted(s, record.body, at);
      return;
    case RecordKind.checkpoint:
      checkCheckpointRecord(s, record, text, at, tree);
      return;
    case RecordKind.keyRotated:
      checkKeyRotated(s, record.body, at);
      return;
    case RecordKind.recovery:
      s.recoveries++;
      return;
    case RecordKind.cosignature:
      checkCosignatureRecord(s, record, text, at);
      return;
    case RecordKind.witnessAlarm:
      checkWitnessAlarm(s, record.body, at);
      return;
    case RecordKind.hold: {
      const hold = parseHoldBody(record.body);
      if (hold === null) s.report(FindingCode.recordMalformed, 'hold record has no valid id, time and scope', at);
      else {
        s.holds++;
        s.holdIds.add(hold.id);
      }
      return;
    }
    case RecordKind.holdReleased:
      checkHoldReleased(s, record.body, at);
      return;
    case RecordKind.pruned:
      // Checked by the verifier state before this (its stored leaf replaces the line's hash).
      return;
  }
}

/** A release names a hold recorded before it, and releases it once (docs/journal-format.md §11). */
function checkHoldReleased(s: VerifierState, body: Readonly<Record<string, unknown>>, at: RecordLocation): void {
  const release = parseHoldReleaseBody(body);
  if (release === null) s.report(FindingCode.recordMalformed, 'hold.released record has no valid hold id and time', at);
  else if (!s.holdIds.has(release.hold))
    s.report(FindingCode.recordMalformed, 'hold.released names no hold recorded before it', at);
  else if (s.releasedHoldIds.has(release.hold))
    s.report(FindingCode.recordMalformed, 'hold.released releases a hold released before', at);
  else s.releasedHoldIds.add(release.hold);
}

function checkJournalStarted(s: VerifierState, body: Readonly<Record<string, unknown>>, at: RecordLocation): void {
  const vkey = body['vkey'];
  const name = body['origin'];
  if (at.index !== 0 || typeof vkey !== 'string' || typeof name !== 'string') {
    s.report(FindingCode.recordMalformed, 'journal.started must be the first record and name its origin and key', at);
    return;
  }
  let key: NoteVerifierKey;
  try {
    key = parseVerifierKey(vkey, s.sha256);
  } catch {
    s.report(FindingCode.recordMalformed, 'journal.started names a malformed verifier key', at);
    return;
  }
  // The origin is the key's name; checkpoints are held to the key's name so one altered byte here is one finding.
  s.origin = key.name;
  s.format = typeof body['format'] === 'number' ? body['format'] : 1;
  if (name !== key.name)
    s.report(FindingCode.recordMalformed, "journal.started's origin differs from its key's name", at);
  if (s.pinned === null) {
    s.trusted = [key];
    s.everTrusted.push(key);
  } else if (!s.pinned.some((k) => k.text === key.text)) {
    // Perhaps a pinned key took over later (keygen --rotate): every checkpoint commits to every record
    // before it, so the first one signed by a pinned key vouches for this key's records and its
    // hand-over. Until then its signatures are checked but not trusted; if none comes, end-checks.ts
    // reports the mismatch here.
    s.trusted = [key];
    s.everTrusted.unshift(key);
    s.awaitingPinnedKey = at;
  }
}

function checkCheckpointRecord(
  s: VerifierState,
  record: ParsedRecordLine,
  text: string,
  at: RecordLocation,
  tree: CompactRange,
): void {
  const note = record.body['note'];
  if (typeof note !== 'string') {
    s.report(FindingCode.recordMalformed, 'checkpoint record has no note', at);
    return;
  }
  s.checkpoints++;
  s.checkpointNotes.set(at.index, note);
  if (text !== `{"i":${record.index},"prev":"${record.prev}","kind":"checkpoint","note":${JSON.stringify(note)}}`) {
    // Nothing but the note is allowed, so every byte of a checkpoint record is checked.
    s.report(FindingCode.recordMalformed, 'checkpoint record is not exactly its envelope and note', at);
  }
  const checkpoint = openCheckpoint(s, note, s.trusted, at);
  if (checkpoint === null) return;
  if (checkpoint.size !== at.index) {
    s.report(
      FindingCode.checkpointSizeMismatch,
      `checkpoint covers ${checkpoint.size} records but stands at position ${at.index}`,
      at,
    );
  } else if (!equalBytes(checkpoint.root, tree.root())) {
    // Every later root differs too, as a consequence; the first one is the finding.
    if (!s.rootDiffers)
      s.report(
        FindingCode.rootMismatch,
        `checkpoint root differs from the tree of the ${at.index} records before it`,
        at,
      );
    s.rootDiffers = true;
  }
  s.lastCheckpoint = { size: checkpoint.size, root: encodeBase64(checkpoint.root) };
  if (checkpoint.size === at.index) noteCheckpointForWitnessing(s, at.index, note);
  // Only before a pinned key was ever in force: after it, later keys are trusted by their hand-over.
  if (s.awaitingPinnedKey !== null) {
    if (s.signsAsPinned()) s.awaitingPinnedKey = null;
    else s.unpinnedCheckpoints++;
  }
}

function checkKeyRotated(s: VerifierState, body: Readonly<Record<string, unknown>>, at: RecordLocation): void {
  const vkey = body['vkey'];
  const note = body['note'];
  if (typeof vkey !== 'string' || typeof note !== 'string') {
    s.report(FindingCode.recordMalformed, 'key.rotated record needs vkey and note', at);
    return;
  }
  s.keyRotations++;
  let next: NoteVerifierKey;
  try {
    next = parseVerifierKey(vkey, s.sha256);
    const opened = openNote(note, s.trusted);
    if (opened.text !== keyRotationText(s.origin ?? next.name, at.index, vkey)) {
      s.report(FindingCode.checkpointMalformed, 'key rotation note does not name this journal, position and key', at);
      return;
    }
  } catch (err) {
    reportNoteError(s, err, at);
    return;
  }
  s.trusted = [next];
  s.everTrusted.push(next);
}

/** Opens a checkpoint note signed by one of `keys` and of this journal's origin; reports why not and returns null. */
export function openCheckpoint(
  s: VerifierState,
  note: string,
  keys: readonly NoteVerifierKey[],
  at: Partial<RecordLocation>,
): Checkpoint | null {
  try {
    const checkpoint = parseCheckpoint(openNote(note, keys).text);
    if (s.origin !== null && checkpoint.origin !== s.origin) {
      s.report(FindingCode.checkpointMalformed, 'checkpoint names another origin than the journal', at);
      return null;
    }
    return checkpoint;
  } catch (err) {
    reportNoteError(s, err, at);
    return null;
  }
}

function reportNoteError(s: VerifierState, err: unknown, at: Partial<RecordLocation>): void {
  if (!(err instanceof VerifyError)) throw err;
  const signature = err.code === VerifyErrorCode.noteSignatureInvalid || err.code === VerifyErrorCode.noteUnverified;
  s.report(signature ? FindingCode.signatureInvalid : FindingCode.checkpointMalformed, `${err.message}`, at);
}
