/**
 * Reads a journal's leaf hashes from disk (SHA-256(0x00 || line), RFC 9162 2.1.1), with the notes of
 * its checkpoint records: what proofs and bundles are built from. It does not verify (that is
 * `pgtrail verify`): lines are hashed as stored, and a final line without its newline is not a record
 * yet (segment-reader.ts). Each leaf costs 32 bytes of memory, all in one buffer.
 */
import { join } from 'node:path';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { listSegments } from './journal-scan.js';
import { nodeSha256Into } from './node-sha256.js';
import { readSegmentLines } from './segment-reader.js';
import { hashSize } from './format/merkle.js';
import { parsePrunedLine } from './format/pruned-record.js';
import { EventEnvelopeReader, parseRecordLine, RecordKind } from './format/record-line.js';
import { parseSegmentName } from './format/segment-name.js';

/** The leaves of a journal and its checkpoint notes by tree size. */
export interface JournalLeaves {
  readonly size: number;
  /** Leaf hash i at bytes [32i, 32i + 32). */
  readonly hashes: Uint8Array;
  /** The note of the checkpoint record at each index that holds one (its tree size is its index). */
  readonly checkpoints: ReadonlyMap<number, string>;
}

/** Told about each record while the journal is read: its index, the line's bytes (valid until return) and whether it is an event. */
export type RecordVisitor = (index: number, line: Uint8Array, isEvent: boolean) => void;

/** Reads every complete record of the journal in `dir`, in index order. */
export async function readJournalLeaves(dir: string, visit?: RecordVisitor): Promise<JournalLeaves> {
  let hashes = new Uint8Array(hashSize * 1024);
  let size = 0;
  const checkpoints = new Map<number, string>();
  const envelope = new EventEnvelopeReader();
  const decoder = new TextDecoder();
  let scratch = new Uint8Array(4096);
  for (const segment of await listSegments(dir)) {
    if (parseSegmentName(segment) !== size)
      throw new JournalError(JournalErrorCode.segmentGap, 'segment does not start where the previous one ended', {
        segment,
      });
    for await (const lines of readSegmentLines(join(dir, segment))) {
      for (const { chunk, start, end } of lines) {
        const line = chunk.subarray(start, end);
        if (line.length + 1 > scratch.length) scratch = new Uint8Array(line.length * 2 + 1);
        scratch[0] = 0x00;
        scratch.set(line, 1);
        if ((size + 1) * hashSize > hashes.length) {
          const bigger = new Uint8Array(hashes.length * 2);
          bigger.set(hashes);
          hashes = bigger;
        }
        nodeSha256Into(scratch.subarray(0, line.length + 1), hashes, size * hashSize);
        const isEvent = envelope.read(chunk, start, end);
        if (!isEvent) {
          const record = parseRecordLine(decoder.decode(line));
          if (
            !('malformed' in record) &&
            record.kind === RecordKind.checkpoint &&
            typeof record.body['note'] === 'string'
          )
            checkpoints.set(size, record.body['note']);
          // A pruned record's leaf is the hash it stores, not its line's (docs/journal-format.md §10).
          const pruned =
            !('malformed' in record) && record.kind === RecordKind.pruned
              ? parsePrunedLine(decoder.decode(line))
              : null;
          if (pruned !== null) hashes.set(Buffer.from(pruned.leaf, 'base64'), size * hashSize);
        }
        visit?.(size, line, isEvent);
        size++;
      }
    }
  }
  return { size, hashes: hashes.subarray(0, size * hashSize), checkpoints };
}
