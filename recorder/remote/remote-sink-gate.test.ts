/**
 * A RemoteSink whose gate is kept outside it (gatedOutside: the recording thread's gate): it never
 * refuses an event for want of room or link, since the statement has already gone, and gateState()
 * says what the gate must do with the next one. Without a link, as when the recorder is down.
 */
import { describe, expect, it } from 'vitest';
import { statementStarted } from '../testing/sample-events.js';
import { RemoteSink } from './remote-sink.js';

const maxUnackedBytes = 1024 * 1024;

function sink(gatedOutside: boolean): RemoteSink {
  return new RemoteSink({
    durability: 'batched',
    batchWindowMs: 40,
    spool: null,
    maxUnackedBytes,
    onFailure: () => {},
    gatedOutside,
  });
}

/** A start whose record is about 20 KiB. */
const bigStart = (n: number) => ({ ...statementStarted('s-gate', n), sql: `SELECT ${n} /* ${'p'.repeat(20_000)} */` });

describe('RemoteSink with its gate outside', () => {
  it('is unreachable until the recorder first welcomes it, and takes the events meanwhile', () => {
    const s = sink(true);
    expect(s.gateState()).toBe('unreachable');
    expect(s.record(statementStarted('s-gate', 1))).toBeNull();
    expect(s.unacknowledged).toBe(1);
    s.welcomed(0);
    expect(s.gateState()).toBe('open');
  });

  it('takes every event past its bound with the link down, and says spoolFull from the bound on; a sink gating itself refuses', async () => {
    const outside = sink(true);
    const inside = sink(false);
    outside.welcomed(0);
    inside.welcomed(0);
    let n = 0;
    while (outside.gateState() === 'open') {
      n++;
      expect(outside.record(bigStart(n))).toBeNull();
      expect(inside.record(bigStart(n))).toBeNull();
    }
    expect(outside.gateState()).toBe('spoolFull');
    // Near the bound (within one ordinary event of it), no further than that.
    expect(n * 20_000).toBeGreaterThan(maxUnackedBytes - 2 * 65_536);
    expect(n * 20_000).toBeLessThan(maxUnackedBytes + 20_000);
    // Past the bound: the outside-gated sink still takes the events (their statements have run) ...
    for (let i = 1; i <= 60; i++) expect(outside.record(bigStart(n + i))).toBeNull();
    expect(outside.unacknowledged).toBe(n + 60);
    // ... where a sink gating itself refuses the statement, which then does not run.
    let refused: Promise<void> | null = null;
    for (let i = 1; i <= 60 && refused === null; i++) refused = inside.record(bigStart(n + i));
    await expect(refused).rejects.toMatchObject({ code: 'RECORDER_SPOOL_FULL', sqlstate: '57P03' });
  });
});
