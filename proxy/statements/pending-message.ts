import type { Portal, PreparedStatement } from './prepared-statements.js';
import type { StatementRange } from './statement-splitter.js';
import type { StatementRun } from './statement-run.js';

/** A multi-statement Query string as sent, kept until its ReadyForQuery to place an error's position. */
export interface QueryText {
  /** A copy of the query bytes (without the terminating zero). */
  readonly bytes: Buffer;
  /** The byte range of each statement, as the splitter found them (one per run). */
  readonly ranges: readonly StatementRange[];
}

/**
 * A client message the server has not yet answered in full, in the order sent. The server answers
 * messages strictly in order, so the head of the queue is what each server message is about.
 * `undo` reverts the client-side effect of a Parse, Bind or Close when the server skipped or
 * rejected it, checking identity so that a later message with the same name is not disturbed.
 */
export type PendingMessage =
  /** Query: ends at ReadyForQuery; `next` is the statement the server is on; `text` when it holds several. */
  | {
      readonly kind: 'query';
      readonly runs: readonly StatementRun[];
      next: number;
      readonly text: QueryText | null;
    }
  /** Parse: ends at ParseComplete. */
  | { readonly kind: 'parse'; readonly prepared: PreparedStatement; readonly undo: () => void }
  /** Bind: ends at BindComplete. */
  | { readonly kind: 'bind'; readonly portal: Portal; readonly undo: () => void }
  /** Describe: ends at RowDescription or NoData (after ParameterDescription for a statement). */
  | {
      readonly kind: 'describe';
      /** 'S' for a prepared statement, 'P' for a portal, and the name the client gave. */
      readonly target: 'S' | 'P';
      readonly name: string;
      readonly prepared: PreparedStatement | null;
      readonly portal: Portal | null;
    }
  /** Execute: ends at CommandComplete, EmptyQueryResponse, PortalSuspended or ErrorResponse. */
  | {
      readonly kind: 'execute';
      readonly run: StatementRun;
      readonly portal: Portal | null;
      readonly continues: boolean;
    }
  /** Close: ends at CloseComplete. */
  | { readonly kind: 'close'; readonly undo: () => void }
  /** Sync: ends at ReadyForQuery. */
  | { readonly kind: 'sync' }
  /** FunctionCall: ends at ReadyForQuery (after FunctionCallResponse or ErrorResponse). */
  | { readonly kind: 'function_call'; readonly run: StatementRun };

/** The statement a server message for this pending message is about, if any. */
export function currentRun(pending: PendingMessage | undefined): StatementRun | null {
  if (pending === undefined) return null;
  if (pending.kind === 'query') return pending.runs[pending.next] ?? null;
  if (pending.kind === 'execute' || pending.kind === 'function_call') return pending.run;
  return null;
}
