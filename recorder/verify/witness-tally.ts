/**
 * Which checkpoints of a journal are witnessed: cosignature lines found in `cosignature` records and
 * in the `checkpoint` file, checked against the checkpoint bodies the journal holds and the witness
 * keys an auditor pins (--witness). A checkpoint is witnessed when at least `quorum` distinct pinned
 * witnesses cosigned it. What the tally cannot vouch for is everything at or after the last
 * witnessed tree: a writer could still have rewritten it without any witness noticing.
 */
import { type CosignerKey, verifiedCosignatures } from '../format/cosignature.js';
import { parseNoteUnverified } from '../format/note.js';

/** What the tally reports. */
export interface WitnessSummary {
  readonly quorum: number;
  readonly witnesses: readonly string[];
  /** Tree sizes of the checkpoints with at least `quorum` cosignatures, ascending. */
  readonly witnessedSizes: readonly number[];
  /** The largest witnessed tree size, or null when none is. */
  readonly lastWitnessed: number | null;
  /** Cosignature lines by a pinned witness that do not verify (each also a finding). */
  readonly invalid: number;
}

/** Collects checkpoints and cosignature lines during the walk, then tallies. */
export class WitnessTally {
  readonly #bodies = new Map<number, string>();
  readonly #lines = new Map<number, Set<string>>();

  constructor(
    private readonly keys: readonly CosignerKey[],
    private readonly quorum: number,
  ) {}

  /** A checkpoint record's body (the signed text) at tree size `size`. */
  addCheckpoint(size: number, body: string): void {
    this.#bodies.set(size, body);
  }

  /** One cosignature line (without newline) on the checkpoint of `size`. */
  addLine(size: number, line: string): void {
    const lines = this.#lines.get(size) ?? new Set<string>();
    lines.add(line);
    this.#lines.set(size, lines);
  }

  /** The signature lines of a note that are not by `journalKeyNames`: the file's merged cosignatures. */
  addNoteLines(size: number, note: string, journalKeyNames: ReadonlySet<string>): void {
    for (const sig of parseNoteUnverified(note).signatures)
      if (!journalKeyNames.has(sig.name)) this.addLine(size, `\u2014 ${sig.name} ${sig.base64}`);
  }

  /**
   * Tallies: `onInvalid` is told of each line by a pinned witness that does not verify over the
   * checkpoint it names (or names a size with no checkpoint).
   */
  summarize(onInvalid: (size: number, witness: string) => void): WitnessSummary {
    const witnessed: number[] = [];
    let invalid = 0;
    for (const [size, lines] of [...this.#lines].sort((a, b) => a[0] - b[0])) {
      const body = this.#bodies.get(size);
      const good = new Set<string>();
      for (const line of lines) {
        const sig = parseNoteUnverified(`-\n\n${line}\n`).signatures[0]!;
        const name = sig.name;
        const byPinned = this.keys.filter((k) => k.name === sig.name && k.keyId === sig.keyId);
        if (byPinned.length === 0) continue;
        const found = body === undefined ? [] : verifiedCosignatures(`${body}\n${line}\n`, byPinned);
        if (found.length === 0) {
          invalid++;
          onInvalid(size, name);
        } else for (const f of found) good.add(f.key.text);
      }
      if (good.size >= this.quorum && this.quorum > 0) witnessed.push(size);
    }
    return {
      quorum: this.quorum,
      witnesses: this.keys.map((k) => k.text),
      witnessedSizes: witnessed,
      lastWitnessed: witnessed.length === 0 ? null : witnessed[witnessed.length - 1]!,
      invalid,
    };
  }
}
