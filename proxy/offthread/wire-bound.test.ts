import { describe, expect, it } from 'vitest';
import { textJsonBound } from '../../recorder/remote/gating-bound.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { wireRefusal } from './wire-bound.js';

const MiB = 1024 * 1024;

describe('wireRefusal (a remote journal recorded on the recording thread)', () => {
  it('bounds JSON by the bytes: 6 for what is escaped, 3 for a non-ASCII byte, 1 for the rest', () => {
    expect(textJsonBound(Buffer.from('SELECT 1'))).toBe(8);
    expect(textJsonBound(Buffer.from('"\\\n'))).toBe(18);
    expect(textJsonBound(Buffer.from('é'))).toBe(6);
    // The bound is never below what JSON.stringify writes.
    const text = 'a"b\\c\u0001é€😀\n';
    expect(textJsonBound(Buffer.from(text))).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(text)));
  });

  it('lets a Query of 15 MiB of plain text go, refuses one whose escapes pass 16 MiB, with 54000', () => {
    expect(wireRefusal(FrontendCode.Query, Buffer.alloc(15 * MiB, 0x61))).toBeNull();
    const refused = wireRefusal(FrontendCode.Query, Buffer.alloc(3 * MiB, 0x22));
    expect(refused).toMatchObject({ sqlstate: '54000', severity: 'FATAL' });
  });

  it('gives a Parse and a Bind half the room each, and leaves other messages alone', () => {
    expect(wireRefusal(FrontendCode.Parse, Buffer.alloc(7 * MiB, 0x61))).toBeNull();
    expect(wireRefusal(FrontendCode.Parse, Buffer.alloc(9 * MiB, 0x61))).not.toBeNull();
    expect(wireRefusal(FrontendCode.Bind, Buffer.alloc(9 * MiB, 0x61))).not.toBeNull();
    expect(wireRefusal(FrontendCode.Execute, Buffer.alloc(20 * MiB, 0x61))).toBeNull();
  });
});
