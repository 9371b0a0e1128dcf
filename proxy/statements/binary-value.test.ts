import { describe, expect, it } from 'vitest';
import { binaryValueText, TypeOid } from './binary-value.js';

function buf(write: (b: Buffer) => void, size: number): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

/** numeric_send layout from digits in base 10000. */
function numeric(weight: number, sign: number, dscale: number, digits: number[]): Buffer {
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => b.writeInt16BE(d, 8 + 2 * i));
  return b;
}

const usecs = (s: string): Buffer => buf((b) => b.writeBigInt64BE(BigInt(s)), 8);

describe('binaryValueText', () => {
  it('writes integers, floats and bool as PostgreSQL prints them', () => {
    expect(
      binaryValueText(
        TypeOid.int2,
        buf((b) => b.writeInt16BE(-7), 2),
      ),
    ).toBe('-7');
    expect(
      binaryValueText(
        TypeOid.int4,
        buf((b) => b.writeInt32BE(2147483647), 4),
      ),
    ).toBe('2147483647');
    expect(binaryValueText(TypeOid.int8, usecs('-9223372036854775808'))).toBe('-9223372036854775808');
    expect(
      binaryValueText(
        TypeOid.float4,
        buf((b) => b.writeFloatBE(0.1), 4),
      ),
    ).toBe('0.1');
    expect(
      binaryValueText(
        TypeOid.float8,
        buf((b) => b.writeDoubleBE(-1.5e300), 8),
      ),
    ).toBe('-1.5e+300');
    expect(
      binaryValueText(
        TypeOid.float8,
        buf((b) => b.writeDoubleBE(1e15), 8),
      ),
    ).toBe('1e+15');
    expect(
      binaryValueText(
        TypeOid.float8,
        buf((b) => b.writeDoubleBE(123456789012345), 8),
      ),
    ).toBe('123456789012345');
    expect(
      binaryValueText(
        TypeOid.float8,
        buf((b) => b.writeDoubleBE(0.00001), 8),
      ),
    ).toBe('1e-05');
    expect(
      binaryValueText(
        TypeOid.float4,
        buf((b) => b.writeFloatBE(1e6), 4),
      ),
    ).toBe('1e+06');
    expect(
      binaryValueText(
        TypeOid.float8,
        buf((b) => b.writeDoubleBE(NaN), 8),
      ),
    ).toBe('NaN');
    expect(binaryValueText(TypeOid.bool, Buffer.from([1]))).toBe('t');
    expect(binaryValueText(TypeOid.bool, Buffer.from([0]))).toBe('f');
  });

  it('writes numeric from its base-10000 digits', () => {
    expect(binaryValueText(TypeOid.numeric, numeric(1, 0, 3, [12, 3456, 7800]))).toBe('123456.780');
    expect(binaryValueText(TypeOid.numeric, numeric(-1, 0x4000, 5, [1200]))).toBe('-0.12000');
    expect(binaryValueText(TypeOid.numeric, numeric(0, 0, 0, []))).toBe('0');
    expect(binaryValueText(TypeOid.numeric, numeric(2, 0, 0, [1]))).toBe('100000000');
    expect(binaryValueText(TypeOid.numeric, numeric(0, 0xc000, 0, []))).toBe('NaN');
  });

  it('writes text types, uuid and bytea', () => {
    expect(binaryValueText(TypeOid.text, Buffer.from('héllo'))).toBe('héllo');
    expect(binaryValueText(TypeOid.varchar, Buffer.from([0xff, 0x00]))).toBe('\\xff00');
    expect(binaryValueText(TypeOid.uuid, Buffer.from('0123456789abcdef0123456789abcdef', 'hex'))).toBe(
      '01234567-89ab-cdef-0123-456789abcdef',
    );
    expect(binaryValueText(TypeOid.bytea, Buffer.from([0xde, 0xad]))).toBe('\\xdead');
    expect(binaryValueText(TypeOid.jsonb, Buffer.concat([Buffer.from([1]), Buffer.from('{"a":1}')]))).toBe('{"a":1}');
  });

  it('writes dates and times from the 2000-01-01 epoch', () => {
    expect(
      binaryValueText(
        TypeOid.date,
        buf((b) => b.writeInt32BE(0), 4),
      ),
    ).toBe('2000-01-01');
    expect(
      binaryValueText(
        TypeOid.date,
        buf((b) => b.writeInt32BE(-730_120), 4),
      ),
    ).toBe('0001-12-31 BC');
    expect(
      binaryValueText(
        TypeOid.date,
        buf((b) => b.writeInt32BE(9_190), 4),
      ),
    ).toBe('2025-02-28');
    expect(
      binaryValueText(
        TypeOid.date,
        buf((b) => b.writeInt32BE(0x7fffffff), 4),
      ),
    ).toBe('infinity');
    expect(binaryValueText(TypeOid.time, usecs(String(13 * 3600e6 + 5 * 60e6 + 7e6 + 250_000)))).toBe('13:05:07.25');
    expect(binaryValueText(TypeOid.timestamp, usecs(String(86400e6 + 1)))).toBe('2000-01-02 00:00:00.000001');
    expect(binaryValueText(TypeOid.timestamptz, usecs('-1'))).toBe('1999-12-31 23:59:59.999999+00');
    expect(binaryValueText(TypeOid.timestamp, usecs('9223372036854775807'))).toBe('infinity');
  });

  it('writes interval in the postgres style', () => {
    const interval = (us: bigint, days: number, months: number): Buffer => {
      const b = Buffer.alloc(16);
      b.writeBigInt64BE(us, 0);
      b.writeInt32BE(days, 8);
      b.writeInt32BE(months, 12);
      return b;
    };
    expect(binaryValueText(TypeOid.interval, interval(4_000_000n * 3600n + 5_000_000n * 60n + 6_789_000n, 3, 14))).toBe(
      '1 year 2 mons 3 days 04:05:06.789',
    );
    expect(binaryValueText(TypeOid.interval, interval(0n, 0, 0))).toBe('00:00:00');
    expect(binaryValueText(TypeOid.interval, interval(3_600_000_000n, -1, 0))).toBe('-1 days +01:00:00');
    expect(binaryValueText(TypeOid.interval, interval(-3_600_000_000n, 0, -1))).toBe('-1 mons -01:00:00');
  });

  it('writes unknown types and values of the wrong length as hex', () => {
    expect(binaryValueText(600, Buffer.from([1, 2]))).toBe('\\x0102');
    expect(binaryValueText(TypeOid.int4, Buffer.from([1, 2]))).toBe('\\x0102');
  });
});
