import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import type { TrailEvent } from './events.js';
import { openJournalWriter } from './journal-writer.js';
import { closingRecords } from './sessions-left-open.js';
import { ensureSigningKey } from './signing-key.js';
import { sampleSession, statementStarted } from './testing/sample-events.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-left-open-'));
  await ensureSigningKey(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

const options = () => ({ ...defaultConfig.journal, dir, durability: 'strict' as const, segmentMaxBytes: 4096 });

/** A session's events without its session.closed: what a proxy killed mid-session leaves. */
function withoutClose(events: TrailEvent[]): TrailEvent[] {
  return events.filter((e) => e.type !== 'session.closed');
}

describe('sessions left open', () => {
  it('are found on reopen, with their statements, across segments, and none once closed', async () => {
    const writer = await openJournalWriter(options());
    for (const e of sampleSession('closed-one', 20)) await writer.append(e);
    for (const e of withoutClose(sampleSession('left-open', 41))) await writer.append(e);
    // A record whose members come in another order (not what pgtrail writes): still followed.
    const serialized = (value: unknown) => {
      const bytes = Buffer.from(JSON.stringify(value));
      return writer.appendSerialized(bytes, 0, bytes.length);
    };
    await serialized({ session: 'other-order', ts: 1_764_115_250_000, type: 'session.opened' });
    await serialized({ ...statementStarted('other-order', 1) });
    await writer.close();

    const again = await openJournalWriter(options());
    expect(again.leftOpen.sessions).toEqual([
      { session: 'left-open', openedTs: 1_764_115_200_000, statements: 20 },
      { session: 'other-order', openedTs: 1_764_115_250_000, statements: 1 },
    ]);
    // The latest event of all: the closed session's session.closed.
    expect(again.leftOpen.lastEventTs).toBe(1_764_115_300_000);
    const closes = closingRecords(again.leftOpen.sessions, again.leftOpen.lastEventTs, 1_800_000_000_000);
    expect(closes[0]).toEqual({
      type: 'session.closed',
      ts: 1_800_000_000_000,
      session: 'left-open',
      reason: 'proxy_stopped',
      durationMs: 100_000,
      statements: 20,
    });
    for (const e of closes) await again.append(e);
    await again.close();

    const third = await openJournalWriter(options());
    expect(third.leftOpen.sessions).toEqual([]);
    await third.close();
  });

  it('counts only the statements of open sessions, whatever their text holds', async () => {
    const writer = await openJournalWriter(options());
    const opened = sampleSession('s1', 3)[0] as TrailEvent;
    await writer.append(opened);
    await writer.append({ ...statementStarted('s2', 1) });
    // SQL that spells out a session record must not be taken for one.
    await writer.append({ ...statementStarted('s1', 1), sql: '{"type":"session.closed","session":"s1"}' });
    await writer.close();
    const again = await openJournalWriter(options());
    expect(again.leftOpen.sessions).toEqual([{ session: 's1', openedTs: 1_764_115_200_000, statements: 1 }]);
    await again.close();
  });
});
