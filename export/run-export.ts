/**
 * The exporter's loop: reads the journal from the cursor (readJournal, following it with --follow),
 * turns each event record into a line, delivers lines in batches, and moves the cursor past a batch
 * only once the target has it. A failed delivery is retried with exponential backoff (with jitter)
 * for as long as it takes; the cursor stays where it was, so the receiver gets every record at
 * least once and in journal order, and a restart resumes at the first record not confirmed.
 *
 * Sessions open at the cursor are rebuilt first by reading the records before it (ExportState), so
 * a statement finished after a restart is still joined with its session and its started record.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JournalEntry } from '../recorder/journal-entry.js';
import { readJournal } from '../recorder/journal-reader.js';
import { readCursor, writeCursor } from './export-cursor.js';
import { formatRecord, type ExportFormat, type FormatContext } from './export-format.js';
import { ExportState } from './export-record.js';
import type { ExportTarget } from './export-target.js';

/** How to run an export. */
export interface ExportOptions {
  readonly journal: string;
  readonly cursorFile: string;
  readonly follow: boolean;
  readonly format: ExportFormat;
  readonly target: ExportTarget;
  readonly formatContext: FormatContext;
  /** Stops the export (after the delivery in progress, which may be repeated on the next run). */
  readonly signal: AbortSignal;
  /** Most lines per delivery. */
  readonly batchMax?: number;
  /** How long a batch waits for more records before it is delivered. */
  readonly lingerMs?: number;
  /** First and largest retry delay. */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  /** Told each failed delivery and the delay before the next attempt. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** What an export did. */
export interface ExportSummary {
  /** Records delivered (event records) and the cursor at the end. */
  readonly delivered: number;
  readonly cursor: number;
}

const timedOut = Symbol('timed out');

/** Runs the export until the journal ends (without follow) or the signal aborts. */
export async function runExport(options: ExportOptions): Promise<ExportSummary> {
  const batchMax = options.batchMax ?? 500;
  const lingerMs = options.lingerMs ?? 200;
  const state = new ExportState();
  let cursor = await readCursor(options.cursorFile);
  if (cursor > 0) {
    for await (const entry of readJournal(options.journal)) {
      if (entry.index >= cursor) break;
      if (entry.event !== null) state.track(entry.index, entry.event);
    }
  }
  const reader = readJournal(options.journal, { fromIndex: cursor, follow: options.follow, signal: options.signal });
  let pending: Promise<IteratorResult<JournalEntry>> | null = null;
  let lines: string[] = [];
  let seen = cursor;
  let delivered = 0;

  const flush = async (): Promise<boolean> => {
    if (lines.length > 0) {
      if (!(await deliverWithRetry(options, lines))) return false;
      delivered += lines.length;
      lines = [];
    }
    if (seen !== cursor) {
      await writeCursor(options.cursorFile, seen);
      cursor = seen;
    }
    return true;
  };

  try {
    for (;;) {
      if (options.signal.aborted) break;
      pending ??= reader.next();
      const idle = lines.length === 0 && seen === cursor;
      const result = idle
        ? await pending
        : await Promise.race([pending, sleep(lingerMs).then((): typeof timedOut => timedOut)]);
      if (result === timedOut) {
        if (!(await flush())) break;
        continue;
      }
      pending = null;
      if (result.done) {
        await flush();
        break;
      }
      const entry = result.value;
      if (entry.event !== null)
        lines.push(formatRecord(state.toRecord(entry.index, entry.event), options.format, options.formatContext));
      seen = entry.index + 1;
      if (lines.length >= batchMax && !(await flush())) break;
    }
  } finally {
    await reader.return(undefined).catch(() => undefined);
    await options.target.close();
  }
  return { delivered, cursor };
}

/** Delivers until it succeeds (true) or the signal aborts (false). */
async function deliverWithRetry(options: ExportOptions, lines: readonly string[]): Promise<boolean> {
  const { min, max } = options.backoffMs ?? { min: 250, max: 30_000 };
  for (let attempt = 1; ; attempt++) {
    if (options.signal.aborted) return false;
    try {
      await options.target.deliver(lines);
      return true;
    } catch (err) {
      const base = Math.min(max, min * 2 ** Math.min(attempt - 1, 20));
      const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
      options.onRetry?.(err, attempt, delayMs);
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        return false;
      }
    }
  }
}
