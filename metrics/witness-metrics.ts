/**
 * Witness metrics (docs/metrics.md, "Witnesses"): what each configured witness (journal.witnesses)
 * answered, read at scrape time from the writer's witness counters (recorder/witnessing/). The
 * `witness` label is the name in the witness's vkey, which the operator configured: the label has
 * as many values as journal.witnesses has entries, and nothing a client sends can add one.
 */
import type { JournalWriter } from '../recorder/journal-writer.js';
import type { WitnessStats } from '../recorder/witnessing/witness-client.js';
import { labelledCounter, labelledGauge, type Registers } from './collected-metric.js';

/** What an add-checkpoint exchange with a witness came to, as the `result` label says it. */
export const witnessResults = ['cosigned', 'conflict', 'failed'] as const;

/**
 * The label value of each witness, in configuration order: the name of its vkey (before the first
 * `+`), with `#<position>` added when two configured witnesses share a name.
 */
export function witnessLabels(stats: readonly WitnessStats[]): string[] {
  const names = stats.map((s) => s.vkey.split('+', 1)[0] ?? '');
  return names.map((name, i) => (names.indexOf(name) === names.lastIndexOf(name) ? name : `${name}#${i}`));
}

/** Registers the witness metrics; a writer with no witnesses serves no samples of them. */
export function registerWitnessMetrics(registers: Registers, writer: () => JournalWriter | null): void {
  const each = function* <T>(read: (s: WitnessStats, w: JournalWriter) => T | null) {
    const w = writer();
    if (w === null) return;
    const stats = w.witnessStats;
    const labels = witnessLabels(stats);
    for (let i = 0; i < stats.length; i++) {
      const value = read(stats[i]!, w);
      if (value !== null) yield [labels[i]!, value] as const;
    }
  };
  labelledCounter(
    registers,
    'pgtrail_witness_cosignatures_total',
    'Checkpoints sent to each witness, by result (cosigned, conflict, failed).',
    ['witness', 'result'],
    function* () {
      for (const [witness, s] of each((s) => s)) {
        yield [{ witness, result: 'cosigned' }, s.cosigned] as const;
        yield [{ witness, result: 'conflict' }, s.conflicts] as const;
        yield [{ witness, result: 'failed' }, s.failures] as const;
      }
    },
  );
  labelledCounter(
    registers,
    'pgtrail_witness_alarms_total',
    'Witness alarms: a witness holds a tree this journal cannot prove it extends.',
    ['witness'],
    function* () {
      for (const [witness, alarms] of each((s) => s.alarms)) yield [{ witness }, alarms] as const;
    },
  );
  labelledGauge(
    registers,
    'pgtrail_witness_cosigned_tree_size',
    'The tree size each witness last cosigned (no sample while it is not known).',
    ['witness'],
    function* () {
      for (const [witness, size] of each((s) => s.size)) yield [{ witness }, size] as const;
    },
  );
  labelledGauge(
    registers,
    'pgtrail_witness_lag_records',
    'Records signed by the latest checkpoint and not yet cosigned by each witness.',
    ['witness'],
    function* () {
      const lag = each((s, w) => (s.size === null ? null : Math.max(0, w.checkpoints.lastSize - s.size)));
      for (const [witness, records] of lag) yield [{ witness }, records] as const;
    },
  );
}
