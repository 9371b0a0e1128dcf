import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { nodeSha256 } from './node-sha256.js';
import { readSegmentChunks, readSegmentLines } from './segment-reader.js';
import { verifyJournal, type SegmentSource } from './verify/journal-verifier.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-chunks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(path: string, chunkBytes: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  // Copied: a chunk is overwritten by the next read.
  for await (const chunk of readSegmentChunks(path, { chunkBytes })) chunks.push(Buffer.from(chunk));
  return chunks;
}

test('chunks end at line ends, keep every byte in order, and grow for a line longer than the buffer', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
        { maxLength: 30 },
      ),
      fc.boolean(),
      fc.integer({ min: 1, max: 16 }),
      async (lines, unfinished, chunkBytes) => {
        const text = lines.map((l) => `${l}\n`).join('') + (unfinished ? 'tail without newline' : '');
        const path = join(dir, 'segment');
        await writeFile(path, text);
        const chunks = await collect(path, chunkBytes);
        expect(Buffer.concat(chunks).toString()).toBe(text);
        chunks.slice(0, -1).forEach((c) => expect(c.at(-1)).toBe(0x0a));
        if (!unfinished && chunks.length > 0) expect(chunks.at(-1)!.at(-1)).toBe(0x0a);
        expect(chunks.every((c) => c.length > 0)).toBe(true);
      },
    ),
    { numRuns: 60 },
  );
});

test('the verifier finds the same things whether a segment comes whole, in line-aligned chunks, or cut anywhere', async () => {
  const example = join(import.meta.dirname, 'testing', 'example-journal');
  const name = 'segment-000000000000.jsonl';
  const good = await readFile(join(example, name));
  const latestCheckpoint = await readFile(join(example, 'checkpoint'), 'utf8');
  // One flipped byte in record 2 and a torn final line: a chain finding and a torn tail, both located.
  const bad = Buffer.concat([good, Buffer.from('{"i":5,"pre')]);
  const flip = good.indexOf('"kind"', good.indexOf('\n', good.indexOf('\n') + 1));
  bad[flip + 1] = 'K'.charCodeAt(0);
  const path = join(dir, name);
  await writeFile(path, bad);
  const run = (source: SegmentSource) =>
    verifyJournal({ segments: [source], latestCheckpoint, pinnedKeys: null, remembered: null, sha256: nodeSha256 });
  const whole = await run({ name, read: async () => Buffer.from(bad) });
  expect(whole.findings.map((f) => f.code)).toContain('JOURNAL_TORN_TAIL');
  expect(whole.findings.length).toBeGreaterThan(1);
  const aligned = await run({
    name,
    read: async () => Buffer.from(bad),
    chunks: () => readSegmentChunks(path, { chunkBytes: 64 }),
  });
  expect(aligned).toEqual(whole);
  for (const size of [1, 7, 100, 333]) {
    const cut = await run({
      name,
      read: async () => Buffer.from(bad),
      chunks: async function* () {
        for (let i = 0; i < bad.length; i += size) yield bad.subarray(i, i + size);
      },
    });
    expect(cut).toEqual(whole);
  }
});

test('lines: each complete line with its offset and number, from any line start, never the unfinished tail', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
        { maxLength: 30 },
      ),
      fc.string({ maxLength: 10 }).map((s) => s.replace(/\n/g, ' ')),
      fc.nat(),
      fc.integer({ min: 1, max: 16 }),
      async (lines, tail, skip, chunkBytes) => {
        const path = join(dir, 'segment');
        await writeFile(path, lines.map((l) => `${l}\n`).join('') + tail);
        const first = lines.length === 0 ? 0 : skip % (lines.length + 1);
        const offset = Buffer.byteLength(
          lines
            .slice(0, first)
            .map((l) => `${l}\n`)
            .join(''),
        );
        const got: [string, number, number][] = [];
        for await (const chunkLines of readSegmentLines(path, { from: { offset, line: first }, chunkBytes }))
          for (const l of chunkLines) got.push([l.chunk.toString('utf8', l.start, l.end), l.offset, l.line]);
        let at = offset;
        const want = lines.slice(first).map((l, i): [string, number, number] => {
          const row: [string, number, number] = [l, at, first + i + 1];
          at += Buffer.byteLength(l) + 1;
          return row;
        });
        expect(got).toEqual(want);
      },
    ),
    { numRuns: 60 },
  );
});

test('a line longer than the bound is refused as a malformed record; one of exactly the bound is read', async () => {
  const path = join(dir, 'segment-000000000000.jsonl');
  await writeFile(path, `${'a'.repeat(100)}\n${'b'.repeat(101)}\n`);
  const read = async () => {
    const got: number[] = [];
    for await (const lines of readSegmentLines(path, { chunkBytes: 8, maxLineBytes: 100 }))
      for (const l of lines) got.push(l.end - l.start);
    return got;
  };
  await expect(read()).rejects.toMatchObject({
    code: 'JOURNAL_RECORD_MALFORMED',
    segment: 'segment-000000000000.jsonl',
  });
  await writeFile(path, `${'a'.repeat(100)}\n${'b'.repeat(100)}\n${'c'.repeat(500)}`);
  // An unfinished tail longer than the bound is refused too: it can never become a record.
  await expect(read()).rejects.toMatchObject({ code: 'JOURNAL_RECORD_MALFORMED' });
  await writeFile(path, `${'a'.repeat(100)}\n${'b'.repeat(100)}\n${'c'.repeat(50)}`);
  expect(await read()).toEqual([100, 100]);
});
