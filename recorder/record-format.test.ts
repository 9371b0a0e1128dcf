import fc from 'fast-check';
import { expect, test } from 'vitest';
import { eventRecordPrefix, eventRecordPrefixMaxBytes, writeEventRecordPrefix } from './record-format.js';

test('writeEventRecordPrefix writes exactly the bytes of eventRecordPrefix, and nothing around them', () => {
  const index = fc.oneof(
    fc.nat(1_000),
    fc.nat(),
    fc.maxSafeNat(),
    fc.constantFrom(0, 9, 10, 99, 100, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER),
  );
  fc.assert(
    fc.property(index, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(8), (i, hash, at) => {
      const expected = eventRecordPrefix(i, Buffer.from(hash).toString('base64'));
      const out = Buffer.alloc(at + eventRecordPrefixMaxBytes + 1, 0xff);
      const length = writeEventRecordPrefix(out, at, i, hash);
      expect(out.toString('latin1', at, at + length)).toBe(expected);
      expect(length).toBeLessThanOrEqual(eventRecordPrefixMaxBytes);
      expect(out.subarray(0, at).every((b) => b === 0xff)).toBe(true);
      expect(out.subarray(at + length).every((b) => b === 0xff)).toBe(true);
    }),
    { numRuns: 2000 },
  );
});
