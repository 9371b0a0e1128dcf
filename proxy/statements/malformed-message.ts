import type { StatementProtocol } from '../../recorder/events.js';
import { BackendError } from '../backend-error.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { emit, type ObserverState } from './observer-state.js';
import { toRecordedText } from './recorded-text.js';
import { startStatement } from './statement-start.js';

/** Protocol names of client messages by type byte (for the refusal's message), from the one table. */
const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(FrontendCode).map(([name, code]) => [code, name]));

/** The refusal's message for a malformed client message of type `code`. */
export function malformedText(code: number): string {
  return `malformed ${NAMES.get(code) ?? 'client'} message`;
}

/**
 * A client message pgtrail cannot decode (a Query without its terminating zero, a Bind whose
 * fields run past its end, bytes left over): pgtrail refuses it itself rather than let the server
 * judge what pgtrail could not record. It is recorded as a statement refused with 08P01 (a Query's
 * bytes as its `sql`; other messages carry no text, since their fields cannot be told apart), and
 * the thrown BackendError ends the session with that ErrorResponse; the message is never forwarded.
 */
export function refuseMalformed(s: ObserverState, code: number, body: Buffer): never {
  const message = malformedText(code);
  const protocol: StatementProtocol =
    code === FrontendCode.Query ? 'simple' : code === FrontendCode.FunctionCall ? 'function_call' : 'extended';
  const sql = code === FrontendCode.Query ? toRecordedText(body, s.utf8) : '';
  const { run, promise } = startStatement(s, protocol, sql, null, null, null);
  promise?.catch((err: unknown) => s.options.onInternalError?.(err));
  run.refuse({ code: '08P01', message }, run.sentAt);
  // No ReadyForQuery will come: the session ends here.
  emit(s, run.finish(run.sentAt, null));
  throw new BackendError('MALFORMED_MESSAGE', '08P01', message);
}
