import type { ObserverState } from './observer-state.js';
import type { PendingMessage } from './pending-message.js';
import type { Portal } from './prepared-statements.js';
import { isRefusedStatement } from './refused-statement.js';
import type { StatementRun } from './statement-run.js';

/**
 * Queues a client message for the server's answer, or, while the server skips until Sync after an
 * extended-protocol error, settles it at once as skipped.
 */
export function enqueue(s: ObserverState, pending: PendingMessage): void {
  if (s.skipping) skipPending(s, pending, true);
  else s.queue.push(pending);
}

/** After an extended-protocol error the server discards messages until Sync. */
export function skipUntilSync(s: ObserverState): void {
  while (s.queue.length > 0 && s.queue[0]?.kind !== 'sync') skipPending(s, s.queue.shift() as PendingMessage, false);
  if (s.queue.length === 0) s.skipping = true;
}

/** The Sync that ends skipping arrived: the names the skipped messages took are given back. */
export function endSkipping(s: ObserverState): void {
  if (!s.skipping) return;
  s.skipping = false;
  for (const undo of s.deferredUndos.splice(0)) undo();
}

/** A statement the server did not run; it finishes at the next ReadyForQuery. */
export function skipRun(s: ObserverState, run: StatementRun): void {
  if (run.isComplete) return;
  run.skip();
  s.awaitingReady.push(run);
}

/** A portal is gone (replaced, closed): a statement suspended on it ends with what it sent. */
export function retirePortal(s: ObserverState, portal: Portal): void {
  const run = portal.activeRun;
  portal.activeRun = null;
  if (run === null || !s.suspended.delete(run)) return;
  run.suspended = false;
  s.awaitingReady.push(run);
}

/** The server will not process `pending` (an earlier error in its batch). */
function skipPending(s: ObserverState, pending: PendingMessage, deferUndo: boolean): void {
  switch (pending.kind) {
    case 'parse':
    case 'bind':
    case 'close':
      if (deferUndo) s.deferredUndos.push(pending.undo);
      else pending.undo();
      return;
    case 'query':
      for (const run of pending.runs) skipRun(s, run);
      return;
    case 'function_call':
      skipRun(s, pending.run);
      return;
    case 'execute': {
      if (pending.continues) return; // a suspended statement stays open until its portal ends
      if (pending.portal !== null && pending.portal.activeRun === pending.run) pending.portal.activeRun = null;
      const refused = s.refused;
      if (refused !== null && isRefusedStatement(refused, pending.portal)) {
        // The statement whose Parse, Bind or Describe the server refused: it carries that error.
        s.refused = null;
        pending.run.refuse(refused.error, s.options.clock());
        s.awaitingReady.push(pending.run);
      } else {
        skipRun(s, pending.run);
      }
      return;
    }
    default:
      return;
  }
}
