import { type FileHandle, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { JournalConfig } from '../config/config.js';
import { readJournal } from './journal-reader.js';
import { eventsOfRecord } from './statement-record.js';
import { JournalError } from './journal-error.js';
import { openJournalWriter } from './journal-writer.js';
import { openSegmentFile } from './segment-io.js';
import { createSigningKey, ensureSigningKey, loadSigningKey } from './signing-key.js';
import { sampleSession } from './testing/sample-events.js';
import { verifyJournalDir } from './verify-journal-dir.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

function config(overrides: Partial<JournalConfig> = {}): JournalConfig {
  return {
    dir,
    retention: { keepDays: 0, everyMinutes: 60, keepSessionsOpen: true },
    durability: 'strict',
    batchWindowMs: 20,
    checkpointEveryRecords: 100,
    checkpointEveryMs: 60_000,
    segmentMaxBytes: 1 << 20,
    keyFile: null,
    witnesses: [],
    ...overrides,
  };
}

async function readAll(from = 0) {
  const entries = [];
  for await (const e of readJournal(dir, { fromIndex: from })) entries.push(e);
  return entries;
}

describe('journal writer', () => {
  test('appends events that read back in order and verify, with the key pinned', async () => {
    const vkey = await createSigningKey(dir);
    const writer = await openJournalWriter(config());
    const events = sampleSession('s1', 250);
    await Promise.all(events.map((e) => writer.append(e)));
    await writer.close();

    const entries = await readAll();
    expect(entries.filter((e) => e.event !== null).map((e) => e.event)).toEqual(events);
    expect(entries.map((e) => e.index)).toEqual(entries.map((_, i) => i));
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.intact).toBe(true);
    expect(report.records).toBe(entries.length);
    // journal.started, the open checkpoint, two by count (every 100 records), the close checkpoint.
    expect(report.checkpoints).toBe(4);
    expect(report.unsealedRecords).toBe(0);
    expect((await stat(`${dir}.signing-key`)).mode & 0o777).toBe(0o600);
  });

  test('keeps bytes that are not valid UTF-8 without loss', async () => {
    await createSigningKey(dir);
    const writer = await openJournalWriter(config());
    const events = sampleSession('s2', 6);
    await Promise.all(events.map((e) => writer.append(e)));
    await writer.close();
    const sql = (await readAll()).flatMap((e) => (e.event?.type === 'statement.started' ? [e.event.sql] : []));
    expect(sql[1]).toEqual({ base64: Buffer.from([0x53, 0x45, 0x4c, 0xff, 0xfe]).toString('base64') });
  });

  test('rotates segments and checkpoints at each rotation; the reader starts at any index', async () => {
    await createSigningKey(dir);
    const writer = await openJournalWriter(config({ segmentMaxBytes: 8192, checkpointEveryRecords: 1_000_000 }));
    for (const e of sampleSession('s3', 400)) writer.appendWithoutWaiting(e);
    await writer.close();
    const segments = (await readdir(dir)).filter((n) => n.startsWith('segment-'));
    expect(segments.length).toBeGreaterThan(5);
    for (const s of segments) expect((await stat(join(dir, s))).size).toBeLessThanOrEqual(8192);
    const all = await readAll();
    const tail = await readAll(123);
    expect(tail[0]?.index).toBe(123);
    expect(tail).toEqual(all.slice(123));
    const report = await verifyJournalDir(dir, { pinnedKeys: null, stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.segments).toBe(segments.length);
  });

  test('with blocking writes (the recorder service), strict appends are durable across rotations and verify', async () => {
    await createSigningKey(dir);
    const writer = await openJournalWriter({
      ...config({ segmentMaxBytes: 8192, checkpointEveryRecords: 1_000_000 }),
      blockingWrites: true,
    });
    const events = sampleSession('s3b', 400);
    await Promise.all(events.map((e) => writer.append(e)));
    await writer.close();
    expect((await readdir(dir)).filter((n) => n.startsWith('segment-')).length).toBeGreaterThan(5);
    expect((await readAll()).filter((e) => e.event !== null).map((e) => e.event)).toEqual(events);
    const report = await verifyJournalDir(dir, { pinnedKeys: null, stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.unsealedRecords).toBe(0);
  });

  test('one writer per journal: a second open is refused while the first holds the lock', async () => {
    await createSigningKey(dir);
    const writer = await openJournalWriter(config());
    await expect(openJournalWriter(config())).rejects.toMatchObject({ code: 'JOURNAL_LOCKED' });
    await writer.close();
    const again = await openJournalWriter(config());
    await again.close();
  });

  test('reopening continues the chain and the tree', async () => {
    const vkey = await createSigningKey(dir);
    for (let run = 0; run < 3; run++) {
      const writer = await openJournalWriter(config({ durability: 'batched' }));
      for (const e of sampleSession(`r${run}`, 30)) writer.appendWithoutWaiting(e);
      await writer.close();
    }
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    // Batched, format 4: each of a session's 14 statements is one record; their events read back all 90.
    const entries = (await readAll()).filter((e) => e.event !== null);
    expect(entries).toHaveLength(90 - 3 * 14);
    expect(entries.flatMap((e) => eventsOfRecord(e.event!))).toHaveLength(90);
  });

  test('ensureSigningKey creates a key once and then returns the same vkey', async () => {
    const first = await ensureSigningKey(dir);
    const second = await ensureSigningKey(dir);
    expect(second).toBe(first);
    expect((await loadSigningKey(`${dir}.signing-key`)).verifierKey).toBe(first);
    await expect(createSigningKey(dir)).rejects.toMatchObject({ code: 'JOURNAL_KEY_EXISTS' });
  });

  test('a key rotation is a signed record; the journal verifies with the first key pinned', async () => {
    const first = await createSigningKey(dir);
    let writer = await openJournalWriter(config());
    await writer.append(sampleSession('k', 3)[0]!);
    await writer.close();
    const second = await createSigningKey(dir, { rotate: true });
    expect(second.split('+')[0]).toBe(first.split('+')[0]);
    writer = await openJournalWriter(config());
    expect(writer.verifierKey).toBe(second);
    await writer.append(sampleSession('k', 3)[1]!);
    await writer.close();
    const report = await verifyJournalDir(dir, { pinnedKeys: [first], stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.keyRotations).toBe(1);
    expect(report.keys).toEqual([first, second]);
    const lines = (await readFile(join(dir, 'segment-000000000000.jsonl'), 'utf8')).split('\n');
    expect(lines.some((l) => l.includes('"kind":"key.rotated"'))).toBe(true);
  });

  test('appending to a closed writer is refused', async () => {
    await createSigningKey(dir);
    const writer = await openJournalWriter(config());
    await writer.close();
    await expect(writer.append(sampleSession('c', 1)[0]!)).rejects.toBeInstanceOf(JournalError);
  });

  test('group commit: one durable write covers every append waiting for it', async () => {
    await createSigningKey(dir);
    const writer = await openJournalWriter({ ...config(), checkpointEveryRecords: 1_000_000 });
    const before = writer.durableWrites.count;
    const events = sampleSession('g', 500);
    await Promise.all(events.map((e) => writer.append(e)));
    const used = writer.durableWrites.count - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(5);
    await writer.close();
  });

  test('batched: a steady trickle of appends is synced twice per window, not once per arrival, and becomes durable unasked', async () => {
    await createSigningKey(dir);
    const windowMs = 200;
    const writer = await openJournalWriter(
      config({ durability: 'batched', batchWindowMs: windowMs, checkpointEveryRecords: 1_000_000 }),
    );
    const before = writer.durableWrites.count;
    const started = Date.now();
    let appended = 0;
    for (const e of sampleSession('t', 150)) {
      expect(writer.appendWithoutWaiting(e)).toBeNull();
      appended++;
      await new Promise((r) => setTimeout(r, 2));
    }
    const elapsed = Date.now() - started;
    // Without the half-window spacing every batch is followed at once by the next (one durable write
    // per event or two at this pace); with it, at most one per half window, plus the one in flight.
    expect(writer.durableWrites.count - before).toBeLessThanOrEqual(Math.ceil(elapsed / (windowMs / 2)) + 2);
    const target = writer.size;
    while (writer.durableSize < target) await new Promise((r) => setTimeout(r, 10));
    expect(writer.durableSize).toBe(target);
    expect(appended).toBe(150);
    await writer.close();
  });

  test('batched: a flush, or a queue of 8192 events, does not wait for the half-window timer already set', async () => {
    await createSigningKey(dir);
    // A window of 60 s: the timer set by the first append would fire after 30 s, long after this test's timeout.
    const writer = await openJournalWriter(
      config({ durability: 'batched', batchWindowMs: 60_000, checkpointEveryRecords: 1_000_000 }),
    );
    writer.appendWithoutWaiting(sampleSession('f', 2)[0]!);
    await writer.flush();
    expect(writer.durableSize).toBe(writer.size);
    // 18,000 events: batched, format 4, a statement's two events are one queued record.
    for (const e of sampleSession('q', 18_000)) writer.appendWithoutWaiting(e);
    while (writer.durableSize < writer.size - 1000) await new Promise((r) => setTimeout(r, 5));
    expect(writer.durableSize).toBeGreaterThanOrEqual(8192);
    await writer.close();
  });

  test('an idle writer still writes checkpoints (heartbeat), each one verifiable', async () => {
    const vkey = await createSigningKey(dir);
    const writer = await openJournalWriter(config({ checkpointEveryMs: 20 }));
    await writer.append(sampleSession('h', 1)[0]!);
    const sizeAfterAppend = writer.durableSize;
    const deadline = Date.now() + 10_000;
    while (writer.durableSize < sizeAfterAppend + 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await writer.close();
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.checkpoints).toBeGreaterThanOrEqual(5);
    expect(report.records - report.checkpoints).toBe(2); // journal.started and the one event
  });
  test('batched: a large batch of multi-byte events, across segment rotations, reads back byte for byte and verifies', async () => {
    const vkey = await createSigningKey(dir);
    const writer = await openJournalWriter(
      config({ durability: 'batched', batchWindowMs: 50, segmentMaxBytes: 64 * 1024, checkpointEveryRecords: 500 }),
    );
    // About 3 MB queued before the first write: the writer's queue buffer has to grow, and segments rotate mid-batch.
    const events = sampleSession('s-ü', 3000).map((e, n) =>
      e.type === 'statement.started' ? { ...e, sql: `SELECT '${'é€😀'.repeat(n % 200)}'` } : e,
    );
    for (const e of events) expect(writer.appendWithoutWaiting(e)).toBeNull();
    await writer.close();
    const entries = await readAll();
    // Batched, format 4: statements are one record each; read as events they are what was appended.
    expect(entries.flatMap((e) => (e.event === null ? [] : eventsOfRecord(e.event)))).toEqual(events);
    expect((await readdir(dir)).filter((n) => n.startsWith('segment-')).length).toBeGreaterThan(10);
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.records).toBe(entries.length);
  });

  test('batched: a large batch is encoded in slices between which the event loop turns; appends made meanwhile follow it', async () => {
    const vkey = await createSigningKey(dir);
    // Turns of the event loop counted below, as they stood at each segment write.
    let turns = 0;
    const turnsAtWrite: number[] = [];
    const countingWrites = async (path: string, flags: 'a' | 'ax'): Promise<FileHandle> => {
      const real = await openSegmentFile(path, flags);
      return new Proxy(real, {
        get(target, prop) {
          if (prop === 'writev') {
            return (buffers: Buffer[]) => {
              turnsAtWrite.push(turns);
              return target.writev(buffers);
            };
          }
          const value: unknown = Reflect.get(target, prop);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    };
    const writer = await openJournalWriter({
      ...config({ durability: 'batched', batchWindowMs: 60_000, checkpointEveryRecords: 1_000_000 }),
      openSegment: countingWrites,
    });
    await writer.flush();
    // About 2,000 records in one batch, then one append per turn of the event loop while it is encoded.
    const first = sampleSession('big', 4000);
    const later = sampleSession('later', 40);
    for (const e of first) writer.appendWithoutWaiting(e);
    const sizeQueued = writer.size;
    const flushed = writer.flush();
    turnsAtWrite.length = 0;
    const sizes: number[] = [];
    for (const e of later) {
      await new Promise((r) => setImmediate(r));
      turns++;
      sizes.push(writer.size);
      writer.appendWithoutWaiting(e);
    }
    await flushed;
    await writer.close();
    // Encoded in one piece, the batch would be written after at most one turn.
    expect(turnsAtWrite[0]).toBeGreaterThan(30);
    // While the batch is encoded the writer's size counts the records not encoded yet: it never goes down.
    expect(sizes[0]).toBeGreaterThanOrEqual(sizeQueued);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    const entries = await readAll();
    expect(entries.flatMap((e) => (e.event === null ? [] : eventsOfRecord(e.event)))).toEqual([...first, ...later]);
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
  });
});
