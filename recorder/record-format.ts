/**
 * How the writer spells records (docs/journal-format.md). Every record is one line of JSON that
 * starts with the fixed envelope `{"i":<index>,"prev":"<base64 hash>","kind":"<kind>"` and is
 * followed by the kind's own members; the verifier (verify/record-line.ts) parses the same prefix.
 */
import type { RecordKind } from './verify/record-line.js';

/** Base64 of 32 zero bytes: the `prev` of record 0. */
export const zeroHashBase64 = Buffer.alloc(32).toString('base64');

/** The start of an event record's line (all ASCII): the event's JSON and a closing `}` follow. */
export function eventRecordPrefix(index: number, prev: string): string {
  return `{"i":${index},"prev":"${prev}","kind":"event","event":`;
}

/** The line (without newline) of an event record, given the event already serialised as JSON. */
export function eventRecordLine(index: number, prev: string, eventJson: string): string {
  return `${eventRecordPrefix(index, prev)}${eventJson}}`;
}

/** The line (without newline) of one of the journal's own records; `body` must have at least one member. */
export function journalRecordLine(index: number, prev: string, kind: Exclude<RecordKind, 'event'>, body: Readonly<Record<string, unknown>>): string {
  const members = JSON.stringify(body);
  if (members.length <= 2) throw new Error('a journal record body needs at least one member');
  return `{"i":${index},"prev":"${prev}","kind":"${kind}",${members.slice(1)}`;
}
