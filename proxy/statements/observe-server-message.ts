import { createHash } from 'node:crypto';
import { BackendCode } from '../protocol/message-codes.js';
import { attributeServerError } from './attribute-server-error.js';
import { emit, emitRoleChanged, type ObserverState } from './observer-state.js';
import { currentRun, type PendingMessage } from './pending-message.js';
import { observeReadyForQuery } from './ready-for-query.js';
import { isUtf8Encoding } from './recorded-text.js';
import {
  decodeCommandComplete,
  decodeNotification,
  decodeParameterDescription,
  decodeParameterStatus,
  decodeReadyForQuery,
  decodeRowDescriptionColumns,
} from './server-messages.js';
import { parseSqlDeallocate, parseSqlPrepare } from './sql-prepare.js';
import type { StatementRun } from './statement-run.js';

/**
 * A whole server message other than DataRow and CopyData: it answers the client message at the head
 * of the queue (or, for notifications and parameter changes, none).
 */
export function observeServerMessage(s: ObserverState, code: number, body: Buffer): void {
  const head = s.queue[0];
  switch (code) {
    case BackendCode.ParseComplete:
      if (head?.kind === 'parse') s.queue.shift();
      return;
    case BackendCode.BindComplete:
      if (head?.kind === 'bind') s.queue.shift();
      return;
    case BackendCode.CloseComplete:
      if (head?.kind === 'close') s.queue.shift();
      return;
    case BackendCode.ParameterDescription:
      if (head?.kind === 'describe' && head.prepared !== null)
        head.prepared.described = decodeParameterDescription(body);
      return;
    case BackendCode.RowDescription:
      onRowDescription(s, head, body);
      return;
    case BackendCode.NoData:
      if (head?.kind === 'describe') s.queue.shift();
      return;
    case BackendCode.CommandComplete:
      onComplete(s, head, decodeCommandComplete(body) ?? '');
      return;
    case BackendCode.EmptyQueryResponse:
      onComplete(s, head, null);
      return;
    case BackendCode.PortalSuspended:
      if (head?.kind !== 'execute') return;
      s.queue.shift();
      head.run.suspend(s.options.clock());
      s.suspended.add(head.run);
      return;
    case BackendCode.ErrorResponse:
      attributeServerError(s, head, body);
      return;
    case BackendCode.ReadyForQuery:
      observeReadyForQuery(s, decodeReadyForQuery(body));
      return;
    case BackendCode.CopyInResponse:
      s.copyIn = currentRun(head);
      s.copyIn?.startCopy('in');
      return;
    case BackendCode.CopyOutResponse:
    case BackendCode.CopyBothResponse:
      s.copyOut = currentRun(head);
      s.copyOut?.startCopy('out');
      return;
    case BackendCode.CopyDone:
      s.copyOut = null;
      return;
    case BackendCode.FunctionCallResponse:
      if (head?.kind === 'function_call') {
        head.run.resultBody(body);
        head.run.complete(null, s.options.clock());
      }
      return;
    case BackendCode.NotificationResponse:
      onNotification(s, body);
      return;
    case BackendCode.ParameterStatus:
      onParameterStatus(s, body);
      return;
    default:
      return;
  }
}

function onRowDescription(s: ObserverState, head: PendingMessage | undefined, body: Buffer): void {
  if (head?.kind === 'describe') {
    s.queue.shift();
    if (head.portal !== null && s.options.recording.captureRows > 0) {
      const columns = decodeRowDescriptionColumns(body);
      if (columns === null) return;
      head.portal.columns = columns;
      // Executes sent right behind the Describe took the Bind's formats only: give them the types too.
      for (const pending of s.queue)
        if (pending.kind === 'execute' && pending.portal === head.portal) pending.run.columns = columns;
    }
  } else if (head?.kind === 'query' && s.options.recording.captureRows > 0) {
    const run = currentRun(head);
    const columns = decodeRowDescriptionColumns(body);
    if (run !== null && columns !== null) run.columns = columns;
  }
}

function onComplete(s: ObserverState, head: PendingMessage | undefined, tag: string | null): void {
  const now = s.options.clock();
  if (head?.kind === 'query') {
    const run = head.runs[head.next];
    if (run === undefined) return;
    head.next++;
    run.complete(tag, now);
    afterSuccess(s, run, tag);
  } else if (head?.kind === 'execute') {
    s.queue.shift();
    head.run.complete(tag, now);
    s.suspended.delete(head.run);
    if (head.portal !== null && head.portal.activeRun === head.run) head.portal.activeRun = null;
    s.awaitingReady.push(head.run);
    afterSuccess(s, head.run, tag);
  }
}

function afterSuccess(s: ObserverState, run: StatementRun, tag: string | null): void {
  s.lastStatement = run.statement;
  if (tag === null) return;
  if (tag === 'DEALLOCATE ALL' || tag === 'DISCARD ALL') s.names.forgetStatements();
  else if ((tag === 'PREPARE' || tag === 'DEALLOCATE') && run.sqlText !== null) followSqlPrepare(s, tag, run.sqlText);
  if (s.roles.statementSucceeded(tag, run.sqlText)) emitRoleChanged(s, run.statement);
}

/** SQL PREPARE and DEALLOCATE share the protocol's statement names: a later Bind may name one. */
function followSqlPrepare(s: ObserverState, tag: 'PREPARE' | 'DEALLOCATE', sql: string): void {
  if (tag === 'DEALLOCATE') {
    const name = parseSqlDeallocate(sql);
    if (name !== null) s.names.closeStatement(name);
    return;
  }
  const prepared = parseSqlPrepare(sql);
  // Its parameter types are SQL type names, not OIDs: binary parameters bound to it are recorded as hex.
  if (prepared !== null)
    s.names.parse({ name: prepared.name, sql: prepared.body, sqlText: prepared.body, paramTypes: [], described: null });
}

function onNotification(s: ObserverState, body: Buffer): void {
  const n = decodeNotification(body);
  if (n === null) return;
  emit(s, {
    type: 'session.notified',
    ts: s.options.clock(),
    session: s.session.session,
    channel: n.channel,
    senderPid: n.senderPid,
    payloadSha256: createHash('sha256').update(n.payload).digest('hex'),
  });
}

function onParameterStatus(s: ObserverState, body: Buffer): void {
  const p = decodeParameterStatus(body);
  if (p === null) return;
  if (p.name === 'client_encoding') s.utf8 = isUtf8Encoding(p.value);
  else if (p.name === 'standard_conforming_strings') s.standardStrings = p.value !== 'off';
  else if (p.name === 'session_authorization' && s.roles.sessionAuthorization(p.value))
    emitRoleChanged(s, s.lastStatement);
}
