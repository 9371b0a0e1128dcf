/**
 * The records of one session as the viewer sends them: the exact line of each (the browser parses
 * and verifies them itself), in journal order, a page at a time; and inclusion proofs of records
 * against the latest checkpoint. The server only finds and reads; the browser decides what is true.
 */
import { encodeBase64 } from '../../recorder/format/base64.js';
import { candidateRows } from '../../search/statement-filter.js';
import type { LiveJournal, LocatedRecord } from './live-journal.js';

/** Most records sent per page of a session. */
export const recordsPerPage = 2000;
/** Most records one proof request may name. */
export const maxProofsPerRequest = recordsPerPage;

/** One record as sent to the browser: its index and its exact line (without the newline). */
export interface RecordLine {
  readonly seq: number;
  readonly line: string;
}

/** Where every record of a session lies, in journal order: opening, statements, extras, closing. */
export function sessionRecordLocations(journal: LiveJournal, session: string): LocatedRecord[] | null {
  const index = journal.index;
  const number = index.sessionNumber(session);
  if (number === undefined) return null;
  const summary = index.sessions[number];
  const found: LocatedRecord[] = [];
  if (summary?.opened && summary.seq !== null) found.push({ seq: summary.seq, location: summary.opened });
  for (const row of candidateRows(index, { session }, 'asc')) {
    const at = index.location(row);
    found.push({ seq: at.seq, location: index.startedAt(at) });
    const finished = index.finishedAt(row, at);
    // The finished record's index is not kept in the index; the browser reads it from the line.
    // A statement recorded as one record (format 4) has both at the same place: that record is sent once.
    if (finished && !sameLocation(finished, index.startedAt(at))) found.push({ seq: -1, location: finished });
  }
  found.push(...journal.extrasOf(session));
  if (summary?.closed) found.push({ seq: -1, location: summary.closed });
  // Journal order is byte order across segments (their names are zero-padded first indexes).
  return found.sort((a, b) =>
    a.location.segment === b.location.segment
      ? a.location.offset - b.location.offset
      : a.location.segment < b.location.segment
        ? -1
        : 1,
  );
}

function sameLocation(a: LocatedRecord['location'], b: LocatedRecord['location']): boolean {
  return a.segment === b.segment && a.offset === b.offset;
}

/** A page of a session's record lines: those after position `from` in sessionRecordLocations. */
export async function readSessionPage(
  journal: LiveJournal,
  located: readonly LocatedRecord[],
  from: number,
): Promise<{ records: RecordLine[]; next: number | null }> {
  const page = located.slice(from, from + recordsPerPage);
  const records: RecordLine[] = [];
  for (const r of page) {
    const line = (await journal.readLine(r.location)).toString('utf8');
    records.push({ seq: r.seq >= 0 ? r.seq : seqOfLine(line), line });
  }
  const next = from + page.length;
  return { records, next: next < located.length ? next : null };
}

/** The `i` of a record line as it claims it (the browser checks it against the proof). */
function seqOfLine(line: string): number {
  const m = /^\{"i":(\d{1,16}),/.exec(line);
  return m ? Number(m[1]) : -1;
}

/** Inclusion proofs as sent to the browser: the checkpoint they are against, and the key rotations before it. */
export interface ProofSet {
  readonly checkpoint: { readonly seq: number; readonly note: string } | null;
  readonly proofs: readonly { readonly seq: number; readonly proof: readonly string[] }[];
  readonly rotations: readonly { readonly seq: number; readonly line: string; readonly proof: readonly string[] }[];
}

/** Proofs against the latest checkpoint, and against the latest checkpoint witnesses cosigned (with their lines). */
export interface ProofAnswer extends ProofSet {
  readonly witnessed: (ProofSet & { readonly cosignatures: readonly string[] }) | null;
}

/** Proofs that records `seqs` are in the tree a checkpoint signs; records after it get none. */
function proofsAgainst(
  journal: LiveJournal,
  checkpoint: { readonly seq: number; readonly note: string },
  seqs: readonly number[],
): ProofSet {
  const size = checkpoint.seq;
  const prove = (seq: number) => journal.tree.inclusionProof(seq, size).map(encodeBase64);
  return {
    checkpoint: { seq: checkpoint.seq, note: checkpoint.note },
    proofs: seqs.filter((s) => s >= 0 && s < size).map((seq) => ({ seq, proof: prove(seq) })),
    rotations: journal.rotations.filter((r) => r.seq < size).map((r) => ({ ...r, proof: prove(r.seq) })),
  };
}

/** Proofs that records `seqs` are in the trees the latest checkpoint and the latest cosigned checkpoint sign. */
export function proofsFor(journal: LiveJournal, seqs: readonly number[]): ProofAnswer {
  const checkpoint = journal.checkpoint;
  if (checkpoint === null) return { checkpoint: null, proofs: [], rotations: [], witnessed: null };
  const cosigned = journal.cosigned.latest;
  return {
    ...proofsAgainst(journal, checkpoint, seqs),
    witnessed:
      cosigned === null
        ? null
        : { ...proofsAgainst(journal, cosigned, seqs), cosignatures: [...cosigned.cosignatures] },
  };
}
