/**
 * Reads a journal back as sessions of joined statements, for tests that check what was recorded end
 * to end: each statement.started with its statement.finished, the session's opening and closing
 * records, cancels and notifications, and every way the records of a session are not "each statement
 * exactly once, in order" listed in `problems`.
 */
import type {
  SessionClosed,
  SessionNotified,
  SessionOpened,
  SessionRoleChanged,
  StatementCancelRequested,
  StatementFinished,
  StatementStarted,
  TrailEvent,
} from '../../recorder/events.js';
import { readJournal } from '../../recorder/journal-reader.js';
import { eventsOfRecord } from '../../recorder/statement-record.js';

/** One statement as the journal holds it: its start (with its journal index) and its outcome. */
export interface JournalStatement {
  readonly index: number;
  readonly started: StatementStarted;
  finished: StatementFinished | null;
}

/** Everything the journal holds about one session, in journal order. */
export interface JournalSession {
  readonly session: string;
  opened: SessionOpened | null;
  closed: SessionClosed | null;
  readonly statements: JournalStatement[];
  readonly cancels: StatementCancelRequested[];
  readonly notified: SessionNotified[];
  readonly roleChanges: SessionRoleChanged[];
  /** Duplicated, missing or out-of-order records; empty when each statement is there exactly once, in order. */
  readonly problems: string[];
}

function emptySession(session: string): JournalSession {
  return {
    session,
    opened: null,
    closed: null,
    statements: [],
    cancels: [],
    notified: [],
    roleChanges: [],
    problems: [],
  };
}

/** Reads every session of the journal in `dir` (see the module comment). */
export async function readJournalSessions(dir: string): Promise<Map<string, JournalSession>> {
  const sessions = new Map<string, JournalSession>();
  const of = (id: string): JournalSession => {
    let s = sessions.get(id);
    if (s === undefined) {
      s = emptySession(id);
      sessions.set(id, s);
    }
    return s;
  };
  for await (const entry of readJournal(dir)) {
    if (entry.event === null) continue;
    // A statement recorded as one record (format 4) counts as its two events, both at its index.
    for (const e of eventsOfRecord(entry.event)) take(entry.index, e);
  }
  function take(index: number, e: TrailEvent): void {
    if (e.type === 'session.auth_failed') return;
    const s = of(e.session);
    switch (e.type) {
      case 'session.opened':
        if (s.opened !== null) s.problems.push('opened twice');
        s.opened = e;
        break;
      case 'session.closed':
        if (s.closed !== null) s.problems.push('closed twice');
        s.closed = e;
        break;
      case 'statement.started': {
        const expected = s.statements.length + 1;
        if (e.statement !== expected) s.problems.push(`statement ${e.statement} started where ${expected} was due`);
        s.statements.push({ index, started: e, finished: null });
        break;
      }
      case 'statement.finished': {
        const st = s.statements.find((x) => x.started.statement === e.statement);
        if (st === undefined) s.problems.push(`statement ${e.statement} finished without a start`);
        else if (st.finished !== null) s.problems.push(`statement ${e.statement} finished twice`);
        else st.finished = e;
        break;
      }
      case 'statement.cancel_requested':
        s.cancels.push(e);
        break;
      case 'session.notified':
        s.notified.push(e);
        break;
      case 'session.role_changed':
        s.roleChanges.push(e);
        break;
    }
  }
  for (const s of sessions.values()) {
    if (s.opened === null) s.problems.push('no session.opened');
    if (s.closed !== null) {
      for (const st of s.statements)
        if (st.finished === null) s.problems.push(`statement ${st.started.statement} never finished`);
      if (s.closed.statements !== s.statements.length)
        s.problems.push(`closed with ${s.closed.statements} statements, journal holds ${s.statements.length}`);
    }
  }
  return sessions;
}

/**
 * Waits until the journal holds `count` closed sessions whose application_name is `application`, and
 * returns them in the order they were opened.
 */
export async function waitForClosedSessions(
  dir: string,
  application: string,
  count = 1,
  timeoutMs = 20_000,
): Promise<JournalSession[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = [...(await readJournalSessions(dir)).values()].filter((s) => s.opened?.application === application);
    if (found.length >= count && found.every((s) => s.closed !== null)) return found;
    if (Date.now() > deadline)
      throw new Error(
        `journal holds ${found.length} sessions of ${application}, ${found.filter((s) => s.closed !== null).length} closed`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until `events` (what the proxy emitted, in memory) hold session.closed for `count` sessions of
 * `application`: a test reads the journal once after that rather than polling it, since each read
 * parses the whole journal.
 */
export async function waitForClosedEvents(
  events: readonly TrailEvent[],
  application: string,
  count = 1,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = new Set(
      events.flatMap((e) => (e.type === 'session.opened' && e.application === application ? [e.session] : [])),
    );
    const closed = events.filter((e) => e.type === 'session.closed' && ids.has(e.session)).length;
    if (closed >= count) return;
    if (Date.now() > deadline) throw new Error(`${closed} of ${count} sessions of ${application} closed`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A compact view of a session's statements for toEqual: sql, params, command, rows, SQLSTATE, notExecuted, txStatus. */
export function statementSummary(s: JournalSession): unknown[][] {
  return s.statements.map(({ started: b, finished: f }) => [
    b.sql,
    b.params,
    f?.command ?? null,
    f?.rows ?? null,
    f?.error?.code ?? null,
    f?.notExecuted ?? null,
    f?.txStatus ?? null,
  ]);
}
