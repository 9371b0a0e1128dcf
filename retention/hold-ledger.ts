/**
 * Every legal hold of a journal and whether it still stands: `hold` and `hold.released` records
 * read from the journal (in index order) and those still waiting in `holds-pending/` for a running
 * writer to record them (legal-holds.ts). Prune keeps what the holds in force cover; `pgtrail hold
 * --list` shows them all.
 */
import {
  holdReleasedKind,
  parseHoldBody,
  parseHoldReleaseBody,
  type HoldRelease,
  type LegalHold,
} from '../recorder/format/hold-record.js';
import { RecordKind } from '../recorder/format/record-line.js';
import type { JournalLine } from './journal-lines.js';
import { journalLines } from './journal-lines.js';
import { readPendingHolds } from './legal-holds.js';

/** One hold and its release, each with the journal index of its record (null: still pending). */
export interface HoldEntry {
  readonly hold: LegalHold;
  readonly recordedAt: number | null;
  readonly released: (HoldRelease & { readonly recordedAt: number | null }) | null;
}

/** The holds of one journal, gathered from its records and its pending folder. */
export class HoldLedger {
  readonly #entries = new Map<
    string,
    { hold: LegalHold; recordedAt: number | null; released: HoldEntry['released'] }
  >();

  /** Takes a journal line: a hold or a release is remembered, anything else ignored. */
  addLine(line: JournalLine): void {
    if (line.body === null) return;
    if (line.kind === RecordKind.hold) {
      const hold = parseHoldBody(line.body);
      if (hold !== null && !this.#entries.has(hold.id))
        this.#entries.set(hold.id, { hold, recordedAt: line.index, released: null });
    } else if (line.kind === holdReleasedKind) {
      const release = parseHoldReleaseBody(line.body);
      const entry = release === null ? undefined : this.#entries.get(release.hold);
      if (release !== null && entry !== undefined && entry.released === null)
        entry.released = { ...release, recordedAt: line.index };
    }
  }

  /** Takes what waits in the pending folder: holds first, then releases (as the writer records them). */
  addPending(pending: Awaited<ReturnType<typeof readPendingHolds>>): void {
    for (const { hold } of pending.holds)
      if (!this.#entries.has(hold.id)) this.#entries.set(hold.id, { hold, recordedAt: null, released: null });
    for (const { release } of pending.releases) {
      const entry = this.#entries.get(release.hold);
      if (entry !== undefined && entry.released === null) entry.released = { ...release, recordedAt: null };
    }
  }

  /** Every hold, in the order placed (journal order, then pending). */
  get entries(): readonly HoldEntry[] {
    return [...this.#entries.values()];
  }

  /** The holds not released: what prune must keep. */
  get inForce(): LegalHold[] {
    return this.entries.filter((e) => e.released === null).map((e) => e.hold);
  }
}

/** Reads the whole ledger of the journal in `dir`. */
export async function readHoldLedger(dir: string): Promise<HoldLedger> {
  const ledger = new HoldLedger();
  for await (const line of journalLines(dir)) ledger.addLine(line);
  ledger.addPending(await readPendingHolds(dir));
  return ledger;
}
