import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Durability } from '../../config/config.js';
import type { StatementFinished, StatementStarted, TrailEvent } from '../events.js';
import { readJournal } from '../journal-reader.js';
import type { JournalWriter } from '../journal-writer.js';
import type { RecorderService } from '../service/recorder-service.js';
import { startTestRecorder } from '../service/testing/test-recorder.js';
import { ensureSigningKey, parseSigningKey, type SigningKey } from '../signing-key.js';
import { statementFinished, statementStarted } from '../testing/sample-events.js';
import { verifyJournalDir } from '../verify-journal-dir.js';
import type { RecorderLink } from './recorder-link.js';
import { EventSpool } from './event-spool.js';
import type { RemoteSink, RemoteSinkOptions } from './remote-sink.js';
import { linkedSink } from './testing/linked-sink.js';

const token = 'a-token-of-at-least-16-chars';
const logger = pino({ level: 'silent' });

let dir: string;
let writer: JournalWriter;
let service: RecorderService;
let link: RecorderLink | null;

async function startRecorder(signingKey?: SigningKey, port?: number): Promise<void> {
  const recorder = await startTestRecorder({
    dir,
    token,
    logger,
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(port === undefined ? {} : { port }),
  });
  writer = recorder.writer;
  service = recorder.service;
}

/** A RemoteSink linked to the recorder, once welcomed. */
async function connectSink(
  durability: Durability,
  spool?: RemoteSinkOptions['spool'],
  batchWindowMs = 40,
): Promise<RemoteSink> {
  const linked = await linkedSink({
    url: `ws://127.0.0.1:${service.address.port}`,
    token,
    instance: 'proxy-t',
    durability,
    batchWindowMs,
    maxUnackedBytes: 64 * 1024 * 1024,
    logger,
    ...(spool === undefined ? {} : { spool }),
  });
  link = linked.link;
  return linked.sink;
}

const started = (statement: number): StatementStarted => statementStarted('s1', statement);
const finished = (statement: number): StatementFinished => statementFinished('s1', statement);

/** Records the events, waits until the recorder holds them all, closes everything; the journal's events. */
async function recordAll(sink: RemoteSink, events: readonly (TrailEvent | 'pause')[]): Promise<object[]> {
  for (const event of events) {
    if (event === 'pause') await sleep(150);
    else sink.record(event);
  }
  await sink.close(5_000);
  link?.close();
  await service.close();
  await writer.close();
  const out: object[] = [];
  for await (const e of readJournal(dir)) if (e.event !== null) out.push(e.event);
  return out;
}

