/**
 * What the writer checks when it opens an existing journal: every segment follows the previous
 * one, every record parses, carries its position as index and the hash of its predecessor, and
 * every checkpoint's size and root match the records before it. It also rebuilds what appending
 * needs (size, last hash, the tree's right edge, the key in force).
 *
 * Only one kind of damage is tolerated: bytes after the last newline of the last segment, i.e. a
 * final record whose write was torn by a crash. They are reported as `torn` for the writer to cut.
 * Anything else throws JournalError and the journal does not open. Signatures are the verifier's
 * job (`pgtrail verify`); the writer only needs the journal to be structurally whole.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { nodeSha256, nodeSha256Into } from './node-sha256.js';
import { parseCheckpoint } from './verify/checkpoint.js';
import { CompactRange, equalBytes, leafHash } from './verify/merkle.js';
import { parseNoteUnverified } from './verify/note.js';
import { parseRecordEnvelope, RecordKind } from './verify/record-line.js';
import { parseSegmentName } from './verify/segment-name.js';

/** The state of a journal's end, as the writer needs it. */
export interface ScannedJournal {
  readonly size: number;
  /** Base64 leaf hash of the last record (all zeros when empty). */
  readonly prevHash: string;
  readonly range: CompactRange;
  readonly origin: string | null;
  /** The verifier key in force: journal.started's, or the last key.rotated's. */
  readonly verifierKey: string | null;
  /** The last segment's name and length in bytes (after any cut), or null when there is none. */
  readonly lastSegment: { readonly name: string; readonly bytes: number } | null;
  /** Records since the last checkpoint (the checkpoint itself not counted). */
  readonly sinceCheckpoint: number;
  /** A torn final write to cut: where it starts in the last segment and its bytes. */
  readonly torn: { readonly segment: string; readonly offset: number; readonly bytes: Uint8Array } | null;
}

/** Lists segment file names in index order. */
export async function listSegments(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => parseSegmentName(n) !== null)
    .sort((a, b) => (parseSegmentName(a) ?? 0) - (parseSegmentName(b) ?? 0));
}

/** Scans the journal in `dir`; throws JournalError when it is damaged beyond a torn final write. */
export async function scanJournal(dir: string): Promise<ScannedJournal> {
  const segments = await listSegments(dir);
  const range = new CompactRange(nodeSha256, nodeSha256Into);
  let size = 0;
  let prevHash = Buffer.alloc(32).toString('base64');
  let origin: string | null = null;
  let verifierKey: string | null = null;
  let sinceCheckpoint = 0;
  let torn: ScannedJournal['torn'] = null;
  let lastSegment: ScannedJournal['lastSegment'] = null;

  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const first = parseSegmentName(segment)!;
    if (first !== size) {
      throw new JournalError(JournalErrorCode.segmentGap, `segment starts at index ${first} but the journal before it ends at ${size - 1}`, {
        segment,
        index: size,
      });
    }
    const bytes = await readFile(join(dir, segment));
    let start = 0;
    let line = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(0x0a, start);
      line++;
      const where = { segment, line, index: size };
      if (end < 0) {
        if (s !== segments.length - 1) throw new JournalError(JournalErrorCode.recordMalformed, 'a segment that is not the last ends in an unfinished record', where);
        torn = { segment, offset: start, bytes: bytes.subarray(start) };
        break;
      }
      const raw = bytes.subarray(start, end);
      const text = raw.toString('utf8');
      const head = parseRecordEnvelope(text);
      if (head === null) throw new JournalError(JournalErrorCode.recordMalformed, 'record does not parse', where);
      if (head.index !== size) throw new JournalError(JournalErrorCode.chainBroken, `record says index ${head.index} at position ${size}`, where);
      if (head.prev !== prevHash) throw new JournalError(JournalErrorCode.chainBroken, 'record does not chain to its predecessor', where);
      if (head.kind !== RecordKind.event) {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch (err) {
          throw new JournalError(JournalErrorCode.recordMalformed, 'record is not valid JSON', where, { cause: err });
        }
        if (head.kind === RecordKind.journalStarted) {
          origin = typeof body['origin'] === 'string' ? body['origin'] : null;
          verifierKey = typeof body['vkey'] === 'string' ? body['vkey'] : null;
        } else if (head.kind === RecordKind.keyRotated) {
          verifierKey = typeof body['vkey'] === 'string' ? body['vkey'] : verifierKey;
        } else if (head.kind === RecordKind.checkpoint) {
          checkCheckpoint(body['note'], size, range, where);
          sinceCheckpoint = -1;
        }
      }
      const leaf = leafHash(nodeSha256, raw);
      range.appendLeafHash(leaf);
      prevHash = Buffer.from(leaf).toString('base64');
      size++;
      sinceCheckpoint++;
      start = end + 1;
    }
    lastSegment = { name: segment, bytes: torn === null ? bytes.length : torn.offset };
  }

  const latest = await readLatestCheckpointSize(dir);
  // The checkpoint file is replaced only once the checkpoint record (at index `latest`) is durable.
  if (latest !== null && latest >= size) {
    throw new JournalError(JournalErrorCode.shorterThanCheckpoint, `the journal has ${size} records but its latest checkpoint is record ${latest}`, {
      index: size,
    });
  }
  return { size, prevHash, range, origin, verifierKey, lastSegment, sinceCheckpoint, torn };
}

function checkCheckpoint(note: unknown, size: number, range: CompactRange, where: { segment: string; line: number; index: number }): void {
  try {
    if (typeof note !== 'string') throw new Error('no note');
    const checkpoint = parseCheckpoint(parseNoteUnverified(note).text);
    if (checkpoint.size !== size || !equalBytes(checkpoint.root, range.root())) {
      throw new JournalError(JournalErrorCode.chainBroken, 'checkpoint does not match the records before it', where);
    }
  } catch (err) {
    if (err instanceof JournalError) throw err;
    throw new JournalError(JournalErrorCode.recordMalformed, 'checkpoint record is malformed', where, { cause: err });
  }
}

async function readLatestCheckpointSize(dir: string): Promise<number | null> {
  let note: string;
  try {
    note = await readFile(join(dir, latestCheckpointFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new JournalError(JournalErrorCode.readFailed, 'cannot read the latest checkpoint', {}, { cause: err });
  }
  try {
    return parseCheckpoint(parseNoteUnverified(note).text).size;
  } catch (err) {
    throw new JournalError(JournalErrorCode.recordMalformed, 'the latest-checkpoint file is malformed', {}, { cause: err });
  }
}
