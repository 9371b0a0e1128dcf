/**
 * How the writer spells records (docs/journal-format.md). Every record is one line of JSON that
 * starts with the fixed envelope `{"i":<index>,"prev":"<base64 hash>","kind":"<kind>"` and is
 * followed by the kind's own members; the format layer (format/record-line.ts) parses the same prefix.
 */
import { encodeBase64Into } from './format/base64.js';
import { writeDigits } from './format/decimal-digits.js';
import type { RecordKind } from './format/record-line.js';

/** Base64 of 32 zero bytes: the `prev` of record 0. */
export const zeroHashBase64 = Buffer.alloc(32).toString('base64');

/** The start of an event record's line (all ASCII): the event's JSON and a closing `}` follow. */
export function eventRecordPrefix(index: number, prev: string): string {
  return `{"i":${index},"prev":"${prev}","kind":"event","event":`;
}

const prefixHead = Buffer.from('{"i":', 'latin1');
const prefixPrev = Buffer.from(',"prev":"', 'latin1');
const prefixTail = Buffer.from('","kind":"event","event":', 'latin1');

/** The longest eventRecordPrefix: an index of 16 digits (the envelope allows no more). */
export const eventRecordPrefixMaxBytes = prefixHead.length + 16 + prefixPrev.length + 44 + prefixTail.length;

/**
 * Writes eventRecordPrefix(index, base64 of `prevHash`) as bytes into `out` at `offset` and returns
 * its length: the writer's per-record form, which makes no string (tested to equal eventRecordPrefix).
 */
export function writeEventRecordPrefix(out: Uint8Array, offset: number, index: number, prevHash: Uint8Array): number {
  // TypedArray set, not Buffer copy: copy's wrapper makes a view per call and cost more than these bytes.
  out.set(prefixHead, offset);
  let o = offset + prefixHead.length;
  o = writeDigits(index, out, o);
  out.set(prefixPrev, o);
  o += prefixPrev.length;
  o += encodeBase64Into(prevHash, out, o);
  out.set(prefixTail, o);
  o += prefixTail.length;
  return o - offset;
}

/** The line (without newline) of an event record, given the event already serialised as JSON. */
export function eventRecordLine(index: number, prev: string, eventJson: string): string {
  return `${eventRecordPrefix(index, prev)}${eventJson}}`;
}

/** The line (without newline) of one of the journal's own records; `body` must have at least one member. */
export function journalRecordLine(
  index: number,
  prev: string,
  kind: Exclude<RecordKind, 'event'>,
  body: Readonly<Record<string, unknown>>,
): string {
  const members = JSON.stringify(body);
  if (members.length <= 2) throw new Error('a journal record body needs at least one member');
  return `{"i":${index},"prev":"${prev}","kind":"${kind}",${members.slice(1)}`;
}
