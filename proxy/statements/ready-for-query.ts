import { emit, emitRoleChanged, type ObserverState } from './observer-state.js';
import type { PendingMessage } from './pending-message.js';
import { recordRefused } from './refused-statement.js';
import type { RecordedError, StatementRun } from './statement-run.js';

/**
 * ReadyForQuery: everything the server answered before it is done. Statements waiting for it are
 * finished with its transaction status; a transaction that ended takes its portals with it.
 */
export function observeReadyForQuery(s: ObserverState, status: 'I' | 'T' | 'E' | null): void {
  s.readiesSeen++;
  let index = 0;
  while (index < s.queue.length && !answeredByReadyForQuery(s.queue[index] as PendingMessage)) index++;
  if (index === s.queue.length) index = -1;
  // Anything before the message ReadyForQuery answers was not answered: it finishes without an outcome.
  for (let i = 0; i <= index; i++) {
    const pending = s.queue.shift() as PendingMessage;
    if (pending.kind === 'query') s.awaitingReady.push(...pending.runs);
    else if (pending.kind === 'function_call' || (pending.kind === 'execute' && !pending.continues))
      s.awaitingReady.push(pending.run);
  }
  // A refused Parse, Bind or Describe that no Execute took is a statement record of its own.
  if (s.refused !== null) {
    s.awaitingReady.push(recordRefused(s, s.refused));
    s.refused = null;
  }
  const ready = s.awaitingReady;
  s.awaitingReady = [];
  if (status === 'I') {
    // Portals end with their transaction: statements suspended on them end here.
    if (s.suspended.size > 0) {
      for (const run of s.suspended) {
        run.suspended = false;
        ready.push(run);
      }
      s.suspended.clear();
    }
    s.names.forgetPortalsBefore(s.readiesSeen);
  }
  for (const run of ready) {
    if (run === s.copyIn) s.copyIn = null;
    emit(s, run.finish(run.completedAt ?? s.options.clock(), status));
  }
  if (status !== null && s.roles.readyForQuery(status)) emitRoleChanged(s, s.lastStatement);
}

/**
 * The session refused the client's current batch because a statement of it could not be recorded:
 * the statements refused carry `error`, not executed. With a status the session answered the batch
 * itself (ErrorResponse, then ReadyForQuery with that status) and goes on: no message of the batch
 * reached the server, so what it named is given back and the batch counts as answered. Without one
 * the session ends, and the rest is finished with it.
 */
export function refuseBatch(s: ObserverState, error: RecordedError, status: 'I' | 'T' | 'E' | null): void {
  const now = s.options.clock();
  const runs = s.notRecorded;
  s.notRecorded = [];
  for (const run of runs) {
    run.refuse(error, run.sentAt);
    emit(s, run.finish(now, status));
  }
  if (status === null) return;
  for (let last = s.queue.at(-1); last !== undefined && !answeredByReadyForQuery(last); last = s.queue.at(-1)) {
    s.queue.pop();
    if (last.kind === 'parse' || last.kind === 'bind' || last.kind === 'close') last.undo();
  }
  s.readiesSeen = s.batchesSent;
}

/** The session ended: every statement still open is finished with what it has, without a transaction status. */
export function finishOpenStatements(s: ObserverState): void {
  if (s.notRecorded.length > 0) {
    s.awaitingReady.push(...s.notRecorded);
    s.notRecorded = [];
  }
  if (s.refused !== null) {
    s.awaitingReady.push(recordRefused(s, s.refused));
    s.refused = null;
  }
  const open = new Set<StatementRun>(s.awaitingReady);
  for (const pending of s.queue) {
    if (pending.kind === 'query') for (const run of pending.runs) open.add(run);
    else if (pending.kind === 'execute' || pending.kind === 'function_call') open.add(pending.run);
  }
  for (const run of s.suspended) open.add(run);
  s.queue.length = 0;
  s.awaitingReady = [];
  s.suspended.clear();
  s.copyIn = null;
  s.copyOut = null;
  const now = s.options.clock();
  for (const run of open) emit(s, run.finish(run.completedAt ?? now, null));
}

/** The messages the server answers with ReadyForQuery. */
function answeredByReadyForQuery(pending: PendingMessage): boolean {
  return pending.kind === 'query' || pending.kind === 'sync' || pending.kind === 'function_call';
}
