import type { RecordingConfig } from '../../config/config.js';
import type { RecordedText, TrailEvent } from '../../recorder/events.js';
import type { ObservedSession } from '../traffic-observer.js';
import { ClientNames } from './client-names.js';
import type { PendingMessage } from './pending-message.js';
import type { Portal, PreparedStatement } from './prepared-statements.js';
import { isUtf8Encoding } from './recorded-text.js';
import { RoleTracker } from './role-tracker.js';
import type { RecordedError, StatementRun } from './statement-run.js';

/** What every session observer of one pgtrail process shares. */
export interface StatementObserverOptions {
  readonly recording: RecordingConfig;
  /** Milliseconds since the Unix epoch, with sub-millisecond precision where available. */
  readonly clock: () => number;
  /** Called when the observer hit a bug of its own, or the sink failed an event that does not gate forwarding; the observer never throws into the forwarding path. */
  readonly onInternalError?: (err: unknown) => void;
}

/**
 * A Parse, Bind or Describe the server refused: the statement the client meant by it did not run.
 * An Execute of that statement skipped in the same batch takes the error; when none comes before
 * the batch's ReadyForQuery, the refusal is a statement record of its own (refused-statement.ts).
 */
export interface RefusedStatement {
  readonly error: RecordedError;
  /** What identifies the statement an Execute runs: the refused Parse's statement, or the refused Bind's portal. */
  readonly prepared: PreparedStatement | null;
  readonly portal: Portal | null;
  /** The statement name a Bind or Describe named when pgtrail never saw it made (26000). */
  readonly unknownName: string | null;
  /** What its record says: the SQL, the parameters when a Bind got that far, the names used. */
  readonly sql: RecordedText;
  readonly params: readonly (string | null)[] | null;
  readonly preparedName: string | null;
  readonly portalName: string | null;
}

/**
 * Everything one session's observer knows, in one place. The server answers client messages in
 * order, so the client messages not yet answered wait in `queue`; each server message is about its
 * head. The queue, the skip-until-Sync state and the outcomes waiting for ReadyForQuery change
 * together on almost every message: the functions of the files beside this one (client-side,
 * server-side, errors, ReadyForQuery) all work on this one object.
 */
export interface ObserverState {
  readonly session: ObservedSession;
  readonly options: StatementObserverOptions;
  /** Prepared statements and portals as the client has named them. */
  readonly names: ClientNames;
  readonly roles: RoleTracker;
  /** Client messages not yet answered in full, oldest first. */
  readonly queue: PendingMessage[];
  /** Statements with an outcome, waiting for ReadyForQuery. */
  awaitingReady: StatementRun[];
  /** Statements whose record the sink refused: not forwarded, finished by batchRefused or the session's end. */
  notRecorded: StatementRun[];
  /** Statements whose Execute hit its row limit (PortalSuspended): a later Execute continues them. */
  readonly suspended: Set<StatementRun>;
  /** After an error in the extended protocol the server ignores everything until Sync. */
  skipping: boolean;
  /** Undos of messages skipped while `skipping`, applied when the Sync arrives. */
  readonly deferredUndos: (() => void)[];
  /** The refusal of this batch not yet carried by a statement record. */
  refused: RefusedStatement | null;
  copyIn: StatementRun | null;
  copyOut: StatementRun | null;
  utf8: boolean;
  /** The session's standard_conforming_strings (reported by the server): off makes \' an escape in '...'. */
  standardStrings: boolean;
  /** Number of the last statement the server ran (the one a role change is attributed to). */
  lastStatement: number;
  /** Statements started so far. */
  count: number;
  /** Messages sent that the server answers with ReadyForQuery (Sync, Query, FunctionCall). */
  batchesSent: number;
  /** ReadyForQuery messages seen. */
  readiesSeen: number;
}

/** The state of a session's observer right after authentication. */
export function newObserverState(session: ObservedSession, options: StatementObserverOptions): ObserverState {
  return {
    session,
    options,
    names: new ClientNames(),
    roles: new RoleTracker(session.role),
    queue: [],
    awaitingReady: [],
    notRecorded: [],
    suspended: new Set(),
    skipping: false,
    deferredUndos: [],
    refused: null,
    copyIn: null,
    copyOut: null,
    utf8: isUtf8Encoding(session.serverParams.get('client_encoding')),
    standardStrings: session.serverParams.get('standard_conforming_strings') !== 'off',
    lastStatement: 0,
    count: 0,
    batchesSent: 0,
    readiesSeen: 0,
  };
}

/** Records an event that does not gate forwarding; a failure to record it is the recorder's to report. */
export function emit(s: ObserverState, event: TrailEvent): void {
  try {
    const promise = s.session.sink.record(event);
    promise?.catch((err: unknown) => s.options.onInternalError?.(err));
  } catch (err) {
    s.options.onInternalError?.(err);
  }
}

/** Records the session's effective role after `statement` changed it. */
export function emitRoleChanged(s: ObserverState, statement: number): void {
  emit(s, {
    type: 'session.role_changed',
    ts: s.options.clock(),
    session: s.session.session,
    statement,
    role: s.roles.role,
  });
}
