/**
 * The journal writer's metrics (docs/metrics.md, "Journal" and "Witnesses"), served by whichever
 * process writes the journal: `pgtrail start` with a local journal, or `pgtrail recorder`. Each is
 * read at scrape time from what the writer already keeps; the durable write histogram is observed
 * as writes happen (the writer's onDurableWrite).
 */
import type { JournalWriter } from '../recorder/journal-writer.js';
import { BucketHistogram } from './bucket-histogram.js';
import { collectedCounter, collectedGauge, type Registers } from './collected-metric.js';
import { registerWitnessMetrics } from './witness-metrics.js';

/** Upper bounds (seconds) of the durable write buckets: 0.1 ms to a second. */
export const durableWriteBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Registers every journal and witness metric, reading the writer `writer()` gives (null: none here,
 * and the journal gauges read 0); returns the durable write observer (milliseconds).
 */
export function registerJournalMetrics(registers: Registers, writer: () => JournalWriter | null): (ms: number) => void {
  const durableWrite = new BucketHistogram(
    'pgtrail_journal_durable_write_seconds',
    'Time of each durable (O_DSYNC or write + fdatasync) journal write.',
    durableWriteBuckets,
  );
  for (const registry of registers) durableWrite.register(registry);
  collectedCounter(
    registers,
    'pgtrail_journal_records_appended_total',
    'Journal records appended by this process (events and the journal’s own records).',
    () => {
      const w = writer();
      return w === null ? 0 : Math.max(0, w.size - w.sizeAtOpen);
    },
  );
  collectedGauge(
    registers,
    'pgtrail_journal_durable_records',
    'Records in the journal known to be on disk (its tree size).',
    () => writer()?.durableSize ?? 0,
  );
  collectedGauge(
    registers,
    'pgtrail_journal_queue_records',
    'Records waiting for the next journal batch.',
    () => writer()?.queuedRecords ?? 0,
  );
  collectedCounter(
    registers,
    'pgtrail_journal_checkpoints_total',
    'Signed checkpoints written by this process.',
    () => writer()?.checkpoints.count ?? 0,
  );
  collectedGauge(
    registers,
    'pgtrail_journal_checkpoint_tree_size',
    'Tree size signed by the latest checkpoint written.',
    () => writer()?.checkpoints.lastSize ?? 0,
  );
  collectedGauge(
    registers,
    'pgtrail_journal_checkpoint_lag_records',
    'Durable records not yet covered by a signed checkpoint.',
    () => {
      const w = writer();
      return w === null ? 0 : Math.max(0, w.durableSize - w.checkpoints.lastSize);
    },
  );
  collectedGauge(registers, 'pgtrail_journal_failed', '1 once the journal writer has failed closed, else 0.', () =>
    writer()?.failure ? 1 : 0,
  );
  registerWitnessMetrics(registers, writer);
  return (ms) => durableWrite.observe(ms / 1000);
}
