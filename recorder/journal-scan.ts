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
 *
 * It walks the segments with the verifier's own walk (verify/segment-walk.ts: order, chain, tree,
 * the leaf hashes) and differs only in what it does about a problem: it refuses to open.
 */
import { isUtf8 } from 'node:buffer';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { nodeSha256, nodeSha256Into } from './node-sha256.js';
import { readSegmentChunks } from './segment-reader.js';
import { encodeBase64 } from './format/base64.js';
import { parseCheckpoint } from './format/checkpoint.js';
import { type CompactRange, equalBytes } from './format/merkle.js';
import { parseNoteUnverified } from './format/note.js';
import { parsePrunedLine } from './format/pruned-record.js';
import { parseRecordEnvelope, RecordKind } from './format/record-line.js';
import { parseSegmentName } from './format/segment-name.js';
import { SessionsLeftOpenTracker, type SessionLeftOpen } from './sessions-left-open.js';
import { type ChainLink, SessionChains, sessionChainFormat } from './format/session-chain.js';
import { type RecordLocation, SegmentWalk, type WalkOwner } from './verify/segment-walk.js';

/** The state of a journal's end, as the writer needs it. */
export interface ScannedJournal {
  readonly size: number;
  /** Base64 leaf hash of the last record (all zeros when empty). */
  readonly prevHash: string;
  readonly range: CompactRange;
  readonly origin: string | null;
  /** The verifier key in force: journal.started's, or the last key.rotated's. */
  readonly verifierKey: string | null;
  /** journal.started's `format` (1 when absent or the journal is empty). */
  readonly format: number;
  /** The last segment's name and length in bytes (after any cut), or null when there is none. */
  readonly lastSegment: { readonly name: string; readonly bytes: number } | null;
  /** Records since the last checkpoint (the checkpoint itself not counted). */
  readonly sinceCheckpoint: number;
  /** A torn final write to cut: where it starts in the last segment and its bytes. */
  readonly torn: { readonly segment: string; readonly offset: number; readonly bytes: Uint8Array } | null;
  /** Sessions opened and never closed (sessions-left-open.ts). */
  readonly sessionsLeftOpen: readonly SessionLeftOpen[];
  /** The latest event time the journal holds, or null when it holds no event. */
  readonly lastEventTs: number | null;
  /** The open sessions' chains (format 3 on; empty before): where the writer continues them. */
  readonly sessionChains: Map<string, ChainLink>;
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
  const names = await listSegments(dir);
  const scan = new ReopenScan();
  const walk = new SegmentWalk(scan, nodeSha256Into, nodeSha256, isUtf8);
  await walk.walk(
    names.map((name) => ({
      name,
      read: () => readFile(join(dir, name)),
      chunks: () => readSegmentChunks(join(dir, name)),
    })),
  );
  const size = walk.pos;
  const latest = await readLatestCheckpointSize(dir);
  // The checkpoint file is replaced only once the checkpoint record (at index `latest`) is durable.
  if (latest !== null && latest >= size) {
    throw new JournalError(
      JournalErrorCode.shorterThanCheckpoint,
      `the journal has ${size} records but its latest checkpoint is record ${latest}`,
      { index: size },
    );
  }
  const last = names.at(-1);
  const left = scan.sessions.result();
  return {
    size,
    prevHash: encodeBase64(walk.leaf),
    range: walk.range,
    origin: scan.origin,
    verifierKey: scan.verifierKey,
    format: scan.format,
    lastSegment: last === undefined ? null : { name: last, bytes: walk.segmentOffset },
    sinceCheckpoint: size - scan.lastCheckpoint - 1,
    torn: scan.torn,
    sessionsLeftOpen: left.sessions,
    lastEventTs: left.lastEventTs,
    sessionChains: scan.chains.open,
  };
}

/** What the reopen scan learns from the journal's own records, and what it does about a problem: refuse to open. */
class ReopenScan implements WalkOwner {
  origin: string | null = null;
  /** The verifier key in force: journal.started's, or the last key.rotated's. */
  verifierKey: string | null = null;
  /** journal.started's `format` (1 when absent). */
  format = 1;
  /** The index of the last checkpoint record (-1: none). */
  lastCheckpoint = -1;
  torn: ScannedJournal['torn'] = null;
  /** The sessions opened and not closed, followed record by record. */
  readonly sessions = new SessionsLeftOpenTracker();
  /**
   * The session chains (format 3 on). A record that breaks one is the verifier's to report: the
   * writer continues each chain from the record the journal holds, so appending never adds a break.
   */
  readonly chains = new SessionChains();

