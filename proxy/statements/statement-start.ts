import type { RecordedText, StatementProtocol, StatementStarted } from '../../recorder/events.js';
import type { ObserverState } from './observer-state.js';
import type { PendingMessage } from './pending-message.js';
import { StatementRun } from './statement-run.js';

/**
 * Numbers a new statement and gives its statement.started record to the sink. The promise, when
 * there is one (strict durability), settles once the record is durable.
 */
export function startStatement(
  s: ObserverState,
  protocol: StatementProtocol,
  sql: RecordedText,
  params: readonly (string | null)[] | null,
  preparedName: string | null,
  portal: string | null,
): { run: StatementRun; promise: Promise<void> | null } {
  const ts = s.options.clock();
  const statement = ++s.count;
  const run = new StatementRun(
    s.session.session,
    statement,
    ts,
    typeof sql === 'string' ? sql : null,
    s.options.recording,
  );
  const event: StatementStarted = {
    type: 'statement.started',
    ts,
    session: s.session.session,
    statement,
    user: s.session.identity.user,
    role: s.roles.role,
    protocol,
    sql,
    params,
    preparedName,
    portal,
    redaction: null,
  };
  let promise: Promise<void> | null;
  try {
    promise = s.session.sink.record(event);
  } catch (err) {
    // A sink that throws has not recorded the statement: the session must not forward it.
    promise = Promise.reject(err);
  }
  return { run, promise };
}

/**
 * The statement leaves pgtrail once its record is durable: its duration starts then. If the record
 * cannot be made durable the session does not forward the message, so the server never answers it:
 * the statement waits in notRecorded for the session to say how it refused it (batchRefused).
 */
export function watchDurable(
  s: ObserverState,
  promise: Promise<void>,
  runs: readonly StatementRun[],
  pending: PendingMessage,
): Promise<void> {
  promise.then(
    () => {
      const now = s.options.clock();
      for (const run of runs) run.sentAt = now;
    },
    () => {
      const at = s.queue.indexOf(pending);
      if (at >= 0) s.queue.splice(at, 1);
      for (const run of runs) {
        if (run.isComplete) continue;
        run.skip();
        s.notRecorded.push(run);
      }
    },
  );
  return promise;
}
