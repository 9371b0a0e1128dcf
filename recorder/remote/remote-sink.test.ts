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
import type { RemoteSink } from './remote-sink.js';
import { linkedSink } from './testing/linked-sink.js';

const token = 'a-token-of-at-least-16-chars';
const logger = pino({ level: 'silent' });

let dir: string;
let writer: JournalWriter;
let service: RecorderService;
let link: RecorderLink | null;

async function startRecorder(signingKey?: SigningKey): Promise<void> {
  const recorder = await startTestRecorder({ dir, token, logger, ...(signingKey === undefined ? {} : { signingKey }) });
  writer = recorder.writer;
  service = recorder.service;
}

/** A RemoteSink linked to the recorder, once welcomed. */
async function connectSink(durability: Durability): Promise<RemoteSink> {
  const linked = await linkedSink({
    url: `ws://127.0.0.1:${service.address.port}`,
    token,
    instance: 'proxy-t',
    durability,
    batchWindowMs: 40,
    maxUnackedBytes: 64 * 1024 * 1024,
    logger,
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
});
