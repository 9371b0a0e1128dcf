import { parseErrorFields } from '../protocol/error-fields.js';
import { skipUntilSync } from './batch-skip.js';
import type { ObserverState } from './observer-state.js';
import type { PendingMessage } from './pending-message.js';
import { statementAtPosition } from './query-error-position.js';
import { refusedBind, refusedDescribe, refusedParse } from './refused-statement.js';
import { toRecordedText } from './recorded-text.js';
import { startStatement } from './statement-start.js';
import type { RecordedError } from './statement-run.js';

type QueryPending = Extract<PendingMessage, { kind: 'query' }>;

/**
 * An ErrorResponse: the client message at the head of the queue failed. It is attributed to the
 * statement that message belongs to; after an extended-protocol error the server skips until Sync.
 */
export function attributeServerError(s: ObserverState, head: PendingMessage | undefined, body: Buffer): void {
  const fields = parseErrorFields(body);
  const error: RecordedError = { code: fields.code, message: fields.message };
  const now = s.options.clock();
  s.roles.statementFailed();
  if (head === undefined) return;
  switch (head.kind) {
    case 'query':
      failQuery(s, head, error, fields.position, now);
      return;
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
      s.refused = refusedParse(error, head.prepared);
      break;
    case 'bind':
      s.queue.shift();
      head.undo();
      s.refused = refusedBind(error, head.portal);
      break;
    case 'describe':
      s.queue.shift();
      s.refused = refusedDescribe(error, head);
      break;
    default:
      s.queue.shift();
  }
  skipUntilSync(s);
}

/**
 * An error in a Query string. Without a position it belongs to the statement the server is on (the
 * rest is not executed). With one, to the statement holding that position: a syntax error anywhere
 * in the string comes before any of it runs, so the others are not executed. When the position
 * cannot be placed with certainty, the error is recorded on the whole string as one more statement
 * record, and the parts not yet run are marked not executed, rather than pin it on a wrong part.
 */
function failQuery(
  s: ObserverState,
  head: QueryPending,
  error: RecordedError,
  position: number | null,
  now: number,
): void {
  const { runs } = head;
  const from = head.next;
  let at: number | null = from;
  if (position !== null && head.text !== null) {
    at = statementAtPosition(head.text, position, s.utf8);
    // A statement already done, or a later one after some ran (a parse error comes before any runs): the split is in doubt.
    if (at !== null && at !== from && (at < from || from > 0)) at = null;
  }
  head.next = runs.length;
  for (let i = from; i < runs.length; i++) if (i !== at) runs[i]?.skip();
  const run = at === null ? null : runs[at];
  if (run !== undefined && run !== null) {
    run.fail(error, now);
    s.lastStatement = run.statement;
    return;
  }
  if (at === null && head.text !== null) {
    const whole = startStatement(s, 'simple', toRecordedText(head.text.bytes, s.utf8), null, null, null);
    // Written after the fact (the string was forwarded under its parts' records): it gates nothing.
    whole.promise?.catch((err: unknown) => s.options.onInternalError?.(err));
    whole.run.fail(error, now);
    s.lastStatement = whole.run.statement;
    s.awaitingReady.push(whole.run);
  }
}
