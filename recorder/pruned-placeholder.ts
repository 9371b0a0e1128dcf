/**
 * How readers (search, sessions, replay, export) show a record that `pgtrail prune` emptied: a
 * statement keeps its place, time, session and number, with its SQL shown as `(pruned)` and its
 * `redaction` set to `pruned`, so every listing says it was pruned instead of dropping it. Other
 * pruned events read as no event (their session shows without identity). Nothing here is verified:
 * a pruned record's kept members are covered by no hash (docs/journal-format.md §10).
 */
import type { StatementFinished, StatementStarted, TrailEvent } from './events.js';
import type { PrunedEvent } from './format/pruned-record.js';

/** The SQL text shown for a pruned statement. */
export const prunedSql = '(pruned)';

/** The `redaction` of a pruned statement's placeholder: what readers test to say "pruned". */
export const prunedRedaction = 'pruned';

/** The placeholder event for a pruned record, or null when its type has none (see the module comment). */
export function prunedPlaceholder(was: PrunedEvent): TrailEvent | null {
  if (was.statement === null) return null;
  if (was.type === 'statement.started') {
    const started: StatementStarted = {
      type: 'statement.started',
      ts: was.ts,
      session: was.session,
      statement: was.statement,
      user: '',
      role: '',
      protocol: 'simple',
      sql: prunedSql,
      params: null,
      preparedName: null,
      portal: null,
      redaction: prunedRedaction,
    };
    return started;
  }
  if (was.type === 'statement.finished') {
    const finished: StatementFinished = {
      type: 'statement.finished',
      ts: was.ts,
      session: was.session,
      statement: was.statement,
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
    return finished;
  }
  return null;
}

/**
 * Whether a statement.started event is a pruned record's placeholder. Its redaction alone could be a
 * rule's name; with an empty user (no session has one: PostgreSQL's startup requires a user) and
 * the placeholder SQL it is not.
 */
export function isPrunedPlaceholder(started: StatementStarted): boolean {
  return started.redaction === prunedRedaction && started.user === '' && started.sql === prunedSql;
}
