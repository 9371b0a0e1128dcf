/**
 * Reads a journal back in index order, fast and without verifying it (that is `pgtrail verify`'s
 * job): segments are read with the one segment reader (segment-reader.ts), and only event records
 * are parsed as JSON. A final line without its newline (a write in progress, or a torn write not yet recovered)
 * is not yielded. With `follow`, the reader waits at the end for more records and new segments,
 * like `tail -f`, until its signal aborts.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JournalEvent } from './events.js';
import type { JournalEntry } from './journal-entry.js';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { listSegments } from './journal-scan.js';
import { parsePrunedLine } from './format/pruned-record.js';
import { parseRecordEnvelope, RecordKind } from './format/record-line.js';
import { prunedPlaceholder } from './pruned-placeholder.js';
import { parseSegmentName } from './format/segment-name.js';
import { readSegmentLines, type SegmentLine, type SegmentPosition } from './segment-reader.js';

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
    const from = { offset: 0, line: 0 };
    // Following: once a newer segment exists, nothing more is appended to this one; one more pass
    // picks up what was written before the writer moved on, then the reader moves on too.
    let finalPass = false;
    for (;;) {
      for await (const lines of linesOf(join(dir, segment), segment, { ...from })) {
        for (const l of lines) {
          from.offset = l.offset + l.end - l.start + 1;
          from.line = l.line;
          const entry = toEntry(l.chunk.toString('utf8', l.start, l.end), segment, l.line);
          if (entry.index >= fromIndex) yield entry;
        }
      }
      if (options.follow !== true || finalPass) break;
      segments = await listSegmentsOrFail(dir);
      if (s < segments.length - 1) finalPass = true;
      else if (!(await wait(pollMs, options.signal))) return;
    }
    s++;
  }
}

/** The segment's lines (segment-reader.ts), a failure to read it as JOURNAL_READ_FAILED. */
async function* linesOf(path: string, segment: string, from: SegmentPosition): AsyncGenerator<Iterable<SegmentLine>> {
  try {
    yield* readSegmentLines(path, { from });
  } catch (err) {
    if (err instanceof JournalError) throw err;
    throw new JournalError(JournalErrorCode.readFailed, 'cannot read a segment', { segment }, { cause: err });
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
  let record: { event?: JournalEvent };
  try {
    record = JSON.parse(text) as { event?: JournalEvent };
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
  const { sprev, sn, ...rest } = event as JournalEvent & { sprev?: unknown; sn?: unknown };
  const chain = typeof sprev === 'string' && typeof sn === 'number' ? { sprev, sn } : undefined;
  return { index: head.index, segment, line, event: rest as JournalEvent, ...(chain === undefined ? {} : { chain }) };
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
