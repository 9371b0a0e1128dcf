import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import type { TrailEvent } from '../recorder/events.js';
import { createJournalSink } from '../recorder/journal-sink.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { generateTrail } from './testing/generated-trail.js';
import { positionAfter, type LocatedEntry } from './journal-source.js';
import { openIndex } from './open-index.js';
import { searchStatements } from './search-statements.js';
import { segmentSource } from './segment-source.js';
import { eventsOfRecord } from '../recorder/statement-record.js';

const start = Date.parse('2026-03-01T00:00:00Z');

async function write(dir: string, events: Iterable<TrailEvent>): Promise<void> {
  // Small segments, so that records span many files.
  const writer = await openJournalWriter({
    ...defaultConfig.journal,
    dir,
    durability: 'batched',
    segmentMaxBytes: 16 * 1024,
  });
  const sink = createJournalSink(writer, 'batched');
  for (const e of events) sink.record(e);
  await writer.close();
}

async function all(iterable: AsyncIterable<LocatedEntry>): Promise<LocatedEntry[]> {
  const out: LocatedEntry[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

describe('segmentSource on a journal written by the journal writer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgtrail-segments-'));
    await createSigningKey(dir);
    await write(
      dir,
      generateTrail({ sessions: 12, statementsPerSession: 20, startMs: start, stepMs: 1000, concurrent: 3 }),
    );
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.signing-key`, { force: true });
  });

  it('scans every record in index order with locations that read back the same record, forwards and backwards', async () => {
    const source = segmentSource(dir);
    const entries = await all(source.scan(null));
    expect(readdirSync(dir).filter((n) => n.startsWith('segment-')).length).toBeGreaterThan(3);
    expect(entries.map((e) => e.index)).toEqual(entries.map((_, i) => i));
    // Batched: statements are `statement` records (format 4) or started + finished; 240 either way.
    const events = entries.flatMap((e) => (e.event === null ? [] : eventsOfRecord(e.event)));
    expect(events.filter((e) => e.type === 'statement.started')).toHaveLength(240);
    for (const e of [...entries, ...[...entries].reverse()]) {
      const back = source.readAt(e);
      expect(back.index).toBe(e.index);
      expect(back.event).toEqual(e.event);
    }
    source.close();
  });

  it('goes on from a position, across segments', async () => {
    const source = segmentSource(dir);
    const entries = await all(source.scan(null));
    for (const k of [0, 1, 57, entries.length - 2]) {
      const rest = await all(source.scan(positionAfter(entries[k] as LocatedEntry)));
      expect(rest.map((e) => e.index)).toEqual(entries.slice(k + 1).map((e) => e.index));
    }
    expect(await all(source.scan(positionAfter(entries.at(-1) as LocatedEntry)))).toEqual([]);
    source.close();
  });

  it('does not yield or read a torn final line', async () => {
    const last = readdirSync(dir)
      .filter((n) => n.startsWith('segment-'))
      .sort()
      .at(-1) as string;
    const source = segmentSource(dir);
    const before = await all(source.scan(null));
    appendFileSync(join(dir, last), '{"i":99999,"prev":"');
    const after = await all(source.scan(null));
    expect(after.length).toBe(before.length);
    const lastEntry = before.at(-1) as LocatedEntry;
    expect(() => source.readAt({ segment: last, offset: lastEntry.offset + lastEntry.length, length: 20 })).toThrow();
    source.close();
  });

  it('extends the index with records appended later, with the answers of a rebuild', async () => {
    const source = segmentSource(dir);
    expect((await openIndex(source)).origin).toBe('built');
    expect((await openIndex(source)).origin).toBe('loaded');
    const more = [
      ...generateTrail({
        sessions: 6,
        statementsPerSession: 10,
        startMs: start + 10_000_000,
        stepMs: 1000,
        concurrent: 2,
      }),
    ].map((e) => ('session' in e ? { ...e, session: `more-${e.session}` } : e));
    await write(dir, more);
    const opened = await openIndex(source);
    expect(opened.origin).toBe('extended');
    expect(opened.index.rowCount).toBe(300);
    const query = { user: 'alice' } as const;
    const extended = await searchStatements(source, query, { order: 'asc', limit: null });
    await openIndex(source, { rebuild: true });
    expect(await searchStatements(source, query, { order: 'asc', limit: null })).toEqual(extended);
    expect(extended.some((r) => r.session.startsWith('more-'))).toBe(true);
    source.close();
  });

  it('peeks at the SQL of a started record exactly as JSON.parse reads it, and only at the record asked for', async () => {
    const tricky = [
      'select "a""b", \'"sql":"x"\' from t',
      "select E'\\\\', '\\\"'",
      'select 1\n\t-- "quoted" \u2603 ✓',
      "select '\\'",
    ];
    const session = 'tricky';
    const events: TrailEvent[] = tricky.map((sql, i) => ({
      type: 'statement.started',
      ts: start + i,
      session,
      statement: i + 1,
      user: 'u',
      role: 'u',
      protocol: 'simple',
      sql,
      params: null,
      preparedName: null,
      portal: null,
      redaction: null,
    }));
    events.push({
      ...(events[0] as Extract<TrailEvent, { type: 'statement.started' }>),
      statement: 99,
      sql: { base64: 'gA==' },
    });
    await write(dir, events);
    const source = segmentSource(dir);
    const started = (await all(source.scan(null))).filter(
      (e) => e.event?.type === 'statement.started' && e.event.session === session,
    );
    expect(started).toHaveLength(tricky.length + 1);
    for (const [i, e] of started.entries()) {
      const expected = i < tricky.length ? tricky[i] : null;
      expect(source.peekSql?.(e, e.index)).toBe(expected);
      expect(source.peekSql?.(e, e.index + 1)).toBeNull();
    }
    source.close();
  });

  it('reports a missing journal directory', () => {
    expect(() => segmentSource(join(dir, 'nope'))).toThrow(expect.objectContaining({ code: 'SEARCH_JOURNAL_MISSING' }));
  });
});