  event(bytes: Uint8Array, start: number, end: number, walk: SegmentWalk): void {
    this.sessions.event(bytes, start, end);
    if (this.format >= sessionChainFormat) this.chains.event(bytes, start, end, walk.leaf);
  }

  segmentStarts(segment: string, first: number | null, walk: SegmentWalk): boolean {
    const size = walk.pos;
    if (first !== size) {
      throw new JournalError(
        JournalErrorCode.segmentGap,
        `segment starts at index ${first} but the journal before it ends at ${size - 1}`,
        { segment, index: size },
      );
    }
    return true;
  }

  eventOutOfPlace(index: number, _chained: boolean, at: RecordLocation): void {
    brokenChain(index, at);
  }

  /**
   * A record the byte reader does not take (the journal's own records, pruned records, or damage):
   * parsed as text. Returns a pruned record's stored leaf hash (docs/journal-format.md section 10),
   * which the walk uses in place of hashing the line; null for every other record.
   */
  textRecord(raw: Uint8Array, at: RecordLocation, walk: SegmentWalk): Uint8Array | null {
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8');
    const head = parseRecordEnvelope(text);
    if (head === null) throw new JournalError(JournalErrorCode.recordMalformed, 'record does not parse', where(at));
    if (head.index !== at.index || head.prev !== encodeBase64(walk.leaf)) brokenChain(head.index, at);
    if (head.kind === RecordKind.pruned) return this.pruned(text, at);
    if (head.kind === RecordKind.event) this.sessions.record(raw, 0, raw.length);
    else this.ownRecord(head.kind, text, at, walk.range);
    return null;
  }

  /** A pruned record's stored leaf, counted in its session's chain. */
  private pruned(text: string, at: RecordLocation): Uint8Array {
    const leaf = prunedLeaf(text, at);
    const was = parsePrunedLine(text)?.was;
    if (was !== undefined && this.format >= sessionChainFormat) this.chains.pruned(was.type, was.session, leaf);
    return leaf;
  }

  unfinishedTail(bytes: Uint8Array, at: RecordLocation, isLast: boolean): void {
    if (!isLast) {
      throw new JournalError(
        JournalErrorCode.recordMalformed,
        'a segment that is not the last ends in an unfinished record',
        where(at),
      );
    }
    this.torn = { segment: at.segment, offset: at.offset, bytes };
  }

  /** journal.started, key.rotated and checkpoint records: what appending needs from them, and the checkpoint checked. */
  private ownRecord(kind: string, text: string, at: RecordLocation, tree: CompactRange): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new JournalError(JournalErrorCode.recordMalformed, 'record is not valid JSON', where(at), { cause: err });
    }
    if (kind === RecordKind.journalStarted) {
      this.origin = typeof body['origin'] === 'string' ? body['origin'] : null;
      this.verifierKey = typeof body['vkey'] === 'string' ? body['vkey'] : null;
      this.format = typeof body['format'] === 'number' ? body['format'] : 1;
    } else if (kind === RecordKind.keyRotated) {
      this.verifierKey = typeof body['vkey'] === 'string' ? body['vkey'] : this.verifierKey;
    } else if (kind === RecordKind.checkpoint) {
      checkCheckpoint(body['note'], at.index, tree, where(at));
      this.lastCheckpoint = at.index;
    }
  }
}

/** A pruned line's stored leaf hash; a pruned record not in its exact form refuses to open. */
function prunedLeaf(text: string, at: RecordLocation): Uint8Array {
  const pruned = parsePrunedLine(text);
  const leaf = pruned === null ? null : Buffer.from(pruned.leaf, 'base64');
  if (leaf === null || leaf.length !== 32)
    throw new JournalError(JournalErrorCode.recordMalformed, 'pruned record is not in its exact form', where(at));
  return new Uint8Array(leaf);
}

/** Where a record is, for an error. */
interface Where {
  readonly segment: string;
  readonly line: number;
  readonly index: number;
}

function where(at: RecordLocation): Where {
  return { segment: at.segment, line: at.line, index: at.index };
}

function brokenChain(index: number, at: RecordLocation): never {
  if (index !== at.index)
    throw new JournalError(
      JournalErrorCode.chainBroken,
      `record says index ${index} at position ${at.index}`,
      where(at),
    );
  throw new JournalError(JournalErrorCode.chainBroken, 'record does not chain to its predecessor', where(at));
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
