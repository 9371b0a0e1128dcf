import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionOpened, StatementStarted, TrailEvent } from '../recorder/events.js';
import { generateTrail } from './testing/generated-trail.js';
import { listSessions } from './list-sessions.js';
import { memorySource } from './testing/memory-source.js';
import { openIndex } from './open-index.js';
import { searchStatements } from './search-statements.js';
import type { StatementFilter } from './statement-filter.js';
import { statementKind } from './statement-kind.js';

const start = Date.parse('2026-03-01T00:00:00Z');
const trail = (): TrailEvent[] => [
  ...generateTrail({ sessions: 40, statementsPerSession: 30, startMs: start, stepMs: 1000, concurrent: 4 }),
];

/** The obvious, slow answer: join every started record with its finish and session, then filter. */
function reference(events: readonly TrailEvent[], f: StatementFilter): number[] {
  const opened = new Map<string, SessionOpened>();
  const finished = new Map<string, Extract<TrailEvent, { type: 'statement.finished' }>>();
  for (const e of events) {
    if (e.type === 'session.opened') opened.set(e.session, e);
    if (e.type === 'statement.finished') finished.set(`${e.session}:${e.statement}`, e);
  }
  const out: number[] = [];
  events.forEach((e, seq) => {
    if (e.type !== 'statement.started') return;
    const fin = finished.get(`${e.session}:${e.statement}`);
    const sql = e.sql as string;
    if (f.user !== undefined && e.user !== f.user) return;
    if (f.database !== undefined && opened.get(e.session)?.database !== f.database) return;
    if (f.session !== undefined && e.session !== f.session) return;
    if (f.since !== undefined && e.ts < f.since) return;
    if (f.until !== undefined && e.ts >= f.until) return;
    if (f.grep && !f.grep.test(sql)) return;
    if (f.error === true && !fin?.error) return;
    if (typeof f.error === 'string' && !fin?.error?.code.startsWith(f.error)) return;
    if (f.kinds && !f.kinds.includes(statementKind(fin?.command ?? null, sql))) return;
    out.push(seq);
  });
  return out;
}

const filters: Record<string, StatementFilter> = {
  everything: {},
  user: { user: 'bob' },
  'unknown user': { user: 'mallory' },
  database: { database: 'billing' },
  session: { session: 's0000007' },
  'user and time': { user: 'carol', since: start + 200_000, until: start + 600_000 },
  grep: { grep: /accounts/ },
  'grep case-insensitive': { grep: /CREATE INDEX/i },
  'any error': { error: true },
  'error code': { error: '23505' },
  'error class': { error: '23' },
  'other error code': { error: '42P01' },
  kinds: { kinds: ['ddl', 'delete'] },
  'kind and user': { kinds: ['update'], user: 'alice' },
};

describe('searchStatements over an in-memory journal', () => {
  const events = trail();
  for (const [name, filter] of Object.entries(filters)) {
    it(`filters by ${name} exactly as a full join would`, async () => {
      const rows = await searchStatements(memorySource(events), filter, { order: 'asc', limit: null });
      expect(rows.map((r) => r.seq)).toEqual(reference(events, filter));
    });
  }

  it('orders newest first and limits after ordering', async () => {
    const all = reference(events, { user: 'bob' });
    const rows = await searchStatements(memorySource(events), { user: 'bob' }, { order: 'desc', limit: 5 });
    expect(rows.map((r) => r.seq)).toEqual(all.slice(-5).reverse());
  });

  it('fills every contract field from the records', async () => {
    const [row] = await searchStatements(memorySource(events), { error: true }, { order: 'asc', limit: 1 });
    const started = events[row?.seq ?? -1] as StatementStarted;
    expect(row).toMatchObject({
      ts: new Date(started.ts).toISOString(),
      session: started.session,
      user: started.user,
      role: started.role,
      sql: started.sql,
      params: started.params,
      command: null,
      rows: null,
      error: { code: '23505' },
      duration_ms: 0.5,
      finished: true,
    });
    expect(row?.database).toMatch(/^(app|billing|reporting)$/);
    expect(row?.client).toMatch(/^10\.0\.0\.\d+:\d+$/);
  });

  it('shows a statement without a finished record as unfinished', async () => {
    const cut = events.slice(
      0,
      events.findIndex((e) => e.type === 'statement.finished'),
    );
    const rows = await searchStatements(memorySource(cut), {}, { order: 'asc', limit: null });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => !r.finished && r.command === null && r.duration_ms === null)).toBe(true);
  });
});

