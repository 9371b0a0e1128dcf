/**
 * A batched proxy spools only what its recorder has not acknowledged a quarter window after sending
 * it (recorder/remote/remote-sink.ts). When the thread was busy past that check's time, an Ack that
 * came in meanwhile is read before the check spools: the check must not write to disk what the
 * recorder already holds. The recorder is another process, as in production, so it acknowledges
 * while this one does not run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSpool } from '../recorder/remote/event-spool.js';
import { linkedSink } from '../recorder/remote/testing/linked-sink.js';
import { statementFinished, statementStarted } from '../recorder/testing/sample-events.js';
import { spawnPgtrail, type PgtrailChild } from './support/pgtrail-child.js';

const token = 'spool-check-token-0123456789';

describe('the batched spool check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-spool-check-'));
  let recorder: PgtrailChild;
  let url: string;

  beforeAll(async () => {
    writeFileSync(join(dir, 'tokens'), `${token}\n`);
    recorder = spawnPgtrail([
      'recorder',
      '--listen',
      '127.0.0.1:0',
      '--journal',
      join(dir, 'journal'),
      '--token-file',
      join(dir, 'tokens'),
    ]);
    url = (await recorder.waitFor(/recorder listening on (ws:\/\/127\.0\.0\.1:\d+) /))[1] as string;
  });
  afterAll(async () => {
    await recorder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not spool events whose Ack arrived while the thread was busy past the check', async () => {
    const spoolDir = join(dir, 'spool');
    const { sink, link } = await linkedSink({
      url,
      token,
      instance: 'proxy-busy',
      durability: 'batched',
      batchWindowMs: 40,
      maxUnackedBytes: 64 * 1024 * 1024,
      logger: pino({ level: 'silent' }),
      spool: await EventSpool.open(spoolDir),
    });
    // After each Batch goes out, this thread stops for 300 ms before it reads its sockets again,
    // as a busy or descheduled recording thread does: the check (10 ms later) is due by then, and
    // the recorder's Ack is waiting to be read.
    const blocked = new Int32Array(new SharedArrayBuffer(4));
    const send = link.send.bind(link);
    let batches = 0;
    link.send = (frame) => {
      batches++;
      setImmediate(() => Atomics.wait(blocked, 0, 0, 300));
      return send(frame);
    };
    for (let round = 0; round < 3; round++) {
      for (let n = 1; n <= 10; n++) {
        sink.record(statementStarted('s1', round * 10 + n));
        sink.record(statementFinished('s1', round * 10 + n));
      }
      while (sink.unacknowledged > 0) await sleep(10);
    }
    await sleep(100);
    expect(batches).toBeGreaterThanOrEqual(3);
    await sink.close(5_000);
    link.close();

    const reopened = await EventSpool.open(spoolDir);
    expect(reopened.events).toEqual([]);
    expect(reopened.nextSeq).toBe(31);
    await reopened.spool.close(reopened.nextSeq);
  });
});
