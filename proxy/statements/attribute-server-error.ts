import { skipUntilSync } from './batch-skip.js';
import type { ObserverState } from './observer-state.js';
import type { PendingMessage } from './pending-message.js';
import { decodeErrorFields } from './server-messages.js';
import type { RecordedError } from './statement-run.js';

/**
 * An ErrorResponse: the client message at the head of the queue failed. It is attributed to the
 * statement that message belongs to; after an extended-protocol error the server skips until Sync.
 */
export function attributeServerError(s: ObserverState, head: PendingMessage | undefined, body: Buffer): void {
  const fields = decodeErrorFields(body);
  if (fields === null) return;
  const error: RecordedError = { code: fields.code, message: fields.message };
  const now = s.options.clock();
  s.roles.statementFailed();
  if (head === undefined) return;
  switch (head.kind) {
    case 'query': {
      const run = head.runs[head.next];
      if (run !== undefined) {
        run.fail(error, now);
        s.lastStatement = run.statement;
      }
      // The rest of a failed Query string is not executed.
      for (const later of head.runs.slice(head.next + 1)) later.skip();
      head.next = head.runs.length;
      return;
    }
    case 'function_call':
      head.run.fail(error, now);
      return;
    case 'sync': {
      // The implicit COMMIT at Sync failed (e.g. a deferred constraint): the batch's last statement carries it.
      const last = s.awaitingReady[s.awaitingReady.length - 1];
      if (last !== undefined && last.error === null && !last.notExecuted) last.fail(error, last.completedAt ?? now);
      return;
    }
    case 'execute':
      s.queue.shift();
      head.run.fail(error, now);
      s.suspended.delete(head.run);
      if (head.portal !== null && head.portal.activeRun === head.run) head.portal.activeRun = null;
      s.awaitingReady.push(head.run);
      s.lastStatement = head.run.statement;
      break;
    case 'parse':
      s.queue.shift();
      head.undo();
      s.orphanError = { error, prepared: head.prepared, portal: null };
      break;
    case 'bind':
      s.queue.shift();
      head.undo();
      s.orphanError = { error, prepared: null, portal: head.portal };
      break;
    default:
      s.queue.shift();
  }
  skipUntilSync(s);
}
