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
import { encodeBase64, encodeBase64Into } from '../format/base64.js';
import { parseCheckpoint, type Checkpoint } from '../format/checkpoint.js';
import { FindingCode, type Finding } from './journal-finding.js';
import { keyRotationText } from '../format/key-rotation.js';
import { CompactRange, equalBytes, hashSize } from '../format/merkle.js';
import { openNote, parseNoteUnverified, parseVerifierKey, type NoteVerifierKey } from '../format/note.js';
import { EventEnvelopeReader, parseRecordLine, RecordKind, type ParsedRecordLine } from '../format/record-line.js';
import { parseSegmentName } from '../format/segment-name.js';
import { portableSha256, sha256IntoFrom, type Sha256, type Sha256Into } from '../format/sha256.js';
import { VerifyError, VerifyErrorCode } from './verify-error.js';

/** One segment file: its name and a way to read all of its bytes (which the verifier may briefly modify and restores). */
export interface SegmentSource {
  readonly name: string;
  read(): Promise<Uint8Array>;
  /**
   * Optional, preferred over read(): the bytes as consecutive chunks, each ending at a line end
   * except possibly the last. A chunk may be reused for the next one once the next is asked for;
   * reading a large segment into one fresh buffer costs more than verifying it (page faults).
   */
  chunks?(): AsyncIterable<Uint8Array>;
}

async function* wholeSegment(source: SegmentSource): AsyncIterable<Uint8Array> {
  yield await source.read();
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** What a verifier remembers between runs (--state): the tree it last verified. */
export interface VerifiedTree {
  readonly size: number;
  /** Base64 of the tree head. */
  readonly root: string;
}

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
  /** The last checkpoint record in the journal. */
  readonly lastCheckpoint: { readonly size: number; readonly root: string } | null;
  /** Records after the last checkpoint: present, chained, but not yet signed. */
  readonly unsealedRecords: number;
  /** Bytes of a record being written when the journal was read (writerActive only). */
  readonly inProgressBytes: number;
  /** What to remember for the next run: the last checkpoint, or the old state when there are findings. */
  readonly verified: VerifiedTree | null;
}

interface Location {
  readonly segment: string;
  readonly line: number;
  readonly offset: number;
  readonly index: number;
}

// Characters of a hash's base64 (`prev`), which are also the bytes of its ASCII spelling.
const base64Length = 44;

/**
 * SHA-256(0x00 || bytes[start:end]) into `out`, without copying the record when it can: the byte
 * before it (the previous newline) stands in for the 0x00 during the synchronous hash and is put
 * back at once. A record at the very start of a chunk is copied.
 */
