import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  envelopePattern,
  EventEnvelopeReader,
  parseRecordEnvelope,
  parseRecordLine,
  RecordKind,
} from './record-line.js';

// What the regular expression says about a line, in parseRecordEnvelope's terms.
function byPattern(text: string) {
  const match = envelopePattern.exec(text);
  if (match === null || !(Object.values(RecordKind) as string[]).includes(match[3]!)) return null;
  return { index: Number(match[1]), prev: match[2]!, kind: match[3], length: match[0].length - 1 };
}

const prev = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

test('the envelope parser accepts exactly what the envelope pattern matches', () => {
  const pieces = fc.constantFrom(
    '{"i":',
    '0',
    '1',
    '9',
    '12345678901234567',
    '9007199254740993',
    ',"prev":"',
    prev,
    'A+/z9',
    '=',
    '","kind":"',
    'event',
    'checkpoint',
    'key.rotated',
    'journal.started',
    'recovery',
    'Event',
    'even',
    '"',
    ',',
    '}',
    '.',
    'x',
    '',
  );
  const valid = fc
    .tuple(
      fc.oneof(fc.constant(0), fc.nat(), fc.constant(Number('9999999999999999')) /* above 2^53 on purpose */),
      fc.constantFrom(...Object.values(RecordKind)),
      fc.constantFrom(',', '}', '"', ''),
    )
    .map(([i, kind, end]) => `{"i":${i},"prev":"${prev}","kind":"${kind}"${end}`);
  const line = fc.oneof(
    fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
    valid,
    valid.chain((v) =>
      fc
        .nat(v.length)
        .chain((cut) => fc.string({ maxLength: 3 }).map((s) => v.slice(0, cut) + s + v.slice(cut + s.length))),
    ),
  );
  fc.assert(
    fc.property(line, (text) => {
      expect(parseRecordEnvelope(text)).toEqual(byPattern(text));
    }),
    { numRuns: 5000 },
  );
  expect(parseRecordEnvelope(`{"i":12,"prev":"${prev}","kind":"event","event":{}}`)).toEqual({
    index: 12,
    prev,
    kind: 'event',
    length: 76,
  });
  expect(parseRecordEnvelope(`{"i":01,"prev":"${prev}","kind":"event"}`)).toBeNull();
});

test('the byte reader of event envelopes accepts exactly the event records parseRecordLine accepts', () => {
  const pieces = fc.constantFrom(
    '{"i":',
    '0',
    '7',
    '12345678901234567',
    '9007199254740993',
    ',"prev":"',
    prev,
    'A+/z9',
    '=',
    '","kind":"',
    'event',
    'checkpoint',
    '","event":{',
    '"event":',
    '{',
    '}',
    '}}',
    '"',
    ',',
    'é',
    '',
  );
  const valid = fc
    .tuple(
      fc.oneof(fc.constant(0), fc.nat(), fc.constant(Number('9999999999999999')) /* above 2^53 on purpose */),
      fc.constantFrom('event', 'checkpoint', 'recovery'),
      fc.constantFrom('{}}', '{"sql":"é"}}', '{}', '}}', '{"a":1}}x'),
    )
    .map(([i, kind, rest]) => `{"i":${i},"prev":"${prev}","kind":"${kind}","event":${rest}`);
  const line = fc.oneof(
    fc.array(pieces, { maxLength: 14 }).map((p) => p.join('')),
    valid,
    valid.chain((v) =>
      fc
        .nat(v.length)
        .chain((cut) => fc.string({ maxLength: 3 }).map((s) => v.slice(0, cut) + s + v.slice(cut + s.length))),
    ),
  );
  const reader = new EventEnvelopeReader();
  fc.assert(
    fc.property(line, fc.string({ maxLength: 4 }), fc.string({ maxLength: 60 }), (text, before, after) => {
      // The line sits inside a larger buffer, as in a segment chunk, between other bytes.
      const lineBytes = Buffer.from(text);
      const bytes = Buffer.concat([Buffer.from(before), lineBytes, Buffer.from(after)]);
      const start = Buffer.byteLength(before);
      const parsed = parseRecordLine(text);
      const isEvent = !('malformed' in parsed) && parsed.kind === RecordKind.event;
      expect(reader.read(bytes, start, start + lineBytes.length)).toBe(isEvent);
      if (isEvent) {
        expect(reader.index).toBe(parsed.index);
        expect(bytes.toString('latin1', reader.prevStart, reader.prevStart + 44)).toBe(parsed.prev);
      }
    }),
    { numRuns: 5000 },
  );
  const good = Buffer.from(`{"i":12,"prev":"${prev}","kind":"event","event":{}}`);
  expect(reader.read(good, 0, good.length)).toBe(true);
  expect(reader.index).toBe(12);
  expect(reader.read(good, 0, good.length - 1)).toBe(false);
});

// docs/journal-format.md §7, "Details for an independent verifier".
const zeroPrev = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

test('an index is 1 to 16 digits without a leading zero', () => {
  const line = (i: string) => `{"i":${i},"prev":"${zeroPrev}","kind":"event","event":{}}`;
  expect(parseRecordEnvelope(line('0'))?.index).toBe(0);
  expect(parseRecordEnvelope(line('1234567890123456'))?.index).toBe(1234567890123456);
  for (const bad of ['12345678901234567', '01', '-1', '+1', '1.0', '1e3', '']) {
    expect(parseRecordEnvelope(line(bad)), bad).toBeNull();
    expect(parseRecordLine(line(bad)), bad).toHaveProperty('malformed');
  }
});

test("an event's JSON is not parsed: only its envelope and {...} shape are checked", () => {
  const record = parseRecordLine(`{"i":1,"prev":"${zeroPrev}","kind":"event","event":{"a":}}`);
  expect(record).toMatchObject({ index: 1, kind: RecordKind.event });
  // The journal's own records must parse.
  expect(parseRecordLine(`{"i":1,"prev":"${zeroPrev}","kind":"recovery","ts":}`)).toEqual({
    malformed: 'record is not valid JSON',
  });
});
