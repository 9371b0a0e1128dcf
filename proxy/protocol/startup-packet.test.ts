import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../backend-error.js';
import { decodeStartupPacket } from './startup-packet.js';

function packet(code: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8 + rest.length);
  b.writeInt32BE(8 + rest.length, 0);
  b.writeInt32BE(code, 4);
  rest.copy(b, 8);
  return b;
}

const params = (s: string) => Buffer.from(s.replace(/\|/g, '\0'));

describe('decodeStartupPacket', () => {
  it('decodes SSLRequest, GSSENCRequest and CancelRequest', () => {
    expect(decodeStartupPacket(packet(80877103))).toEqual({ kind: 'SSLRequest' });
    expect(decodeStartupPacket(packet(80877104))).toEqual({ kind: 'GSSENCRequest' });
    const cancel = decodeStartupPacket(packet(80877102, Buffer.from([0, 0, 1, 0, 1, 2, 3, 4])));
    expect(cancel).toMatchObject({ kind: 'CancelRequest', pid: 256 });
  });

  it('decodes a 3.0 StartupMessage, separating _pq_ options from parameters', () => {
    const m = decodeStartupPacket(
      packet((3 << 16) | 2, params('user|alice|database|app|_pq_.x|1|application_name|psql||')),
    );
    expect(m).toEqual({
      kind: 'StartupMessage',
      major: 3,
      minor: 2,
      params: new Map([
        ['user', 'alice'],
        ['database', 'app'],
        ['application_name', 'psql'],
      ]),
      protocolOptions: ['_pq_.x'],
    });
  });

  const refused: [string, Buffer, string][] = [
    ['protocol 2.0', packet(2 << 16, params('user|a||')), '0A000'],
    ['protocol 4.0', packet(4 << 16, params('user|a||')), '0A000'],
    ['no user', packet(3 << 16, params('database|a||')), '28000'],
    ['no terminator', packet(3 << 16, params('user|a|')), '08P01'],
    ['a name without a value', packet(3 << 16, params('user|a|x')), '08P01'],
    ['bytes after the terminator', packet(3 << 16, params('user|a||x')), '08P01'],
    ['an SSLRequest with a body', packet(80877103, Buffer.from([1])), '08P01'],
    ['a short CancelRequest', packet(80877102, Buffer.from([1, 2, 3])), '08P01'],
    ['a 7-byte packet', Buffer.alloc(7), '08P01'],
  ];
  for (const [what, bytes, sqlstate] of refused) {
    it(`refuses ${what} with ${sqlstate}`, () => {
      let error: unknown = null;
      try {
        decodeStartupPacket(bytes);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).sqlstate).toBe(sqlstate);
    });
  }

  it('throws only BackendError on generated packets', () => {
    fc.assert(
      fc.property(fc.integer(), fc.uint8Array({ maxLength: 100 }), (code, rest) => {
        try {
          decodeStartupPacket(packet(code, Buffer.from(rest)));
        } catch (err) {
          expect(err).toBeInstanceOf(BackendError);
        }
      }),
    );
  });
});
