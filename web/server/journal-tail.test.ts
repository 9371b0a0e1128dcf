import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { JournalTail } from './journal-tail.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-tail-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(tail: JournalTail): Promise<[string, string, number, number, number][]> {
  const out: [string, string, number, number, number][] = [];
  for await (const l of tail.read()) out.push([l.bytes.toString(), l.segment, l.line, l.offset, l.length]);
  return out;
}

test('each complete line once, a line being written only once its newline is there, then the next segment', async () => {
  const first = 'segment-000000000000.jsonl';
  const second = 'segment-000000000003.jsonl';
  await writeFile(join(dir, first), 'one\ntwo\nthr');
  const tail = new JournalTail(dir);
  expect(await readAll(tail)).toEqual([
    ['one', first, 1, 0, 4],
    ['two', first, 2, 4, 4],
  ]);
  expect(await readAll(tail)).toEqual([]);
  await appendFile(join(dir, first), 'ee\n');
  await writeFile(join(dir, second), 'four\n');
  expect(await readAll(tail)).toEqual([
    ['three', first, 3, 8, 6],
    ['four', second, 1, 0, 5],
  ]);
  await appendFile(join(dir, second), 'five\n');
  expect(await readAll(tail)).toEqual([['five', second, 2, 5, 5]]);
});
