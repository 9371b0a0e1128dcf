import { describe, expect, it } from 'vitest';
import type { TrailEvent } from '../recorder/events.js';
import { newSessionId } from '../proxy/session-id.js';
import { memorySource } from './testing/memory-source.js';
import { openIndex } from './open-index.js';
import { parseSessionName, resolveSessionName, sessionAbbreviator } from './session-names.js';
import type { TrailIndex } from './trail-index.js';

const peer = { address: '127.0.0.1', port: 5432 };
const opened = (session: string): TrailEvent => ({
  type: 'session.opened',
  ts: 0,
  session,
  identity: { user: 'alice', method: { kind: 'passthrough' } },
  database: 'app',
  role: 'alice',
  client: peer,
  upstream: peer,
  application: 'psql',
  clientTls: null,
  upstreamTls: null,
  backendPid: 1,
  serverVersion: '18.0',
});

async function indexOf(ids: readonly string[]): Promise<TrailIndex> {
  return (await openIndex(memorySource(ids.map(opened)))).index;
}

describe('session names', () => {
  it('takes an id, a prefix only one session has, and ID#N', async () => {
    const index = await indexOf(['01ABCDEF00XX', '01ABCDEF01YY', 's1', 's10']);
    expect(resolveSessionName(index, '01ABCDEF00XX')).toBe('01ABCDEF00XX');
    expect(resolveSessionName(index, '01ABCDEF01')).toBe('01ABCDEF01YY');
    expect(resolveSessionName(index, '01ABCDEF01YY#17')).toBe('01ABCDEF01YY');
    expect(resolveSessionName(index, '01ABCDEF00#3')).toBe('01ABCDEF00XX');
    // A full id wins over a longer id it is a prefix of.
    expect(resolveSessionName(index, 's1')).toBe('s1');
    expect(resolveSessionName(index, 'zz')).toBeNull();
  });

  it('refuses an ambiguous prefix, saying how many sessions it matches', async () => {
    const index = await indexOf(['01ABCDEF00XX', '01ABCDEF01YY', '01ABCDEF02ZZ']);
    expect(() => resolveSessionName(index, '01ABCDEF0')).toThrow(
      expect.objectContaining({ code: 'SEARCH_SESSION_AMBIGUOUS', message: expect.stringContaining('3 sessions') }),
    );
  });

  it('refuses names that are not an id, a prefix or ID#N', () => {
    for (const bad of ['', 'a#', 'a#0', '#3', 'a b', 'a#1#2', 'x'.repeat(201)])
      expect(() => parseSessionName(bad), bad).toThrow(expect.objectContaining({ code: 'SEARCH_BAD_SESSION' }));
    expect(parseSessionName('abc#12')).toEqual({ prefix: 'abc', statement: 12 });
  });

  it('abbreviates ids of one listing to one length at which each names only itself', async () => {
    // ULIDs of sessions opened in the same millisecond share their first 10 characters.
    const now = Date.parse('2026-12-03T10:00:00Z');
    const ids = [newSessionId(now), newSessionId(now), newSessionId(now + 1), newSessionId(now + 86_400_000)];
    const index = await indexOf(ids);
    const short = sessionAbbreviator(index, ids);
    const lengths = new Set(ids.map((id) => short(id).length));
    expect(lengths.size).toBe(1);
    expect([...lengths][0]).toBeGreaterThan(10);
    for (const id of ids) expect(resolveSessionName(index, short(id))).toBe(id);
    // Unique in the journal, not only in the listing: a session not listed still counts.
    const alone = sessionAbbreviator(index, [ids[0] as string])(ids[0] as string);
    expect(alone.length).toBeGreaterThan(10);
    expect(resolveSessionName(index, alone)).toBe(ids[0]);
    // Alone, a session far from the others needs no more than the minimum.
    expect(sessionAbbreviator(index, [ids[3] as string])(ids[3] as string)).toHaveLength(8);
  });
});