describe('the persisted index', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgtrail-index-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const query = { user: 'dave', since: start + 100_000 } as const;

  it('is loaded when current, extended when the journal grew, rebuilt when damaged or deleted, with the same answers', async () => {
    const events = trail();
    const source = memorySource(events, dir);
    expect((await openIndex(source)).origin).toBe('built');
    const first = await searchStatements(source, query, { order: 'asc', limit: null });
    expect(first.map((r) => r.seq)).toEqual(reference(events, query));
    expect((await openIndex(source)).origin).toBe('loaded');

    events.push(
      ...[
        ...generateTrail({
          sessions: 8,
          statementsPerSession: 5,
          startMs: start + 10_000_000,
          stepMs: 1000,
          concurrent: 2,
        }),
      ].map(renamed),
    );
    expect((await openIndex(source)).origin).toBe('extended');
    const grown = await searchStatements(source, query, { order: 'asc', limit: null });
    expect(grown.map((r) => r.seq)).toEqual(reference(events, query));
    expect(grown.length).toBeGreaterThan(first.length);

    // A damaged filter column fails its hash: rebuilt at once.
    const bin = join(dir, 'statements.bin');
    let bytes = readFileSync(bin);
    bytes.writeUInt8(bytes.readUInt8(3) ^ 0xff, 3);
    writeFileSync(bin, bytes);
    expect((await openIndex(source)).origin).toBe('built');

    // Damaged row locations (the end of the file) are found when the records they point to are read.
    bytes = readFileSync(bin);
    bytes.fill(0x41, bytes.length - 44 * 50);
    writeFileSync(bin, bytes);
    expect((await openIndex(source)).origin).toBe('loaded');
    const recent = { since: start + 10_000_000 } as const;
    expect((await searchStatements(source, recent, { order: 'asc', limit: null })).map((r) => r.seq)).toEqual(
      reference(events, recent),
    );
    expect((await openIndex(source)).origin).toBe('loaded');
    expect((await searchStatements(source, recent, { order: 'asc', limit: null })).map((r) => r.seq)).toEqual(
      reference(events, recent),
    );

    writeFileSync(join(dir, 'search-index.json'), '{"format":');
    expect((await searchStatements(source, query, { order: 'asc', limit: null })).map((r) => r.seq)).toEqual(
      reference(events, query),
    );
    rmSync(dir, { recursive: true, force: true });
    expect((await openIndex(source)).origin).toBe('built');
  });

  it('is never trusted over the journal: a record changed under it is read as it now is', async () => {
    const events = trail();
    const source = memorySource(events, dir);
    await openIndex(source);
    // Same size, same time: only reading the record back can notice.
    const seq = reference(events, { user: 'dave' })[0] as number;
    events[seq] = { ...(events[seq] as StatementStarted), user: 'mallory' };
    const rows = await searchStatements(source, { user: 'dave' }, { order: 'asc', limit: null });
    expect(rows.map((r) => r.seq)).toEqual(reference(events, { user: 'dave' }));
    expect(rows.map((r) => r.seq)).not.toContain(seq);
  });
});

describe('listSessions', () => {
  const events = trail();
  it('lists sessions active in a window, by user and database, with counts', async () => {
    const rows = await listSessions(
      memorySource(events),
      { since: start + 300_000, until: start + 400_000 },
      { order: 'asc', limit: null },
    );
    const expected = events
      .filter((e): e is SessionOpened => e.type === 'session.opened')
      .filter((o) => {
        const closed = events.find((e) => e.type === 'session.closed' && e.session === o.session);
        return o.ts < start + 400_000 && (closed?.ts ?? Infinity) >= start + 300_000;
      })
      .map((o) => o.session);
    expect(rows.map((r) => r.session)).toEqual(expected);
    expect(rows[0]).toMatchObject({ statements: 30, reason: 'client_quit' });
    const bob = await listSessions(
      memorySource(events),
      { user: 'bob', database: 'billing' },
      { order: 'desc', limit: 2 },
    );
    expect(bob.every((r) => r.user === 'bob' && r.database === 'billing')).toBe(true);
    expect(bob.length).toBe(2);
    expect((bob[0]?.seq ?? 0) > (bob[1]?.seq ?? 0)).toBe(true);
    const withErrors = await listSessions(memorySource(events), { withErrors: true }, { order: 'asc', limit: null });
    expect(withErrors.length).toBeGreaterThan(0);
    expect(withErrors.every((r) => r.errors > 0)).toBe(true);
  });
});

function renamed(e: TrailEvent): TrailEvent {
  return 'session' in e ? { ...e, session: `late-${e.session}` } : e;
}
