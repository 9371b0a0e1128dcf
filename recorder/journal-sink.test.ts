import { mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Durability, JournalConfig } from '../config/config.js';
import type { JournalEvent } from './events.js';
import { readJournal } from './journal-reader.js';
import { createJournalSink } from './journal-sink.js';
import { maxQueuedJsonBytes } from './group-commit-writer.js';
import { openJournalWriter } from './journal-writer.js';
import { createSigningKey } from './signing-key.js';
import { statementStarted } from './testing/sample-events.js';
import { openSegmentFile } from './segment-io.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-sink-'));
  await createSigningKey(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

const config = (durability: Durability): JournalConfig => ({
  dir,
  retention: { keepDays: 0, everyMinutes: 60, keepSessionsOpen: true },
  durability,
  batchWindowMs: 20,
  checkpointEveryRecords: 1000,
  checkpointEveryMs: 600_000,
  segmentMaxBytes: 1 << 20,
  keyFile: null,
  witnesses: [],
});

async function recorded(): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  for await (const e of readJournal(dir)) if (e.event !== null) events.push(e.event);
  return events;
}

test('strict: record() returns a promise that settles once the record is on disk', async () => {
  const writer = await openJournalWriter(config('strict'));
  const sink = createJournalSink(writer, 'strict');
  const pending = sink.record(statementStarted('s', 1));
  expect(pending).toBeInstanceOf(Promise);
  expect(writer.durableSize).toBe(2);
  await pending;
  expect(writer.durableSize).toBe(3);
  expect(await recorded()).toEqual([statementStarted('s', 1)]);
  await writer.close();
});

test('batched: record() returns null and the record is durable within the batch window', async () => {
  const writer = await openJournalWriter(config('batched'));
  const sink = createJournalSink(writer, 'batched');
  expect(sink.record(statementStarted('b', 1))).toBeNull();
  expect(sink.record(statementStarted('b', 2))).toBeNull();
  const deadline = Date.now() + 5_000;
  while (writer.durableSize < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(writer.durableSize).toBe(4);
  expect(await recorded()).toEqual([statementStarted('b', 1), statementStarted('b', 2)]);
  await writer.close();
});

test('a rejected record promise that the caller ignores is never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  try {
    const writer = await openJournalWriter(config('strict'));
    await writer.close();
    const strict = createJournalSink(writer, 'strict');
    const batched = createJournalSink(writer, 'batched');
    strict.record(statementStarted('x', 1)); // ignored on purpose
    const refused = strict.record(statementStarted('x', 2));
    await expect(refused).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
    batched.record(statementStarted('x', 3)); // ignored on purpose
    await expect(batched.record(statementStarted('x', 4))).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', listener);
  }
});

/** An openSegment whose writes wait while the gate is held: a disk slower than the events. */
function gatedSegments() {
  let gate: Promise<void> = Promise.resolve();
  let release = () => {};
  let heldWrites = 0;
  const openSegment = async (path: string, flags: 'a' | 'ax'): Promise<FileHandle> => {
    const real = await openSegmentFile(path, flags);
    return new Proxy(real, {
      get(target, prop) {
        if (prop === 'writev') {
          return async (buffers: Buffer[]) => {
            heldWrites++;
            await gate;
            return target.writev(buffers);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return {
    openSegment,
    hold: () => {
      heldWrites = 0;
      gate = new Promise((r) => (release = r));
    },
    release: () => release(),
    writesWaiting: () => heldWrites,
  };
}

test('batched: past maxQueuedJsonBytes of queued JSON record() returns the batch promise, and null again once the disk caught up', async () => {
  const segments = gatedSegments();
  const writer = await openJournalWriter({
    ...config('batched'),
    segmentMaxBytes: 1 << 30,
    openSegment: segments.openSegment,
  });
  const sink = createJournalSink(writer, 'batched');
  segments.hold();
  expect(sink.record(statementStarted('q', 0))).toBeNull();
  const deadline = Date.now() + 5_000;
  while (segments.writesWaiting() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(segments.writesWaiting()).toBe(1);

  // With the first batch stuck on the disk, events queue up until their JSON passes the bound.
  const sql = 'x'.repeat(1 << 20);
  let queued = 0;
  let waitFor: Promise<void> | null = null;
  let n = 0;
  // Bounded, so that a sink that never pushes back fails here instead of filling memory.
  while (waitFor === null && n < 100) {
    const event = { ...statementStarted('q', ++n), sql };
    const bytes = Buffer.byteLength(JSON.stringify(event));
    queued += bytes;
    waitFor = sink.record(event);
    // The latest start is held back (it could merge with its finish, format 4), not queued yet.
    if (waitFor === null) expect(queued - bytes).toBeLessThanOrEqual(maxQueuedJsonBytes);
  }
  if (waitFor === null) throw new Error('record() returned null for 100 MiB of queued events');
  expect(queued - Buffer.byteLength(JSON.stringify({ ...statementStarted('q', n), sql }))).toBeGreaterThan(
    maxQueuedJsonBytes,
  );
  // Every later event waits too, for the same batch, until the disk catches up.
  expect(sink.record(statementStarted('q', ++n))).toBe(waitFor);
  let settled = false;
  void waitFor.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 50));
  expect(settled).toBe(false);

  segments.release();
  await waitFor;
  expect(writer.durableSize).toBe(2 + n + 1);
  expect(sink.record(statementStarted('q', ++n))).toBeNull();
  await writer.close();
  const statements = (await recorded()).map((e) => (e.type === 'statement.started' ? e.statement : -1));
  expect(statements).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
});
