/**
 * A statement as one journal record (docs/journal-format.md §14, format 4): in batched durability a
 * statement that finishes before its statement.started was handed to the encoder is written as one
 * `statement` event instead of two records (recorder/statement-merge.ts decides when). This file is
 * the one definition of how the two events become one and how readers get the two back, so that
 * search, sessions, replay, export and the viewer show such a statement exactly as a two-record one.
 */
import type { JournalEvent, StatementFinished, StatementRecorded, StatementStarted, TrailEvent } from './events.js';

/** The journal format from which batched durability writes `statement` records (docs/journal-format.md §9). */
export const statementRecordFormat = 4;

/**
 * The one record of `started` and its `finished` (same session and statement number): the started
 * members in their order, then `finishedTs` and the finished members that the two do not share.
 */
export function combineStatement(started: StatementStarted, finished: StatementFinished): StatementRecorded {
  return {
    type: 'statement',
    ts: started.ts,
    session: started.session,
    statement: started.statement,
    user: started.user,
    role: started.role,
    protocol: started.protocol,
    sql: started.sql,
    params: started.params,
    preparedName: started.preparedName,
    portal: started.portal,
    redaction: started.redaction,
    finishedTs: finished.ts,
    command: finished.command,
    rows: finished.rows,
    error: finished.error,
    durationMs: finished.durationMs,
    txStatus: finished.txStatus,
    resultDigest: finished.resultDigest,
    notExecuted: finished.notExecuted,
    copy: finished.copy,
    capturedRows: finished.capturedRows,
  };
}

/** The statement.started event a `statement` record holds, member for member as it was emitted. */
export function startedOf(record: StatementRecorded): StatementStarted {
  return {
    type: 'statement.started',
    ts: record.ts,
    session: record.session,
    statement: record.statement,
    user: record.user,
    role: record.role,
    protocol: record.protocol,
    sql: record.sql,
    params: record.params,
    preparedName: record.preparedName,
    portal: record.portal,
    redaction: record.redaction,
  };
}

/** The statement.finished event a `statement` record holds, member for member as it was emitted. */
export function finishedOf(record: StatementRecorded): StatementFinished {
  return {
    type: 'statement.finished',
    ts: record.finishedTs,
    session: record.session,
    statement: record.statement,
    command: record.command,
    rows: record.rows,
    error: record.error,
    durationMs: record.durationMs,
    txStatus: record.txStatus,
    resultDigest: record.resultDigest,
    notExecuted: record.notExecuted,
    copy: record.copy,
    capturedRows: record.capturedRows,
  };
}

/** The events a record holds, in the order they happened: two for a `statement` record, else the one. */
export function eventsOfRecord(event: JournalEvent): readonly TrailEvent[] {
  return event.type === 'statement' ? [startedOf(event), finishedOf(event)] : [event];
}
