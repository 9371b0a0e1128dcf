import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeAck,
  encodeBatch,
  encodeHello,
  encodeRefusal,
  encodeWelcome,
  wireLimits,
} from './recorder-frames.js';
import { WireError } from './wire-error.js';

const events = [Buffer.from('{"type":"a"}'), Buffer.from('{"type":"session.closed","x":"é"}')];

describe('recorder frames', () => {
  it('round-trips every frame type', () => {
    expect(decodeFrame(encodeHello('proxy-a:6432'))).toEqual({ type: 'hello', version: 1, instance: 'proxy-a:6432' });
    expect(decodeFrame(encodeWelcome(0))).toEqual({ type: 'welcome', version: 1, durableSeq: 0 });
    expect(decodeFrame(encodeAck(2 ** 53 - 1))).toEqual({ type: 'ack', durableSeq: 2 ** 53 - 1 });
    expect(decodeFrame(encodeRefusal('RECORDER_SEQUENCE_GAP', 'gap after 7'))).toEqual({
      type: 'refusal',
      code: 'RECORDER_SEQUENCE_GAP',
      message: 'gap after 7',
    });
    const batch = decodeFrame(encodeBatch(4_294_967_297, events));
    expect(batch).toEqual({ type: 'batch', firstSeq: 4_294_967_297, events });
  });

  it('refuses every truncation and every extra byte of each frame', () => {
    const frames = [
      encodeHello('p1'),
      encodeWelcome(9),
      encodeAck(9),
      encodeRefusal('X', 'why'),
      encodeBatch(1, events),
    ];
    for (const frame of frames) {
      for (let cut = 0; cut < frame.length; cut++) {
        expect(() => decodeFrame(frame.subarray(0, cut)), `cut at ${cut}`).toThrow(WireError);
      }
      expect(() => decodeFrame(Buffer.concat([frame, Buffer.from([0])]))).toThrow(WireError);
    }
  });

  it('refuses sequence 0 in a batch, sequences beyond 2^53 - 1, unknown types and versions', () => {
    const zero = encodeBatch(1, events);
    zero.writeUInt32BE(0, 5);
    expect(() => decodeFrame(zero)).toThrow(/start at 1/);
    const huge = encodeAck(1);
    huge.writeUInt32BE(0x200000, 1);
    expect(() => decodeFrame(huge)).toThrow(/out of bounds/);
    expect(() => encodeBatch(2 ** 53 - 1, events)).toThrow(/out of bounds/);
    const overflow = encodeBatch(2 ** 53 - 2, events);
    overflow.writeUInt32BE((2 ** 53 - 1) % 2 ** 32, 5);
    expect(() => decodeFrame(overflow)).toThrow(/out of bounds/);
    expect(() => decodeFrame(Buffer.from([0x09]))).toThrow(/unknown frame type/);
    const v2 = encodeHello('p1');
    v2[1] = 2;
    expect(() => decodeFrame(v2)).toThrow(expect.objectContaining({ code: 'WIRE_VERSION_UNSUPPORTED' }));
  });

  it('refuses bad instance names and oversized counts', () => {
    expect(() => encodeHello('has space')).toThrow(WireError);
    const bad = Buffer.from([0x01, 1, 2, 0x20, 0x41]);
    expect(() => decodeFrame(bad)).toThrow(/instance name/);
    const count = encodeBatch(1, events);
    count.writeUInt32BE(wireLimits.maxBatchEvents + 1, 9);
    expect(() => decodeFrame(count)).toThrow(/count out of bounds/);
  });

  it('decodes any batch it encodes, and throws only WireError on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.array(fc.uint8Array({ minLength: 2, maxLength: 64 }), { minLength: 1, maxLength: 20 }),
        (first, raw) => {
          const bufs = raw.map((r) => Buffer.from(r));
          const decoded = decodeFrame(encodeBatch(first, bufs));
          expect(decoded).toEqual({ type: 'batch', firstSeq: first, events: bufs });
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (raw) => {
        try {
          decodeFrame(Buffer.from(raw));
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});
