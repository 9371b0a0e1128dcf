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
import { isUtf8 } from 'node:buffer';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { nodeSha256, nodeSha256Into } from './node-sha256.js';
import { encodeBase64Into } from './format/base64.js';
import { parseCheckpoint } from './format/checkpoint.js';
import { CompactRange, equalBytes } from './format/merkle.js';
import { parseNoteUnverified } from './format/note.js';
import { EventEnvelopeReader, parseRecordEnvelope, RecordKind } from './format/record-line.js';
import { parseSegmentName } from './format/segment-name.js';

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

/** Where a record is, for an error. */
interface Where {
  readonly segment: string;
  readonly line: number;
  readonly index: number;
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
  // The last record's leaf hash, and its base64 as the next record's `prev` spells it (ASCII bytes):
  // event records, nearly all of a journal, are checked on their bytes with no string or digest
  // made per record (as the verifier does); the journal's own records are parsed as text.
  const leaf = new Uint8Array(32);
  const prevAscii = Buffer.alloc(44);
  encodeBase64Into(leaf, prevAscii, 0);
  const envelope = new EventEnvelopeReader();
  // The line last read in the segment being walked.
  let line = 0;
  let origin: string | null = null;
  let verifierKey: string | null = null;
  let sinceCheckpoint = 0;
  let torn: ScannedJournal['torn'] = null;
  let lastSegment: ScannedJournal['lastSegment'] = null;

  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const first = parseSegmentName(segment)!;
    if (first !== size) {
      throw new JournalError(
        JournalErrorCode.segmentGap,
        `segment starts at index ${first} but the journal before it ends at ${size - 1}`,
        {
          segment,
          index: size,
        },
      );
    }
    const bytes = await readFile(join(dir, segment));
    const end = walkSegment(segment, bytes);
    if (end < bytes.length) {
      const where = { segment, line: line + 1, index: size };
      if (s !== segments.length - 1)
        throw new JournalError(
          JournalErrorCode.recordMalformed,
          'a segment that is not the last ends in an unfinished record',
          where,
        );
      torn = { segment, offset: end, bytes: bytes.subarray(end) };
    }
    lastSegment = { name: segment, bytes: torn === null ? bytes.length : torn.offset };
  }

  /**
   * Checks every complete line of a segment and returns the offset after the last one. Small and
   * with the rare paths as calls, so the JIT keeps one optimised version of it (as the verifier's walkLines).
   */
  function walkSegment(segment: string, bytes: Buffer): number {
    // A plain view: its subarrays cost less than a Buffer's.
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    let start = 0;
    line = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      if (end < 0) return start;
      line++;
      if (isUtf8(view.subarray(start, end)) && envelope.read(view, start, end)) {
        if (
          envelope.index !== size ||
          prevAscii.compare(view, envelope.prevStart, envelope.prevStart + prevAscii.length) !== 0
        ) {
          brokenChain(envelope.index, { segment, line, index: size });
        }
      } else {
        textRecord(bytes.toString('utf8', start, end), { segment, line, index: size });
      }
      leafHashInto(bytes, start, end, leaf);
      range.appendLeafHash(leaf);
      encodeBase64Into(leaf, prevAscii, 0);
      size++;
      sinceCheckpoint++;
      start = end + 1;
    }
  }

  function brokenChain(index: number, where: Where): never {
    if (index !== size)
      throw new JournalError(JournalErrorCode.chainBroken, `record says index ${index} at position ${size}`, where);
    throw new JournalError(JournalErrorCode.chainBroken, 'record does not chain to its predecessor', where);
  }

  /** A record the byte reader does not take (the journal's own records, or damage): parsed as text. */
  function textRecord(text: string, where: Where): void {
    const head = parseRecordEnvelope(text);
    if (head === null) throw new JournalError(JournalErrorCode.recordMalformed, 'record does not parse', where);
    if (head.index !== size || head.prev !== prevAscii.toString('latin1')) brokenChain(head.index, where);
    if (head.kind !== RecordKind.event) readOwnRecord(head.kind, text, where);
  }

  /** journal.started, key.rotated and checkpoint records: what appending needs from them, and the checkpoint checked. */
  function readOwnRecord(kind: string, text: string, where: Where): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new JournalError(JournalErrorCode.recordMalformed, 'record is not valid JSON', where, { cause: err });
    }
    if (kind === RecordKind.journalStarted) {
      origin = typeof body['origin'] === 'string' ? body['origin'] : null;
      verifierKey = typeof body['vkey'] === 'string' ? body['vkey'] : null;
    } else if (kind === RecordKind.keyRotated) {
      verifierKey = typeof body['vkey'] === 'string' ? body['vkey'] : verifierKey;
    } else if (kind === RecordKind.checkpoint) {
      checkCheckpoint(body['note'], size, range, where);
      sinceCheckpoint = -1;
    }
  }

  const latest = await readLatestCheckpointSize(dir);
  // The checkpoint file is replaced only once the checkpoint record (at index `latest`) is durable.
  if (latest !== null && latest >= size) {
    throw new JournalError(
      JournalErrorCode.shorterThanCheckpoint,
      `the journal has ${size} records but its latest checkpoint is record ${latest}`,
      {
        index: size,
      },
    );
  }
  return {
    size,
    prevHash: Buffer.from(leaf).toString('base64'),
    range,
    origin,
    verifierKey,
    lastSegment,
    sinceCheckpoint,
    torn,
  };
}

/**
 * SHA-256(0x00 || bytes[start:end]) into `out`: the byte before the line (the previous newline)
 * stands in for the 0x00 during the hash and is put back; the first line of a segment is copied.
 */
function leafHashInto(bytes: Buffer, start: number, end: number, out: Uint8Array): void {
  if (start === 0) {
    const input = Buffer.alloc(end + 1);
    bytes.copy(input, 1, 0, end);
    nodeSha256Into(input, out, 0);
    return;
  }
  const before = bytes[start - 1]!;
  bytes[start - 1] = 0x00;
  nodeSha256Into(bytes.subarray(start - 1, end), out, 0);
  bytes[start - 1] = before;
}

function checkCheckpoint(note: unknown, size: number, range: CompactRange, where: Where): void {
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
    throw new JournalError(
      JournalErrorCode.recordMalformed,
      'the latest-checkpoint file is malformed',
      {},
      { cause: err },
    );
  }
}