function leafHashInto(sha256Into: Sha256Into, bytes: Uint8Array, start: number, end: number, out: Uint8Array): void {
  if (start === 0) {
    const input = new Uint8Array(end + 1);
    input.set(bytes.subarray(0, end), 1);
    sha256Into(input, out, 0);
    return;
  }
  const before = bytes[start - 1]!;
  bytes[start - 1] = 0x00;
  try {
    sha256Into(bytes.subarray(start - 1, end), out, 0);
  } finally {
    bytes[start - 1] = before;
  }
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

/** Verifies a journal; resolves with a report (findings, counts), rejects only on a malformed --vkey. */
export async function verifyJournal(input: JournalVerifyInput): Promise<JournalVerifyReport> {
  const sha256 = input.sha256 ?? portableSha256;
  const sha256Into = input.sha256Into ?? sha256IntoFrom(sha256);
  const isUtf8 = input.isUtf8 ?? fatalUtf8Check();
  const maxFindings = input.maxFindings ?? 1000;
  const findings: Finding[] = [];
  let omitted = 0;
  const report = (code: FindingCode, message: string, at: Partial<Location> = {}) => {
    if (findings.length >= maxFindings) {
      omitted++;
      return;
    }
    findings.push({
      code,
      message,
      segment: at.segment ?? null,
      line: at.line ?? null,
      offset: at.offset ?? null,
      index: at.index ?? null,
    });
  };

  const pinned = input.pinnedKeys?.map((k) => parseVerifierKey(k, sha256)) ?? null;
  let trusted: NoteVerifierKey[] = pinned === null ? [] : [...pinned];
  const everTrusted: NoteVerifierKey[] = [...trusted];
  let origin: string | null = null;

  // Sizes whose tree head we must know at the end: the latest checkpoint's and the remembered one.
  let latest: Checkpoint | null = null;
  if (input.latestCheckpoint !== null) {
    try {
      latest = parseCheckpoint(parseNoteUnverified(input.latestCheckpoint).text);
    } catch {
      report(FindingCode.checkpointMismatch, 'the latest-checkpoint file is not a well-formed checkpoint');
    }
  }
  const wanted = new Set<number>();
  if (latest !== null) wanted.add(latest.size);
  if (input.remembered !== null) wanted.add(input.remembered.size);
  const rootsAt = new Map<number, Uint8Array>();
  const checkpointNotes = new Map<number, string>();

  const range = new CompactRange(sha256, sha256Into);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const envelope = new EventEnvelopeReader();
  let pos = 0;
  // The previous record's leaf hash, and its base64 as the next record's `prev` must spell it (ASCII).
  // Both are reused: the per-record loop allocates neither digests nor strings for event records.
  const leaf = new Uint8Array(hashSize);
  const prevBase64 = new Uint8Array(base64Length);
  encodeBase64Into(leaf, prevBase64, 0);
  // Where the previous record is (for a broken chain); its segment is null before the first record.
  let prevSegment: string | null = null;
  let prevLine = 0;
  let prevOffset = 0;
  let lastDelta = 0;
  let checkpoints = 0;
  let recoveries = 0;
  let keyRotations = 0;
  let lastCheckpoint: { size: number; root: string } | null = null;
  let rootDiffers = false;
  let inProgressBytes = 0;

  // Where the walk is: the segment being read, its last line number, and its bytes before the chunk.
  let segment = '';
  let line = 0;
  let base = 0;

  /**
   * Checks every complete line of a chunk and returns the offset after the last one. Kept small and
   * free of rare paths (those are calls): this is the function the JIT optimises for millions of
   * records, and a rare path seen for the first time then costs a cheap recompilation of it.
   */
  function walkLines(bytes: Uint8Array): number {
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      if (end < 0) return start;
      line++;
      if (wanted.has(pos)) rootsAt.set(pos, range.root());
      // An event record is checked on its bytes (EventEnvelopeReader); anything else, or anything
      // that reader refuses, is decoded and parsed as text, which also names what is wrong.
      if (isUtf8(bytes.subarray(start, end)) && envelope.read(bytes, start, end)) {
        let chained = true;
        for (let i = 0; i < base64Length; i++) if (bytes[envelope.prevStart + i] !== prevBase64[i]) chained = false;
        if (envelope.index !== pos || !chained) checkPosition(envelope.index, chained, null, start);
        else lastDelta = 0;
      } else {
        textRecord(bytes.subarray(start, end), start);
      }
      leafHashInto(sha256Into, bytes, start, end, leaf);
      range.appendLeafHash(leaf);
      encodeBase64Into(leaf, prevBase64, 0);
      prevSegment = segment;
      prevLine = line;
      prevOffset = base + start;
      pos++;
      start = end + 1;
    }
  }

  function locate(start: number): Location {
    return { segment, line, offset: base + start, index: pos };
  }

  /** The record's index against its position, and its prev against the previous record's hash. */
  function checkPosition(index: number, chained: boolean, at: Location | null, start: number): void {
    const delta = index - pos;
    if (delta !== lastDelta && delta !== 0) {
      report(
        FindingCode.indexMismatch,
        `record says index ${index} but is at position ${pos}: records were removed, added or reordered`,
        at ?? locate(start),
      );
    }
    lastDelta = delta;
    if (!chained) {
      report(
        FindingCode.chainBroken,
        prevSegment === null
          ? 'the first record does not start the chain (prev is not all zeros)'
          : `this record's hash differs from the prev stored by the next record (position ${pos}): one of them was altered`,
        prevSegment === null
          ? (at ?? locate(start))
          : { segment: prevSegment, line: prevLine, offset: prevOffset, index: pos - 1 },
      );
    }
  }

  /** A record checked as text: the journal's own records, and anything the byte reader refused. */
  function textRecord(raw: Uint8Array, start: number): void {
    const at = locate(start);
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      report(FindingCode.recordMalformed, 'record is not valid UTF-8', at);
      return;
    }
    const record = parseRecordLine(text);
    if ('malformed' in record) {
      report(FindingCode.recordMalformed, record.malformed, at);
      return;
    }
    checkPosition(record.index, record.prev === encodeBase64(leaf), at, start);
    checkRecord(record, text, at);
  }

  const named = input.segments
    .map((s) => ({ source: s, first: parseSegmentName(s.name) }))
    .sort((a, b) => (a.first ?? -1) - (b.first ?? -1));

  for (let s = 0; s < named.length; s++) {
    const { source, first } = named[s]!;
    const isLast = s === named.length - 1;
    if (first === null) {
      report(FindingCode.segmentGap, 'segment file name does not declare its first index', { segment: source.name });
      continue;
    }
    if (first !== pos) {
      const what =
        first > pos ? `records ${pos} to ${first - 1} are missing` : `it overlaps records from ${first} to ${pos - 1}`;
      report(
        FindingCode.segmentGap,
        `segment starts at index ${first} but the journal so far ends before index ${pos}: ${what}`,
        {
          segment: source.name,
          line: 1,
          offset: 0,
          index: pos,
        },
      );
    }
    segment = source.name;
    line = 0;
    base = 0;
    // An unfinished line carried over from the previous chunk.
    let carry: Uint8Array | null = null;
    for await (const chunk of source.chunks?.() ?? wholeSegment(source)) {
      if (chunk.length === 0) continue;
      // A source whose chunks end at line ends never takes this copy.
      const bytes: Uint8Array = carry === null ? chunk : concatBytes(carry, chunk);
      const done = walkLines(bytes);
      carry = done < bytes.length ? bytes.slice(done) : null;
      base += done;
    }
    if (carry !== null) {
      const at: Location = { segment, line: line + 1, offset: base, index: pos };
      if (isLast && input.writerActive === true) inProgressBytes = carry.length;
      else if (isLast)
        report(FindingCode.tornTail, `the last segment ends in an unfinished record of ${carry.length} bytes`, at);
      else report(FindingCode.recordMalformed, 'segment ends in an unfinished record', at);
    }
  }
  if (wanted.has(pos)) rootsAt.set(pos, range.root());

  function checkRecord(record: ParsedRecordLine, text: string, at: Location): void {
    const body = record.body;
    switch (record.kind) {
      case RecordKind.event:
        // Shape checked by parseRecordLine; contents are covered by the chain and the tree.
        return;
      case RecordKind.journalStarted: {
        const vkey = body['vkey'];
        const name = body['origin'];
        if (at.index !== 0 || typeof vkey !== 'string' || typeof name !== 'string') {
          report(
            FindingCode.recordMalformed,
            'journal.started must be the first record and name its origin and key',
            at,
          );
          return;
        }
        let key: NoteVerifierKey;
        try {
          key = parseVerifierKey(vkey, sha256);
        } catch {
          report(FindingCode.recordMalformed, 'journal.started names a malformed verifier key', at);
          return;
        }
        // The origin is the key's name; checkpoints are held to the key's name so one altered byte here is one finding.
        origin = key.name;
        if (name !== key.name)
          report(FindingCode.recordMalformed, "journal.started's origin differs from its key's name", at);
        if (pinned === null) {
          trusted = [key];
          everTrusted.push(key);
        } else if (!pinned.some((k) => k.text === key.text)) {
          report(FindingCode.keyMismatch, 'the journal names a signing key other than the pinned verifier key', at);
        }
        return;
      }
      case RecordKind.checkpoint: {
        const note = body['note'];
        if (typeof note !== 'string') {
          report(FindingCode.recordMalformed, 'checkpoint record has no note', at);
          return;
        }
        checkpoints++;
        checkpointNotes.set(at.index, note);
        if (
          text !== `{"i":${record.index},"prev":"${record.prev}","kind":"checkpoint","note":${JSON.stringify(note)}}`
        ) {
          // Nothing but the note is allowed, so every byte of a checkpoint record is checked.
          report(FindingCode.recordMalformed, 'checkpoint record is not exactly its envelope and note', at);
        }
        const checkpoint = openCheckpoint(note, trusted, at);
        if (checkpoint === null) return;
        const root = range.root();
        if (checkpoint.size !== at.index) {
          report(
            FindingCode.checkpointSizeMismatch,
            `checkpoint covers ${checkpoint.size} records but stands at position ${at.index}`,
            at,
          );
        } else if (!equalBytes(checkpoint.root, root)) {
          // Every later root differs too, as a consequence; the first one is the finding.
          if (!rootDiffers)
            report(
              FindingCode.rootMismatch,
              `checkpoint root differs from the tree of the ${at.index} records before it`,
              at,
            );
          rootDiffers = true;
        }
        lastCheckpoint = { size: checkpoint.size, root: encodeBase64(checkpoint.root) };
        return;
      }
      case RecordKind.keyRotated: {
        const vkey = body['vkey'];
        const note = body['note'];
        if (typeof vkey !== 'string' || typeof note !== 'string') {
          report(FindingCode.recordMalformed, 'key.rotated record needs vkey and note', at);
          return;
        }
        keyRotations++;
        let next: NoteVerifierKey;
        try {
          next = parseVerifierKey(vkey, sha256);
          const opened = openNote(note, trusted);
          if (opened.text !== keyRotationText(origin ?? next.name, at.index, vkey)) {
            report(
              FindingCode.checkpointMalformed,
              'key rotation note does not name this journal, position and key',
              at,
            );
            return;
          }
        } catch (err) {
          reportNoteError(err, at);
          return;
        }
        trusted = [next];
        everTrusted.push(next);
        return;
      }
      case RecordKind.recovery:
        recoveries++;
        return;
    }
  }

  function openCheckpoint(note: string, keys: readonly NoteVerifierKey[], at: Partial<Location>): Checkpoint | null {
    try {
      const checkpoint = parseCheckpoint(openNote(note, keys).text);
      if (origin !== null && checkpoint.origin !== origin) {
        report(FindingCode.checkpointMalformed, 'checkpoint names another origin than the journal', at);
        return null;
      }
      return checkpoint;
    } catch (err) {
      reportNoteError(err, at);
      return null;
    }
  }

  function reportNoteError(err: unknown, at: Partial<Location>): void {
    if (!(err instanceof VerifyError)) throw err;
    const signature = err.code === VerifyErrorCode.noteSignatureInvalid || err.code === VerifyErrorCode.noteUnverified;
    report(signature ? FindingCode.signatureInvalid : FindingCode.checkpointMalformed, `${err.message}`, at);
  }

  if (latest !== null && input.latestCheckpoint !== null) {
    // The writer replaces the file only after the checkpoint record at index `size` is durable.
    if (latest.size >= pos) {
      report(
        FindingCode.truncated,
        `the latest checkpoint is record ${latest.size} but the journal has ${pos} records`,
        { index: pos },
      );
    } else if (openCheckpoint(input.latestCheckpoint, everTrusted, {}) !== null) {
      const root = rootsAt.get(latest.size);
      const differs =
        root === undefined ||
        !equalBytes(root, latest.root) ||
        checkpointNotes.get(latest.size) !== input.latestCheckpoint;
      if (differs && !rootDiffers) {
        report(
          FindingCode.checkpointMismatch,
          `the latest-checkpoint file is not the checkpoint record at index ${latest.size}`,
          {
            index: latest.size,
          },
        );
      }
    }
  } else if (input.latestCheckpoint === null && pos > 0) {
    report(FindingCode.checkpointMissing, 'the latest-checkpoint file is missing');
  }

  const remembered = input.remembered;
  if (remembered !== null) {
    if (remembered.size > pos) {
      report(
        FindingCode.rolledBack,
        `the journal has ${pos} records, fewer than the ${remembered.size} verified before`,
        { index: pos },
      );
    } else {
      const root = rootsAt.get(remembered.size);
      if (root === undefined || encodeBase64(root) !== remembered.root) {
        report(FindingCode.forked, `the first ${remembered.size} records differ from those verified before`, {
          index: remembered.size,
        });
      }
    }
  }

  const intact = findings.length === 0 && omitted === 0;
  const sealed = lastCheckpoint as { size: number; root: string } | null;
  return {
    intact,
    findings,
    findingsOmitted: omitted,
    records: pos,
    segments: named.length,
    checkpoints,
    recoveries,
    keyRotations,
    origin,
    keys: trusted.length === 0 ? [] : everTrusted.map((k) => k.text),
    keyPinned: pinned !== null,
    lastCheckpoint: sealed,
    unsealedRecords: sealed === null ? pos : pos - sealed.size - 1,
    inProgressBytes,
    verified: intact && sealed !== null ? sealed : remembered,
  };
}
