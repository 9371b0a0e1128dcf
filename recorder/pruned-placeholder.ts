/**
 * How readers (search, sessions, replay, export) show a record that `pgtrail prune` emptied: a
 * statement keeps its place, time, session and number, with its SQL shown as `(pruned)` and its
 * `redaction` set to `pruned`, so every listing says it was pruned instead of dropping it. Other
 * pruned events read as no event (their session shows without identity). Nothing here is verified:
 * a pruned record's kept members are covered by no hash (docs/journal-format.md §10).
 */
import type { JournalEvent, StatementFinished, StatementStarted } from './events.js';
import type { PrunedEvent } from './format/pruned-record.js';
import { combineStatement } from './statement-record.js';

/** The SQL text shown for a pruned statement. */
export const prunedSql = '(pruned)';

/** The `redaction` of a pruned statement's placeholder: what readers test to say "pruned". */
export const prunedRedaction = 'pruned';

/** The placeholder event for a pruned record, or null when its type has none (see the module comment). */
export function prunedPlaceholder(was: PrunedEvent): JournalEvent | null {
  if (was.statement === null) return null;
  if (was.type === 'statement.started') return startedPlaceholder(was.ts, was.session, was.statement);
  if (was.type === 'statement.finished') return finishedPlaceholder(was.ts, was.session, was.statement);
  // A statement recorded as one record (format 4): `was` keeps its started time; the finish reads as that time too.
  if (was.type === 'statement')
    return combineStatement(
      startedPlaceholder(was.ts, was.session, was.statement),
      finishedPlaceholder(was.ts, was.session, was.statement),
    );
  return null;
}

function startedPlaceholder(ts: number, session: string, statement: number): StatementStarted {
  return {
    type: 'statement.started',
    ts,
    session,
    statement,
    user: '',
    role: '',
    protocol: 'simple',
    sql: prunedSql,
    params: null,
    preparedName: null,
    portal: null,
    redaction: prunedRedaction,
  };
}

function finishedPlaceholder(ts: number, session: string, statement: number): StatementFinished {
  return {
    type: 'statement.finished',
    ts,
    session,
    statement,
    command: null,
    rows: null,
    error: null,
    durationMs: 0,
    txStatus: null,
    resultDigest: null,
    notExecuted: false,
    copy: null,
    capturedRows: null,
  };
}

/**
 * Whether a statement.started event is a pruned record's placeholder. Its redaction alone could be a
 * rule's name; with an empty user (no session has one: PostgreSQL's startup requires a user) and
 * the placeholder SQL it is not.
 */
export function isPrunedPlaceholder(started: StatementStarted): boolean {
  return started.redaction === prunedRedaction && started.user === '' && started.sql === prunedSql;
}
