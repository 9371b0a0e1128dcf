import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCRAM_SHA_256 } from '../auth/scram-client.js';
import { parsePasswordMessage, parseSaslInitialResponse } from './password-messages.js';
import { ScramServerExchange } from './scram-server.js';
import { makeScramVerifier } from './scram-verifier.js';

describe('password messages', () => {
  it('parses SASLInitialResponse and PasswordMessage strictly', () => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(3, 0);
    expect(parseSaslInitialResponse(Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), len, Buffer.from('abc')]))).toEqual({
      mechanism: 'SCRAM-SHA-256',
      data: Buffer.from('abc'),
    });
    expect(
      parseSaslInitialResponse(Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), len, Buffer.from('ab')])),
    ).toBeNull();
    expect(parsePasswordMessage(Buffer.from('secret\0'))).toBe('secret');
    expect(parsePasswordMessage(Buffer.from('secret'))).toBeNull();
    expect(parsePasswordMessage(Buffer.from('a\0b\0'))).toBeNull();
  });

  it('never throws on arbitrary bytes from a client, in any parser or SCRAM step, and never accepts a forged proof', () => {
    const verifier = makeScramVerifier('pw', 1000);
    const key = { secret: Buffer.alloc(32), user: 'u', iterations: 1000 };
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        fc.stringMatching(/^[!-+\--~]{1,40}$/),
        (bytes, final, nonce) => {
          parseSaslInitialResponse(Buffer.from(bytes));
          parsePasswordMessage(Buffer.from(bytes));
          expect(
            new ScramServerExchange(verifier, null, key).clientFirst(SCRAM_SHA_256, Buffer.from(bytes)).ok,
          ).toBeTypeOf('boolean');
          const s = new ScramServerExchange(verifier, null, key);
          expect(s.clientFirst(SCRAM_SHA_256, Buffer.from(`n,,n=,r=${nonce}`)).ok).toBe(true);
          expect(s.clientFinal(Buffer.from(final)).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
