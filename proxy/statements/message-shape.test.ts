import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrontendCode } from '../protocol/message-codes.js';
import {
  decodeBind,
  decodeExecute,
  decodeFunctionCall,
  decodeParse,
  decodeQuery,
  decodeTarget,
} from './client-messages.js';
import { isWellFormed } from './message-shape.js';

const decoders: readonly [string, number, (body: Buffer) => unknown][] = [
  ['Query', FrontendCode.Query, decodeQuery],
  ['Parse', FrontendCode.Parse, decodeParse],
  ['Bind', FrontendCode.Bind, decodeBind],
  ['Describe', FrontendCode.Describe, decodeTarget],
  ['Close', FrontendCode.Close, decodeTarget],
  ['Execute', FrontendCode.Execute, decodeExecute],
  ['FunctionCall', FrontendCode.FunctionCall, decodeFunctionCall],
];

/** Bytes that look like protocol fields: small counts and lengths, NULs, 'S' and 'P', -1 lengths. */
const fieldBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(0, 0x53, 0x50, 0x61, 0xff),
      fc.integer({ min: 0, max: 3 }).map((n) => [0, n]),
      fc.constantFrom([0xff, 0xff, 0xff, 0xff], [0, 0, 0, 1], [0, 0, 0, 2], [0, 0, 0, 0]),
    ),
    { maxLength: 24 },
  )
  .map((parts) => Buffer.from(parts.flat()));

describe('isWellFormed', () => {
  for (const [name, code, decode] of decoders) {
    it(`agrees with the ${name} decoder on every body`, () => {
      fc.assert(
        fc.property(fieldBytes, (body) => {
          expect(isWellFormed(code, body)).toBe(decode(body) !== null);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('takes well-formed messages of each kind and refuses their truncations', () => {
    const bind = Buffer.from([0, 0x73, 0x31, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x34, 0x32, 0, 0]);
    expect(isWellFormed(FrontendCode.Bind, bind)).toBe(true);
    for (let n = 0; n < bind.length; n++) expect(isWellFormed(FrontendCode.Bind, bind.subarray(0, n))).toBe(false);
    expect(isWellFormed(FrontendCode.Query, Buffer.from('select 1\0'))).toBe(true);
    expect(isWellFormed(FrontendCode.Query, Buffer.from('select 1'))).toBe(false);
    expect(isWellFormed(FrontendCode.Query, Buffer.alloc(0))).toBe(false);
    expect(isWellFormed(FrontendCode.Query, Buffer.from('a\0b\0'))).toBe(false);
    expect(isWellFormed(FrontendCode.Sync, Buffer.alloc(0))).toBe(true);
  });
});
