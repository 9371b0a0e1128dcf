import type { JournalEvent } from './events.js';

/** One record read back from the journal, for search, sessions, replay and the viewer. */
export interface JournalEntry {
  /** The record's index in the journal: its leaf number in the Merkle tree, 0-based, gap-free. */
  readonly index: number;
  /** Segment file name the record is in, and its 1-based line there. */
  readonly segment: string;
  readonly line: number;
  /** The session or statement event, or null for the journal's own records (checkpoints, key rotation, recovery). */
  readonly event: JournalEvent | null;
  /** Format 3: the record's session chain members (docs/journal-format.md §13), when it carries them. */
  readonly chain?: { readonly sprev: string; readonly sn: number };
}
