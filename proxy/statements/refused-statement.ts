import type { ObserverState, RefusedStatement } from './observer-state.js';
import type { PendingMessage } from './pending-message.js';
import type { Portal, PreparedStatement } from './prepared-statements.js';
import type { RecordedError, StatementRun } from './statement-run.js';
import { startStatement } from './statement-start.js';

type Describe = Extract<PendingMessage, { kind: 'describe' }>;

/** The server refused a Parse (a syntax error, 25P02 in a failed transaction, 42P05 a name in use). */
export function refusedParse(error: RecordedError, prepared: PreparedStatement): RefusedStatement {
  return {
    error,
    prepared,
    portal: null,
    unknownName: null,
    sql: prepared.sql,
    params: null,
    preparedName: prepared.name,
    portalName: null,
  };
}

/** The server refused a Bind (a bad parameter value, 26000 an unknown statement, 42P03 a portal in use). */
export function refusedBind(error: RecordedError, portal: Portal): RefusedStatement {
  return {
    error,
    prepared: null,
    portal,
    unknownName: null,
    sql: portal.prepared?.sql ?? '',
    params: portal.params,
    preparedName: portal.statement,
    portalName: portal.name,
  };
}

/** The server refused a Describe (26000 an unknown statement, 34000 an unknown portal). */
export function refusedDescribe(error: RecordedError, describe: Describe): RefusedStatement {
  const portal = describe.portal;
  const prepared = describe.prepared ?? portal?.prepared ?? null;
  return {
    error,
    prepared: describe.prepared,
    portal,
    unknownName: describe.target === 'S' && describe.prepared === null ? describe.name : null,
    sql: prepared?.sql ?? '',
    params: portal?.params ?? null,
    preparedName: describe.target === 'S' ? describe.name : (portal?.statement ?? null),
    portalName: describe.target === 'P' ? describe.name : null,
  };
}

/** True when an Execute of `portal` is the statement the refused message was about. */
export function isRefusedStatement(refused: RefusedStatement, portal: Portal | null): boolean {
  if (portal === null) return false;
  if (refused.portal === portal) return true;
  if (refused.prepared !== null) return refused.prepared === portal.prepared;
  return refused.unknownName !== null && portal.prepared === null && portal.statement === refused.unknownName;
}

/**
 * A refusal no Execute took: it becomes a statement record of its own, not executed, with the
 * server's error. Its statement.started is written after the fact, so it never gates forwarding.
 */
export function recordRefused(s: ObserverState, refused: RefusedStatement): StatementRun {
  const { run, promise } = startStatement(
    s,
    'extended',
    refused.sql,
    refused.params,
    refused.preparedName,
    refused.portalName,
  );
  promise?.catch((err: unknown) => s.options.onInternalError?.(err));
  run.refuse(refused.error, run.sentAt);
  return run;
}
