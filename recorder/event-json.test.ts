import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventJsonNoRoom, writeEventJson } from './event-json.js';
import type { StatementFinished, StatementStarted } from './events.js';
import { combineStatement } from './statement-record.js';
import { sampleSession, statementFinished, statementStarted } from './testing/sample-events.js';

/** What the writer queued before writeEventJson: JSON.stringify's string as UTF-8. */
function stringified(event: object): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** writeEventJson's bytes, growing the buffer as the writer does. */
function written(event: object, size = 16): Buffer {
  let out = Buffer.alloc(size);
  for (;;) {
    const end = writeEventJson(event, out, 3);
    if (end === eventJsonNoRoom) {
      out = Buffer.alloc(out.length * 2);
      continue;
    }
    return out.subarray(3, end);
  }
}

// Text the proxy may record: quotes, backslashes, every control character, non-ASCII, emoji (surrogate
// pairs), lone surrogates (a JS string can hold them even though the proxy decodes UTF-8 strictly),
// U+2028/2029, DEL and the replacement character.
const nastyText = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.constantFrom(
    '',
    '"',
    '\\',
    '\\"',
    '\u0000',
    '\u001f\u007f',
    '\u2028\u2029',
    '\ud800',
    'a\udc00b',
    '\ud83d\ude00',
    '\ufffd',
  ),
);
const numbers = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    1e21,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1.5e-7,
    1_764_115_200_000.1233,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
);
const values = fc.oneof(
  nastyText,
  numbers,
  fc.constant(null),
  fc.boolean(),
  fc.constant(undefined),
  fc.array(fc.option(nastyText, { nil: null })),
  fc.record({ code: fc.string(), message: nastyText }),
  fc.record({ base64: fc.base64String() }),
  fc.array(fc.array(fc.option(nastyText, { nil: null }))),
  fc.array(fc.oneof(fc.integer(), fc.constant(undefined), nastyText)),
);

describe('writeEventJson', () => {
  it('writes the bytes of JSON.stringify for the sample session and statements', () => {
    const events: object[] = [...sampleSession('s1', 5)];
    for (let n = 1; n < 50; n++) events.push(statementStarted('s2', n), statementFinished('s2', n));
    for (const event of events) expect(written(event, 1 << 16)).toEqual(stringified(event));
  });

  it('writes the bytes of JSON.stringify for generated flat events, whatever room it starts with', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), values),
        fc.integer({ min: 4, max: 64 }),
        (event, room) => {
          expect(written(event, room)).toEqual(stringified(event));
        },
      ),
      { numRuns: 800 },
    );
  });

  it('writes the bytes of JSON.stringify for generated statement records', () => {
    const started = fc.record({
      type: fc.constant('statement.started'),
      ts: numbers,
      session: fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }),
      statement: fc.nat(),
      user: nastyText,
      role: nastyText,
      protocol: fc.constantFrom('simple', 'extended', 'function_call'),
      sql: fc.oneof(nastyText, fc.record({ base64: fc.base64String() })),
      params: fc.option(fc.array(fc.option(nastyText, { nil: null })), { nil: null }),
      preparedName: fc.option(nastyText, { nil: null }),
      portal: fc.option(nastyText, { nil: null }),
      redaction: fc.option(fc.constantFrom('password', 'password,drop'), { nil: null }),
    });
    fc.assert(
      fc.property(started, (event) => {
        expect(written(event)).toEqual(stringified(event));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes the bytes of JSON.stringify for generated statement records as combineStatement builds them', () => {
    // Any member may be any value here (undefined, a nested object, one with toJSON): the record's
    // own writer (member by member) must still agree with JSON.stringify of the whole.
    const member = fc.oneof(
      { weight: 8, arbitrary: values },
      { weight: 1, arbitrary: fc.constant({ toJSON: () => 'replaced' }) },
    );
    // The members of each event as the proxy emits them; combineStatement picks its own from these.
    const names = Object.keys(statementStarted('a', 1)).filter((name) => name !== 'type');
    const finishedNames = Object.keys(statementFinished('a', 1)).filter((name) => name !== 'type');
    const pair = fc.tuple(
      fc.array(member, { minLength: names.length, maxLength: names.length }),
      fc.array(member, { minLength: finishedNames.length, maxLength: finishedNames.length }),
      fc.nat({ max: 64 }),
    );
    fc.assert(
      fc.property(pair, ([startedValues, finishedValues, room]) => {
        const started = Object.fromEntries(names.map((n, i) => [n, startedValues[i]]));
        const finished = Object.fromEntries(finishedNames.map((n, i) => [n, finishedValues[i]]));
        const record = combineStatement(
          { ...started, type: 'statement.started' } as unknown as StatementStarted,
          { ...finished, type: 'statement.finished' } as unknown as StatementFinished,
        );
        expect(written(record, room + 1)).toEqual(stringified(record));
      }),
      { numRuns: 500 },
    );
    const typical = combineStatement(statementStarted('c0ffee01', 3), statementFinished('c0ffee01', 3));
    expect(written(typical)).toEqual(stringified(typical));
  });

  it('copies JSON.stringify of an event with toJSON, and leaves a full buffer to its caller', () => {
    const withToJson = { a: 1, toJSON: (key: string) => ({ key, b: '\u0001' }) };
    expect(written(withToJson)).toEqual(stringified(withToJson));
    const nested = { a: { toJSON: (key: string) => key }, b: 2 };
    expect(written(nested)).toEqual(stringified(nested));
    expect(writeEventJson({ sql: 'x'.repeat(100) }, Buffer.alloc(100), 0)).toBe(eventJsonNoRoom);
  });
});
