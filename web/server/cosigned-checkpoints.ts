/**
 * Which checkpoint of the followed journal witnesses have cosigned: the latest checkpoint record for
 * which a `cosignature` record (docs/journal-format.md §12) follows, its note, and every cosignature
 * line recorded for it. The viewer sends these to the browser, which checks the cosignatures under
 * the witness keys the reviewer pinned; nothing here is trusted there. A cosignature names its
 * checkpoint by index, and arrives soon after it, so only the notes of the latest checkpoints are
 * kept.
 */

/** The latest checkpoint with cosignatures: its index (the size of the tree it signs), note and cosignature lines. */
export interface CosignedCheckpoint {
  readonly seq: number;
  readonly note: string;
  readonly cosignatures: readonly string[];
}

/** Checkpoint notes kept to match cosignatures that arrive later; older checkpoints are forgotten. */
const recentCheckpoints = 256;
/** Most cosignature lines kept for one checkpoint (one per witness; more is not a real journal). */
const maxCosignatures = 64;

/** Follows checkpoint and cosignature records in journal order. */
export class CosignedCheckpoints {
  readonly #notes = new Map<number, string>();
  #latest: { seq: number; note: string; cosignatures: string[] } | null = null;

  /** The latest cosigned checkpoint, or null before any cosignature. */
  get latest(): CosignedCheckpoint | null {
    return this.#latest;
  }

  /** Takes a checkpoint record at `seq`. */
  checkpoint(seq: number, note: string): void {
    this.#notes.set(seq, note);
    if (this.#notes.size > recentCheckpoints) {
      const oldest = this.#notes.keys().next().value;
      if (oldest !== undefined) this.#notes.delete(oldest);
    }
  }

  /** Takes a cosignature record: `line` on the checkpoint record at index `size`. */
  cosignature(size: number, line: string): void {
    const latest = this.#latest;
    if (latest !== null && size === latest.seq) {
      if (!latest.cosignatures.includes(line) && latest.cosignatures.length < maxCosignatures)
        latest.cosignatures.push(line);
      return;
    }
    const note = this.#notes.get(size);
    if (note === undefined || (latest !== null && size < latest.seq)) return;
    this.#latest = { seq: size, note, cosignatures: [line] };
  }
}
