import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { JournalEntry } from './journal-entry.js';
import { readJournal } from './journal-reader.js';
import { openJournalWriter } from './journal-writer.js';
import { createSigningKey } from './signing-key.js';
import { statementStarted } from './testing/sample-events.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-reader-'));
  await createSigningKey(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

test('follow: a reader tails a live journal across segment rotations until aborted', async () => {
  const writer = await openJournalWriter({
    dir,
    durability: 'strict',
    batchWindowMs: 10,
    checkpointEveryRecords: 50,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 4096,
  });
  const controller = new AbortController();
  const seen: JournalEntry[] = [];
  const reading = (async () => {
    for await (const e of readJournal(dir, { follow: true, signal: controller.signal, pollMs: 10 })) seen.push(e);
  })();
  for (let n = 1; n <= 120; n++) {
    await writer.append(statementStarted('live', n));
    if (n % 40 === 0) await new Promise((r) => setTimeout(r, 30));
  }
  const deadline = Date.now() + 10_000;
  const statements = () => seen.flatMap((e) => (e.event?.type === 'statement.started' ? [e.event.statement] : []));
  while (statements().length < 120 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  await reading;
  await writer.close();
  expect(statements()).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  expect(seen.map((e) => e.index)).toEqual(seen.map((_, i) => i));
  expect(new Set(seen.map((e) => e.segment)).size).toBeGreaterThan(3);
});

test('fromSegment starts at a named segment; an unknown one is an error', async () => {
  const writer = await openJournalWriter({
    dir,
    durability: 'batched',
    batchWindowMs: 10,
    checkpointEveryRecords: 1000,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 4096,
  });
  for (let n = 1; n <= 60; n++) writer.appendWithoutWaiting(statementStarted('seg', n));
  await writer.close();
  const all: JournalEntry[] = [];
  for await (const e of readJournal(dir)) all.push(e);
  const second = [...new Set(all.map((e) => e.segment))][1]!;
  const from: JournalEntry[] = [];
  for await (const e of readJournal(dir, { fromSegment: second })) from.push(e);
  expect(from).toEqual(all.filter((e) => e.segment >= second));
  await expect(async () => {
    for await (const e of readJournal(dir, { fromSegment: 'segment-999999999999.jsonl' })) void e;
  }).rejects.toMatchObject({ code: 'JOURNAL_READ_FAILED' });
});

test('records longer than a read chunk (1 MiB) read back whole, beside short ones, with their line numbers', async () => {
  const writer = await openJournalWriter({
    dir,
    durability: 'batched',
    batchWindowMs: 10,
    checkpointEveryRecords: 1000,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 1 << 30,
  });
  // Sizes around and across the 1 MiB chunk: a line that starts mid-chunk and spans several more.
  const sizes = [10, (1 << 20) - 300, 3 * (1 << 20) + 17, 5, 2 * (1 << 20), 1];
  sizes.forEach((size, i) =>
    writer.appendWithoutWaiting({ ...statementStarted('long', i + 1), sql: `${i}`.padEnd(size, 'é') }),
  );
  await writer.close();
  const events: JournalEntry[] = [];
  for await (const e of readJournal(dir)) if (e.event?.type === 'statement.started') events.push(e);
  expect(
    events.map((e) =>
      e.event?.type === 'statement.started' && typeof e.event.sql === 'string' ? e.event.sql.length : -1,
    ),
  ).toEqual(sizes.map((s) => Math.max(s, 1)));
  expect(events.map((e) => e.event?.type === 'statement.started' && e.event.sql)).toEqual(
    sizes.map((size, i) => `${i}`.padEnd(size, 'é')),
  );
  // Lines are numbered from 1 in the segment: journal.started and the opening checkpoint come first.
  expect(events.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8]);
});
