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
} as const;

/** One of RecordKind's values. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const kinds: ReadonlySet<string> = new Set(Object.values(RecordKind));

const envelope = /^\{"i":(0|[1-9][0-9]{0,15}),"prev":"([A-Za-z0-9+/]{43}=)","kind":"([a-z.]+)"[,}]/;

/** A record line whose envelope and JSON are well-formed; the body is not yet checked. */
export interface ParsedRecordLine {
  readonly index: number;
  /** Base64 of the predecessor's leaf hash (all zero bytes for index 0). */
  readonly prev: string;
  readonly kind: RecordKind;
  readonly body: Readonly<Record<string, unknown>>;
}

/** The envelope of a record line, or null when it does not start with one of a known kind; the rest is not parsed. */
export function parseRecordEnvelope(text: string): { readonly index: number; readonly prev: string; readonly kind: RecordKind; readonly length: number } | null {
  const match = envelope.exec(text);
  if (match === null || !kinds.has(match[3]!)) return null;
  // length: where the envelope ends (at the ',' or '}' after the kind).
  return { index: Number(match[1]), prev: match[2]!, kind: match[3] as RecordKind, length: match[0].length - 1 };
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
  if (head === null) return { malformed: 'record does not start with the {"i","prev","kind"} envelope of a known kind' };
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
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { malformed: 'record is not a JSON object' };
  return { index: head.index, prev: head.prev, kind: head.kind, body: body as Record<string, unknown> };
}
