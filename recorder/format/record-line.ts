/**
 * Parses one journal record line (docs/journal-format.md) without trusting it. Every record is one
 * JSON object on one line whose first three members are, in this order and spelling:
 *
 *   {"i":<index>,"prev":"<base64 of the previous record's leaf hash>","kind":"<kind>", ...}
 *
 * The fixed prefix lets tools and this parser find the envelope without a JSON parser; the whole
 * line must still be one valid JSON object. The record's hash is taken over the stored bytes, so
 * nothing here re-serialises anything.
 */

/** The kinds of record the journal holds. */
export const RecordKind = {
  /** A session or statement event (recorder/events.ts) under `event`. */
  event: 'event',
  /** Index 0 only: the journal's origin and first verifier key. */
  journalStarted: 'journal.started',
  /** A signed C2SP checkpoint of the tree of every record before this one. */
  checkpoint: 'checkpoint',
  /** The signing key changes; a note signed by the old key names the new one. */
  keyRotated: 'key.rotated',
  /** A torn final write was cut when the writer reopened the journal. */
  recovery: 'recovery',
  /** Format 2: a witness's cosignature line on the checkpoint record at index `size`. */
  cosignature: 'cosignature',
  /** Format 2: a witness holds a tree this journal cannot prove it extends (docs/witnesses.md). */
  witnessAlarm: 'witness.alarm',
  /** An event record whose content was removed by `pgtrail prune`; it keeps the leaf hash (pruned-record.ts). */
  pruned: 'pruned',
  /** A legal hold: records it covers are never pruned (hold-record.ts). */
  hold: 'hold',
  /** The release of a legal hold, named by its id (hold-record.ts). */
  holdReleased: 'hold.released',
} as const;

/** One of RecordKind's values. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const kinds: ReadonlySet<string> = new Set(Object.values(RecordKind));

/** The envelope's grammar as a regular expression; parseRecordEnvelope accepts exactly what it matches (tested). */
export const envelopePattern = /^\{"i":(0|[1-9][0-9]{0,15}),"prev":"([A-Za-z0-9+/]{43}=)","kind":"([a-z.]+)"[,}]/;

/** A record line whose envelope and JSON are well-formed; the body is not yet checked. */
export interface ParsedRecordLine {
  readonly index: number;
  /** Base64 of the predecessor's leaf hash (all zero bytes for index 0). */
  readonly prev: string;
  readonly kind: RecordKind;
  readonly body: Readonly<Record<string, unknown>>;
}

/** The parsed envelope of a record line. */
export interface RecordEnvelope {
  readonly index: number;
  readonly prev: string;
  readonly kind: RecordKind;
  /** Where the envelope ends: the offset of the ',' or '}' after the kind. */
  readonly length: number;
}

// 1 for every byte that is not in the base64 alphabet: a table lookup instead of five range tests,
// whose branches mispredict on hash characters (measured: most of the cost of reading an envelope).
const notBase64 = new Uint8Array(256).fill(1);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') notBase64[c.charCodeAt(0)] = 0;

function isBase64Char(c: number): boolean {
  return c < 256 && notBase64[c] === 0;
}

/**
 * The envelope of a record line, or null when it does not start with one of a known kind; the rest
 * is not parsed. Written out character by character instead of envelopePattern: the regular
 * expression was the largest cost of verifying a record after hashing it.
 */