const summary = (events: readonly object[]) =>
  events.map((e) => {
    const { type, statement, relay } = e as { type: string; statement?: number; relay?: { seq: number } };
    return { type, statement, seq: relay?.seq };
  });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-remote-sink-'));
  link = null;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}-spool`, { recursive: true, force: true });
});

describe('RemoteSink', () => {
  it('batched: sends a statement that finishes before the flush as one event, a start still open at the flush as it is', async () => {
    await ensureSigningKey(dir, join(dir, 'signing-key'));
    await startRecorder();
    const sink = await connectSink('batched');
    const events = await recordAll(sink, [started(1), finished(1), started(2), 'pause', finished(2)]);
    expect(summary(events)).toEqual([
      { type: 'statement', statement: 1, seq: 1 },
      { type: 'statement.started', statement: 2, seq: 2 },
      { type: 'statement.finished', statement: 2, seq: 3 },
    ]);
    expect(events[0]).toMatchObject({
      sql: started(1).sql,
      params: started(1).params,
      finishedTs: finished(1).ts,
      command: finished(1).command,
      rows: 1,
    });
    const report = await verifyJournalDir(dir, { pinnedKeys: null, stateFile: null });
    expect(report.intact).toBe(true);
  });

  it('strict: a statement is always its two events', async () => {
    await ensureSigningKey(dir, join(dir, 'signing-key'));
    await startRecorder();
    const sink = await connectSink('strict');
    const events = await recordAll(sink, [started(1), finished(1)]);
    expect(summary(events)).toEqual([
      { type: 'statement.started', statement: 1, seq: 1 },
      { type: 'statement.finished', statement: 1, seq: 2 },
    ]);
  });

  it('a recorder whose journal predates format 4 writes a statement event as its two records, and the journal verifies', async () => {
    await cp(join(import.meta.dirname, '..', 'testing', 'example-journal'), dir, { recursive: true });
    // The example's test key (docs/journal-format.md §8: seed 32 × 0x07).
    const seed = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]).toString('base64');
    const key = parseSigningKey(`PRIVATE+KEY+pgtrail/5eed5eed5eed5eed+12273791+${seed}`);
    await startRecorder(key);
    expect(writer.format).toBeLessThan(4);
    const sink = await connectSink('batched');
    const events = await recordAll(sink, [started(1), finished(1)]);
    const relayed = summary(events).filter((e) => e.seq !== undefined);
    expect(relayed).toEqual([
      { type: 'statement.started', statement: 1, seq: 1 },
      { type: 'statement.finished', statement: 1, seq: 1 },
    ]);
    expect(events.filter((e) => (e as { relay?: unknown }).relay !== undefined)[0]).toMatchObject(started(1));
    const report = await verifyJournalDir(dir, { pinnedKeys: [key.verifierKey], stateFile: null });
    expect(report.findings).toEqual([]);
  });

  it('batched with a spool: on a healthy link acknowledged events never reach the spool, and a clean close records where numbering stands', async () => {
    await ensureSigningKey(dir, join(dir, 'signing-key'));
    await startRecorder();
    // A long window: the spool check comes 500 ms after each send, far after the Ack even on a busy machine.
    const sink = await connectSink('batched', await EventSpool.open(`${dir}-spool`), 2_000);
    const events: (TrailEvent | 'pause')[] = [];
    for (let n = 1; n <= 30; n++) events.push(started(n), finished(n), ...(n % 10 === 0 ? ['pause' as const] : []));
    const relayed = summary(await recordAll(sink, events)).filter((e) => e.seq !== undefined);
    expect(relayed.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const reopened = await EventSpool.open(`${dir}-spool`);
    expect(reopened.events).toEqual([]);
    expect(reopened.nextSeq).toBe(31);
    await reopened.spool.close(reopened.nextSeq);
  });

  it('batched with a spool: what the recorder has not acknowledged is spooled; after a crash the proxy numbers new events after the recorder and the spool', async () => {
    await ensureSigningKey(dir, join(dir, 'signing-key'));
    await startRecorder();
    const port = service.address.port;
    const spoolDir = `${dir}-spool`;
    const opened = await EventSpool.open(spoolDir);
    // A long window: statement 5's Ack comes long before its spool check (500 ms after its send).
    const sink = await connectSink('batched', opened, 2_000);
    const settled = async () => {
      while (sink.unacknowledged > 0) await sleep(5);
    };
    sink.record(started(1));
    sink.record(finished(1));
    await settled();
    // The recorder goes away: the next statements are spooled a quarter window after their flush.
    await service.close();
    await writer.close();
    for (let n = 2; n <= 4; n++) {
      sink.record(started(n));
      sink.record(finished(n));
    }
    while (opened.spool.bytes <= 8) await sleep(20); // more than the first file's magic: 2-4 are on disk
    // It comes back where it was: the spool is resent, and statement 5 is acknowledged without being spooled.
    await startRecorder(undefined, port);
    await settled();
    sink.record(started(5));
    sink.record(finished(5));
    await settled();
    // The proxy dies: nothing more of this sink runs, its spool is left open, holding 2-4 and not 5.
    link?.close();
    const crashed = await EventSpool.open(spoolDir);
    expect(crashed.events.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(crashed.nextSeq).toBeNull();

    // Numbered from the spool's files, statement 6 would reuse number 5 and be dropped as a duplicate.
    const again = await connectSink('batched', crashed);
    const journal = await recordAll(again, [started(6), finished(6)]);
    expect(summary(journal).filter((e) => e.seq !== undefined)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ({ type: 'statement', statement: n, seq: n })),
    );
  });
});
