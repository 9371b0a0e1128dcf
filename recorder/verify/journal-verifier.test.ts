// The verifier's per-record fast path (event envelopes read as bytes, Node's UTF-8 check and
// hashing into memory) must report exactly what its text path reports, for any damage. An isUtf8
// that always says no sends every record down the text path (which decodes with a fatal TextDecoder).
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { nodeSha256, nodeSha256Into } from '../node-sha256.js';
import { verifyJournal } from './journal-verifier.js';

const dir = join(import.meta.dirname, '..', 'testing', 'example-journal');
const name = 'segment-000000000000.jsonl';

test('one changed byte anywhere in an event record: the fast path reports what the text path reports', async () => {
  const segment = await readFile(join(dir, name));
  const latestCheckpoint = await readFile(join(dir, 'checkpoint'), 'utf8');
  // Records 2 and 3 are events; the bytes up to the end of record 4 include a checkpoint after them.
  const from = segment.indexOf('\n', segment.indexOf('\n') + 1) + 1;
  const to = segment.indexOf('\n', segment.indexOf('"kind":"checkpoint"', from)) + 1;
  const verify = (bytes: Buffer, fast: boolean) =>
    verifyJournal({
      segments: [{ name, read: async () => Buffer.from(bytes) }],
      latestCheckpoint,
      pinnedKeys: null,
      remembered: null,
      ...(fast ? { sha256: nodeSha256, sha256Into: nodeSha256Into, isUtf8 } : { isUtf8: () => false }),
    });
  expect(await verify(segment, true)).toEqual(await verify(segment, false));
  // Replacement bytes: ASCII, JSON and base64 characters, a newline, and bytes that break UTF-8.
  const replacement = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(...Buffer.from('{}",:=+/0A\n'), 0xc3, 0xff),
  );
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: from, max: to - 1 }), replacement, async (at, byte) => {
      const damaged = Buffer.from(segment);
      damaged[at] = byte;
      const fast = await verify(damaged, true);
      expect(fast).toEqual(await verify(damaged, false));
      if (byte !== segment[at]) expect(fast.intact).toBe(false);
    }),
    { numRuns: 300 },
  );
});

test("a checkpoint's note spelled other than JSON.stringify spells it is a malformed record", async () => {
  const segment = (await readFile(join(dir, name), 'utf8')).split('\n');
  const at = segment.findIndex((l) => l.includes('"kind":"checkpoint"'));
  expect(segment[at]).toContain('\u2014');
  // The same note, with its em dashes escaped: the same JSON value, other bytes.
  segment[at] = segment[at]!.replaceAll('\u2014', '\\u2014');
  const report = await verifyJournal({
    segments: [{ name, read: async () => Buffer.from(segment.join('\n')) }],
    latestCheckpoint: null,
    pinnedKeys: null,
    remembered: null,
  });
  expect(report.findings).toContainEqual(
    expect.objectContaining({
      code: 'JOURNAL_RECORD_MALFORMED',
      message: 'checkpoint record is not exactly its envelope and note',
      index: at,
    }),
  );
});
