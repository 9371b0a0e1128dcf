/**
 * Retention inside a running writer (`pgtrail start`): every few seconds, holds placed with
 * `pgtrail hold` while the journal was locked are recorded in it; and, when journal.retention.keepDays
 * is set, prune runs every journal.retention.everyMinutes for records older than that. Prune runs
 * beside the writer as it does from the command line: closed segments only (prune-journal.ts).
 */
import type { Logger } from 'pino';
import type { RetentionConfig } from '../config/config.js';
import type { JournalWriter } from '../recorder/journal-writer.js';
import { ingestPendingHolds } from './legal-holds.js';
import { pruneJournal } from './prune-journal.js';

const holdPollMs = 5_000;
const dayMs = 86_400_000;

/** A running schedule. */
export interface RetentionSchedule {
  /** Stops the timers and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Starts the schedule for the journal `writer` writes (see the module comment). */
export function startRetention(writer: JournalWriter, retention: RetentionConfig, log: Logger): RetentionSchedule {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const serial = (task: () => Promise<void>) => {
    running = running.then(() => (stopped ? undefined : task())).catch(() => undefined);
  };
  const ingest = async () => {
    const count = await ingestPendingHolds(writer.dir, writer).catch((err: unknown) => {
      log.error({ code: (err as { code?: unknown }).code }, 'pending legal holds not recorded');
      return 0;
    });
    if (count > 0) log.info({ holds: count }, 'legal holds recorded');
  };
  const prune = async () => {
    await ingest();
    const before = Date.now() - retention.keepDays * dayMs;
    try {
      const report = await pruneJournal({ dir: writer.dir, before, keepSessionsOpen: retention.keepSessionsOpen });
      log.info({ before: new Date(before).toISOString(), ...report }, 'journal pruned');
    } catch (err) {
      log.error({ code: (err as { code?: unknown }).code }, 'journal prune failed');
    }
  };
  const holdTimer = setInterval(() => serial(ingest), holdPollMs);
  holdTimer.unref();
  let pruneTimer: NodeJS.Timeout | null = null;
  if (retention.keepDays > 0) {
    serial(prune);
    pruneTimer = setInterval(() => serial(prune), retention.everyMinutes * 60_000);
    pruneTimer.unref();
  }
  return {
    async stop() {
      stopped = true;
      clearInterval(holdTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      await running;
    },
  };
}
