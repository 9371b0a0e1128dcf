/**
 * The pruned form of an event record (docs/journal-format.md §10). `pgtrail prune` replaces an
 * event record's line by
 *
 *   {"i":I,"prev":"P","kind":"pruned","leaf":"L","was":{"type":"T","ts":MS,"session":"S","statement":N}}
 *
 * byte for byte in this order: `i` and `prev` as the original line had them, `leaf` the standard
 * base64 of the original line's leaf hash SHA-256(0x00 || original line), `was` the event's type,
 * time, session and statement number (null when the event has none) — no SQL, parameters, rows or
 * names. The leaf hash of a pruned record is the 32 bytes of `leaf`, not a hash of the pruned line:
 * so every checkpoint, inclusion and consistency proof stays valid, the next record's `prev` still
 * chains to it, and a changed `leaf` is caught by that `prev` and by the signed tree root. `was` is
 * covered by no hash: it helps search show what was pruned, and nothing trusts it.
 *
 * Browser-safe: no node: modules.
 */

/** The record kind of a pruned line. */
export const prunedKind = 'pruned';

/** What a pruned line keeps of its event (see the module comment). */
export interface PrunedEvent {
  readonly type: string;
  readonly ts: number;
  readonly session: string;
  readonly statement: number | null;
}

/** A parsed pruned line. */
export interface PrunedRecord {
  readonly index: number;
  readonly prev: string;
  /** Base64 of the original record's leaf hash: this record's leaf in the tree. */
  readonly leaf: string;
  readonly was: PrunedEvent;
}

// Bounds that keep a pruned line small whatever the original held.
const eventTypePattern = '[a-z][a-z_.]{0,39}';
const sessionPattern = '[A-Za-z0-9_-]{1,64}';
const hashPattern = '[A-Za-z0-9+/]{43}=';
const numberPattern = '0|[1-9][0-9]{0,15}';

/** The exact grammar of a pruned line; parsePrunedLine accepts nothing else. */
export const prunedLinePattern = new RegExp(
  `^\\{"i":(${numberPattern}),"prev":"(${hashPattern})","kind":"pruned","leaf":"(${hashPattern})",` +
    `"was":\\{"type":"(${eventTypePattern})","ts":(${numberPattern}),"session":"(${sessionPattern})",` +
    `"statement":(null|${numberPattern})\\}\\}$`,
);

/** The pruned line of a record (see the module comment); throws when `was` cannot be spelled in it. */
export function prunedLine(index: number, prev: string, leaf: string, was: PrunedEvent): string {
  const line =
    `{"i":${index},"prev":"${prev}","kind":"pruned","leaf":"${leaf}","was":{"type":"${was.type}",` +
    `"ts":${was.ts},"session":"${was.session}","statement":${was.statement === null ? 'null' : was.statement}}}`;
  if (parsePrunedLine(line) === null) throw new Error('the event cannot be written in pruned form');
  return line;
}

/** Parses a pruned line, or returns null when the text is not exactly one. */
export function parsePrunedLine(text: string): PrunedRecord | null {
  const m = prunedLinePattern.exec(text);
  if (m === null) return null;
  return {
    index: Number(m[1]),
    prev: m[2]!,
    leaf: m[3]!,
    was: { type: m[4]!, ts: Number(m[5]), session: m[6]!, statement: m[7] === 'null' ? null : Number(m[7]) },
  };
}

/** Whether a line's envelope says it is pruned, from its bytes (cheap: the kind sits after the fixed-size prev). */
export function isPrunedLineStart(text: string): boolean {
  const at = text.indexOf('","kind":"');
  return at > 0 && text.startsWith('pruned"', at + 10);
}
