import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authenticationSasl, authenticationSaslContinue, parsePasswordMessage, parseSaslInitialResponse } from './authentication-requests.js';
import { ScramServerExchange, SCRAM_SHA_256 } from './scram-server.js';
import { makeScramVerifier } from './scram-verifier.js';
import { tlsServerEndPoint } from './tls-server-end-point.js';

describe('authentication messages', () => {
  it('encodes AuthenticationSASL as the protocol spells it', () => {
    const m = authenticationSasl(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    expect(m.subarray(0, 1).toString()).toBe('R');
    expect(m.readInt32BE(1)).toBe(m.length - 1);
    expect(m.readInt32BE(5)).toBe(10);
    expect(m.subarray(9).toString()).toBe('SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0');
    expect(authenticationSaslContinue(Buffer.from('r=x')).readInt32BE(5)).toBe(11);
  });

  it('parses SASLInitialResponse and PasswordMessage strictly', () => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(3, 0);
    expect(parseSaslInitialResponse(Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), len, Buffer.from('abc')]))).toEqual({ mechanism: 'SCRAM-SHA-256', data: Buffer.from('abc') });
    expect(parseSaslInitialResponse(Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), len, Buffer.from('ab')]))).toBeNull();
    expect(parsePasswordMessage(Buffer.from('secret\0'))).toBe('secret');
    expect(parsePasswordMessage(Buffer.from('secret'))).toBeNull();
    expect(parsePasswordMessage(Buffer.from('a\0b\0'))).toBeNull();
  });

  it('never throws on arbitrary bytes from a client, in any parser or SCRAM step, and never accepts a forged proof', () => {
    const verifier = makeScramVerifier('pw', 1000);
    const key = { secret: Buffer.alloc(32), user: 'u', iterations: 1000 };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }), fc.stringMatching(/^[!-+\--~]{1,40}$/), (bytes, final, nonce) => {
        parseSaslInitialResponse(Buffer.from(bytes));
        parsePasswordMessage(Buffer.from(bytes));
        tlsServerEndPoint(Buffer.from(bytes));
        expect(new ScramServerExchange(verifier, null, key).clientFirst(SCRAM_SHA_256, Buffer.from(bytes)).ok).toBeTypeOf('boolean');
        const s = new ScramServerExchange(verifier, null, key);
        expect(s.clientFirst(SCRAM_SHA_256, Buffer.from(`n,,n=,r=${nonce}`)).ok).toBe(true);
        expect(s.clientFinal(Buffer.from(final)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
