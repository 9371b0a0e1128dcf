/**
 * A statement as one journal record (docs/journal-format.md §14, format 4): in batched durability a
 * statement that finishes before its statement.started was handed to the encoder is written as one
 * `statement` event instead of two records (recorder/statement-merge.ts decides when). This file is
 * the one definition of how the two events become one and how readers get the two back, so that
 * search, sessions, replay, export and the viewer show such a statement exactly as a two-record one.
 */
import type {
  CopyOutcome,
  JournalEvent,
  RecordedText,
  StatementFinished,
  StatementProtocol,
  StatementRecorded,
  StatementStarted,
  TrailEvent,
} from './events.js';

/** The journal format from which batched durability writes `statement` records (docs/journal-format.md §9). */
export const statementRecordFormat = 4;

/**
 * The one record of `started` and its `finished` (same session and statement number): the started
 * members in their order, then `finishedTs` and the finished members that the two do not share.
 */
export function combineStatement(started: StatementStarted, finished: StatementFinished): StatementRecorded {
  return new CombinedStatement(started, finished);
}

/**
 * A `statement` record as combineStatement builds it. Being a class, its members are always these,
 * in this order (the order JSON.stringify writes them), so recorder/event-json.ts writes its JSON
 * member by member by name instead of walking its keys.
 */
export class CombinedStatement implements StatementRecorded {
  readonly type = 'statement';
  readonly ts: number;
  readonly session: string;
  readonly statement: number;
  readonly user: string;
  readonly role: string;
  readonly protocol: StatementProtocol;
  readonly sql: RecordedText;
  readonly params: readonly (string | null)[] | null;
  readonly preparedName: string | null;
  readonly portal: string | null;
  readonly redaction: string | null;
  readonly finishedTs: number;
  readonly command: string | null;
  readonly rows: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly durationMs: number;
  readonly txStatus: 'I' | 'T' | 'E' | null;
  readonly resultDigest: string | null;
  readonly notExecuted: boolean;
  readonly copy: CopyOutcome | null;
  readonly capturedRows: readonly (readonly (string | null)[])[] | null;

  constructor(started: StatementStarted, finished: StatementFinished) {
    this.ts = started.ts;
    this.session = started.session;
    this.statement = started.statement;
    this.user = started.user;
    this.role = started.role;
    this.protocol = started.protocol;
    this.sql = started.sql;
    this.params = started.params;
    this.preparedName = started.preparedName;
    this.portal = started.portal;
    this.redaction = started.redaction;
    this.finishedTs = finished.ts;
    this.command = finished.command;
    this.rows = finished.rows;
    this.error = finished.error;
    this.durationMs = finished.durationMs;
    this.txStatus = finished.txStatus;
    this.resultDigest = finished.resultDigest;
    this.notExecuted = finished.notExecuted;
    this.copy = finished.copy;
    this.capturedRows = finished.capturedRows;
  }
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
