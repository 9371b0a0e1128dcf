/**
 * Every complete record line of a journal, in index order, with its kind and (for events, holds and releases)
 * its parsed body: what prune needs to decide, read without verifying (that is `verify`'s job).
 */
import { join } from 'node:path';
import type { JournalEvent } from '../recorder/events.js';
import { parseRecordEnvelope, RecordKind } from '../recorder/format/record-line.js';
import { listSegments } from '../recorder/journal-scan.js';
import { readSegmentLines } from '../recorder/segment-reader.js';

/** One record line as prune reads it. */
export interface JournalLine {
  readonly segment: string;
  readonly index: number;
  readonly kind: RecordKind;
  /** The event of an event record, else null. */
  readonly event: JournalEvent | null;
  /** The parsed body of a journal record other than an event, else null. */
  readonly body: Readonly<Record<string, unknown>> | null;
}

/** Yields the journal's record lines (see the module comment); unparsable lines are skipped. */
export async function* journalLines(dir: string): AsyncGenerator<JournalLine> {
  for (const segment of await listSegments(dir)) {
    for await (const lines of readSegmentLines(join(dir, segment))) {
      for (const { chunk, start, end } of lines) {
        const line = parseLine(segment, chunk.toString('utf8', start, end));
        if (line !== null) yield line;
      }
    }
  }
}

function parseLine(segment: string, text: string): JournalLine | null {
  const head = parseRecordEnvelope(text);
  if (head === null) return null;
  const base = { segment, index: head.index, kind: head.kind };
  const withBody = head.kind === RecordKind.hold || head.kind === RecordKind.holdReleased;
  if (head.kind !== RecordKind.event && !withBody) return { ...base, event: null, body: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  if (withBody) return { ...base, event: null, body: parsed as Record<string, unknown> };
  const event = (parsed as { event?: unknown }).event;
  if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string')
    return null;
  // The event's shape is the writer's (recorder/events.ts).
  return { ...base, event: event as JournalEvent, body: null };
}
