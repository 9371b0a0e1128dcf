/**
 * Reads a journal back in index order, fast and without verifying it (that is `pgtrail verify`'s
 * job): segments are streamed in large chunks, split on newlines, and only event records are parsed
 * as JSON. A final line without its newline (a write in progress, or a torn write not yet recovered)
 * is not yielded. With `follow`, the reader waits at the end for more records and new segments,
 * like `tail -f`, until its signal aborts.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TrailEvent } from './events.js';
import type { JournalEntry } from './journal-entry.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { listSegments } from './journal-scan.js';
import { parsePrunedLine } from './format/pruned-record.js';
import { parseRecordEnvelope, RecordKind } from './format/record-line.js';
import { prunedPlaceholder } from './pruned-placeholder.js';
import { parseSegmentName } from './format/segment-name.js';

/** Where to start and whether to keep reading. */
export interface ReadJournalOptions {
  /** Skip records before this index (the segment holding it is found by name). */
  readonly fromIndex?: number;
  /** Start at this segment file (by name) instead. */
  readonly fromSegment?: string;
  /** Keep waiting for new records at the end until `signal` aborts. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** How often a follower looks for growth, in milliseconds. */
  readonly pollMs?: number;
}

const chunkBytes = 1 << 20;

/** Yields every record of the journal in `dir` in index order (see the module comment). */
export async function* readJournal(dir: string, options: ReadJournalOptions = {}): AsyncGenerator<JournalEntry> {
  const fromIndex = options.fromIndex ?? 0;
  const pollMs = options.pollMs ?? 200;
  let segments = await listSegmentsOrFail(dir);
  let s = startSegment(segments, fromIndex, options.fromSegment);
  while (s < segments.length || options.follow === true) {
    if (s >= segments.length) {
      if (!(await wait(pollMs, options.signal))) return;
      segments = await listSegmentsOrFail(dir);
      continue;
    }
    const segment = segments[s]!;
    const isLast = () => s === segments.length - 1;
    const handle = await open(join(dir, segment), 'r').catch((err: unknown) => {
      throw new JournalError(JournalErrorCode.readFailed, 'cannot open a segment', { segment }, { cause: err });
    });
    try {
      const buffer = Buffer.allocUnsafe(chunkBytes);
      // The pieces of a line longer than what was read so far, copied (the read buffer is reused):
      // joined once when its newline arrives, so a long record costs linear time, not quadratic.
      let partial: Buffer[] = [];
      let position = 0;
      let line = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
        if (bytesRead === 0) {
          if (options.follow !== true) break;
          // At the end of a segment: move on once a newer segment exists and this one is drained.
          segments = await listSegmentsOrFail(dir);
          if (!isLast() && (await handle.stat()).size === position) break;
          if (isLast() && !(await wait(pollMs, options.signal))) return;
          continue;
        }
        position += bytesRead;
        const data = buffer.subarray(0, bytesRead);
        let start = 0;
        let end = data.indexOf(0x0a);
        if (partial.length > 0) {
          if (end < 0) {
            partial.push(Buffer.from(data));
            continue;
          }
          partial.push(data.subarray(0, end));
          const text = Buffer.concat(partial).toString('utf8');
          partial = [];
          line++;
          const entry = toEntry(text, segment, line);
          start = end + 1;
          end = data.indexOf(0x0a, start);
          if (entry.index >= fromIndex) yield entry;
        }
        for (; end >= 0; end = data.indexOf(0x0a, start)) {
          line++;
          const entry = toEntry(data.toString('utf8', start, end), segment, line);
          start = end + 1;
          if (entry.index >= fromIndex) yield entry;
        }
        if (start < data.length) partial.push(Buffer.from(data.subarray(start)));
      }
    } finally {
      await handle.close();
    }
    s++;
  }
}

function toEntry(text: string, segment: string, line: number): JournalEntry {
  const head = parseRecordEnvelope(text);
  if (head === null)
    throw new JournalError(JournalErrorCode.recordMalformed, 'record does not parse', { segment, line });
  if (head.kind === RecordKind.pruned) {
    const pruned = parsePrunedLine(text);
    return { index: head.index, segment, line, event: pruned === null ? null : prunedPlaceholder(pruned.was) };
  }
  if (head.kind !== RecordKind.event) return { index: head.index, segment, line, event: null };
  let record: { event?: TrailEvent };
  try {
    record = JSON.parse(text) as { event?: TrailEvent };
  } catch (err) {
    throw new JournalError(
      JournalErrorCode.recordMalformed,
      'record is not valid JSON',
      { segment, line, index: head.index },
      { cause: err },
    );
  }
  const event = record.event ?? null;
  if (event === null || !('sn' in event)) return { index: head.index, segment, line, event };
  // The session chain members (format 3) are the journal's, not the event's: they go beside it.
  const { sprev, sn, ...rest } = event as TrailEvent & { sprev?: unknown; sn?: unknown };
  const chain = typeof sprev === 'string' && typeof sn === 'number' ? { sprev, sn } : undefined;
  return { index: head.index, segment, line, event: rest as TrailEvent, ...(chain === undefined ? {} : { chain }) };
}

function startSegment(segments: readonly string[], fromIndex: number, fromSegment: string | undefined): number {
  if (fromSegment !== undefined) {
    const at = segments.indexOf(fromSegment);
    if (at < 0) throw new JournalError(JournalErrorCode.readFailed, 'no such segment', { segment: fromSegment });
    return at;
  }
  let at = 0;
  for (let i = 0; i < segments.length; i++) if ((parseSegmentName(segments[i]!) ?? 0) <= fromIndex) at = i;
  return at;
}

async function listSegmentsOrFail(dir: string): Promise<string[]> {
  try {
    return await listSegments(dir);
  } catch (err) {
    throw new JournalError(JournalErrorCode.readFailed, `cannot list the journal at ${dir}`, {}, { cause: err });
  }
}

async function wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted === true) return false;
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
    return true;
  } catch {
    return false;
  }
}
