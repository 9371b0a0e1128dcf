import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OutcomeTap, rowsOfTag } from './outcome-tap.js';

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstring = (s: string) => Buffer.from(`${s}\0`);
function dataRow(values: (string | null)[]): Buffer {
  const parts = [Buffer.alloc(2)];
  parts[0]?.writeInt16BE(values.length);
  for (const v of values) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(v === null ? -1 : Buffer.byteLength(v));
    parts.push(len, v === null ? Buffer.alloc(0) : Buffer.from(v));
  }
  return Buffer.concat(parts);
}

const rows = [dataRow(['1', 'a']), dataRow(['2', null])];
const stream = Buffer.concat([
  message('T', Buffer.from([0, 0])), // RowDescription: ignored
  ...rows.map((r) => message('D', r)),
  message('C', cstring('SELECT 2')),
  message('Z', Buffer.from('I')),
  message('E', Buffer.concat([cstring('SERROR'), cstring('C23505'), cstring('Mduplicate'), Buffer.from([0])])),
  message('Z', Buffer.from('E')),
  message('C', cstring('CREATE TABLE')),
  message('Z', Buffer.from('I')),
]);
const digest = createHash('sha256').update(Buffer.concat(rows)).digest('hex');
const expected = [
  { command: 'SELECT 2', rows: 2, errorCode: null, resultDigest: digest },
  { command: null, rows: null, errorCode: '23505', resultDigest: null },
  { command: 'CREATE TABLE', rows: null, errorCode: null, resultDigest: null },
];

describe('OutcomeTap', () => {
  it('gives one outcome per ReadyForQuery with the recorder digest, wherever the stream is split', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const tap = new OutcomeTap();
      tap.push(stream.subarray(0, cut));
      tap.push(stream.subarray(cut));
      expect([tap.take(), tap.take(), tap.take(), tap.take()], `split at ${cut}`).toEqual([...expected, null]);
    }
  });

  it('takes byte-by-byte input', () => {
    const tap = new OutcomeTap();
    for (const byte of stream) tap.push(Buffer.from([byte]));
    expect([tap.take(), tap.take(), tap.take()]).toEqual(expected);
  });

  it('reads row counts from tags', () => {
    expect(rowsOfTag('INSERT 0 3')).toBe(3);
    expect(rowsOfTag('UPDATE 0')).toBe(0);
    expect(rowsOfTag('BEGIN')).toBeNull();
  });
});
