/**
 * The verifier's checks of what witnessing adds to a journal (docs/journal-format.md §2, §10; format
 * 2): each `cosignature` record is exactly its envelope, a tree size with an earlier checkpoint and
 * a signature line, and is handed to the tally (witness-tally.ts) that the --witness keys check;
 * each `witness.alarm` record is a finding, since it says a witness holds a tree this journal does
 * not extend.
 */
import { parseNoteUnverified } from '../format/note.js';
import type { ParsedRecordLine } from '../format/record-line.js';
import { FindingCode } from './journal-finding.js';
import type { RecordLocation } from './segment-walk.js';
import type { VerifierState } from './verifier-state.js';

/** A checkpoint record at `index` that opened: its body for the tally, and the content records before it. */
export function noteCheckpointForWitnessing(s: VerifierState, index: number, note: string): void {
  s.tally?.addCheckpoint(index, parseNoteUnverified(note).text);
  s.contentBefore.set(index, index - (s.checkpoints - 1) - s.cosignatureRecords);
}

/** A `cosignature` record. */
export function checkCosignatureRecord(
  s: VerifierState,
  record: ParsedRecordLine,
  text: string,
  at: RecordLocation,
): void {
  const size = record.body['size'];
  const line = record.body['cosignature'];
  s.cosignatureRecords++;
  const exact =
    typeof size === 'number' &&
    typeof line === 'string' &&
    text ===
      `{"i":${record.index},"prev":"${record.prev}","kind":"cosignature","size":${size},"cosignature":${JSON.stringify(line)}}`;
  if (s.format < 2 || !exact || !s.checkpointNotes.has(size) || !/^\u2014 \S+ \S+$/.test(line)) {
    s.report(FindingCode.recordMalformed, 'cosignature record is not {size, cosignature} on an earlier checkpoint', at);
    return;
  }
  s.tally?.addLine(size, line);
}

/** A `witness.alarm` record. */
export function checkWitnessAlarm(s: VerifierState, body: Readonly<Record<string, unknown>>, at: RecordLocation): void {
  s.witnessAlarms++;
  if (s.format < 2) {
    s.report(FindingCode.recordMalformed, 'witness.alarm record in a format 1 journal', at);
    return;
  }
  const size = typeof body['size'] === 'number' ? body['size'] : '?';
  s.report(FindingCode.witnessAlarm, `a witness holds a tree of ${size} records this journal does not extend`, at);
}