export function parseRecordEnvelope(text: string): RecordEnvelope | null {
  if (!text.startsWith('{"i":')) return null;
  let p = 5;
  let index = 0;
  const first = text.charCodeAt(p);
  if (first === 48) p++;
  else if (first >= 49 && first <= 57) {
    // At most 16 digits; each step is exact below 2^53 and the last rounds once, as Number() does.
    for (let c = first; c >= 48 && c <= 57 && p < 21; c = text.charCodeAt(++p)) index = index * 10 + (c - 48);
  } else return null;
  if (!text.startsWith(',"prev":"', p)) return null;
  const prevStart = p + 9;
  for (p = prevStart; p < prevStart + 43; p++) if (!isBase64Char(text.charCodeAt(p))) return null;
  if (!text.startsWith('=","kind":"', p)) return null;
  const kindStart = p + 11;
  for (p = kindStart; ; p++) {
    const c = text.charCodeAt(p);
    if (!((c >= 97 && c <= 122) || c === 46)) break;
  }
  if (p === kindStart || text.charCodeAt(p) !== 34) return null;
  const after = text.charCodeAt(p + 1);
  if (after !== 44 && after !== 125) return null;
  const kind = text.startsWith('event"', kindStart) ? RecordKind.event : text.slice(kindStart, p);
  if (!kinds.has(kind)) return null;
  return { index, prev: text.slice(prevStart, prevStart + 44), kind: kind as RecordKind, length: p + 1 };
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const indexOpen = ascii('{"i":');
const prevOpen = ascii(',"prev":"');
const eventOpen = ascii('=","kind":"event","event":{');

function bytesAt(bytes: Uint8Array, at: number, end: number, expected: Uint8Array): boolean {
  if (at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/**
 * Reads an event record's envelope straight from its bytes, without decoding the line: the
 * verifier's fast path for the records that make up nearly all of a journal. For a line that is
 * valid UTF-8, read() is true exactly when parseRecordLine accepts the decoded line as an event
 * record (tested), and then `index` and `prevStart` (where the 44 characters of `prev` begin) are
 * what it would report; when read() is false, parse the line as text. One reader is reused per
 * journal: no object per record.
 */
export class EventEnvelopeReader {
  /** The record's `i`, valid after read() returned true. */
  index = 0;
  /** Offset in the bytes of the first character of `prev`, valid after read() returned true. */
  prevStart = 0;
  /** Offset of the `{` that opens the event object (it ends at the line's last byte but one), valid after read() returned true. */
  eventStart = 0;

  /** True when bytes[start:end] (one line without its newline) is `{"i":N,"prev":"…","kind":"event","event":{…}}`. */
  read(bytes: Uint8Array, start: number, end: number): boolean {
    if (end > bytes.length || !bytesAt(bytes, start, end, indexOpen)) return false;
    let p = start + indexOpen.length;
    let index = 0;
    const first = p < end ? bytes[p] : undefined;
    if (first === 48) p++;
    else if (first !== undefined && first >= 49 && first <= 57) {
      // At most 16 digits, accumulated exactly as parseRecordEnvelope does.
      const last = p + 16;
      for (let c = first; c >= 48 && c <= 57 && p < last; c = ++p < end ? bytes[p]! : 0) index = index * 10 + (c - 48);
    } else return false;
    if (!bytesAt(bytes, p, end, prevOpen)) return false;
    const prevStart = p + prevOpen.length;
    if (prevStart + 43 > end) return false;
    let notInAlphabet = 0;
    for (p = prevStart; p < prevStart + 43; p++) notInAlphabet |= notBase64[bytes[p]!]!;
    if (notInAlphabet !== 0) return false;
    if (!bytesAt(bytes, p, end, eventOpen)) return false;
    // The closing "}}" after the opening "{" (which cannot be part of it).
    if (end - 2 < p + eventOpen.length || bytes[end - 2] !== 125 || bytes[end - 1] !== 125) return false;
    this.index = index;
    this.prevStart = prevStart;
    this.eventStart = p + eventOpen.length - 1;
    return true;
  }
}

const emptyBody: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Parses one record line (without its newline), or returns the reason it is malformed. Event
 * records are checked for their envelope and `"event":{...}}` shape but not parsed as JSON (body
 * is empty): their bytes are protected by the chain and the tree like every record's, and parsing
 * them would dominate the cost of verifying. The journal's own records are parsed in full.
 */
export function parseRecordLine(text: string): ParsedRecordLine | { readonly malformed: string } {
  const head = parseRecordEnvelope(text);
  if (head === null)
    return { malformed: 'record does not start with the {"i","prev","kind"} envelope of a known kind' };
  if (head.kind === RecordKind.event) {
    if (!text.startsWith(',"event":{', head.length) || !text.endsWith('}}')) {
      return { malformed: 'event record is not {..."event":{...}}' };
    }
    return { index: head.index, prev: head.prev, kind: head.kind, body: emptyBody };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { malformed: 'record is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { malformed: 'record is not a JSON object' };
  return { index: head.index, prev: head.prev, kind: head.kind, body: body as Record<string, unknown> };
}
