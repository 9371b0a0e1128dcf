import type { StatementProtocol } from '../../recorder/events.js';
import { BackendError } from '../backend-error.js';
import { ClientCode } from './client-messages.js';
import { emit, type ObserverState } from './observer-state.js';
import { toRecordedText } from './recorded-text.js';
import { startStatement } from './statement-start.js';

/** Protocol names of the client messages the observer decodes (for the refusal's message). */
const NAMES: Readonly<Record<number, string>> = {
  [ClientCode.Query]: 'Query',
  [ClientCode.Parse]: 'Parse',
  [ClientCode.Bind]: 'Bind',
  [ClientCode.Describe]: 'Describe',
  [ClientCode.Execute]: 'Execute',
  [ClientCode.Close]: 'Close',
  [ClientCode.FunctionCall]: 'FunctionCall',
};

/**
 * A client message pgtrail cannot decode (a Query without its terminating zero, a Bind whose
 * fields run past its end, bytes left over): pgtrail refuses it itself rather than let the server
 * judge what pgtrail could not record. It is recorded as a statement refused with 08P01 (a Query's
 * bytes as its `sql`; other messages carry no text, since their fields cannot be told apart), and
 * the thrown BackendError ends the session with that ErrorResponse; the message is never forwarded.
 */
export function refuseMalformed(s: ObserverState, code: number, body: Buffer): never {
  const message = `malformed ${NAMES[code] ?? 'client'} message`;
  const protocol: StatementProtocol =
    code === ClientCode.Query ? 'simple' : code === ClientCode.FunctionCall ? 'function_call' : 'extended';
  const sql = code === ClientCode.Query ? toRecordedText(body, s.utf8) : '';
  const { run, promise } = startStatement(s, protocol, sql, null, null, null);
  promise?.catch((err: unknown) => s.options.onInternalError?.(err));
  run.refuse({ code: '08P01', message }, run.sentAt);
  // No ReadyForQuery will come: the session ends here.
  emit(s, run.finish(run.sentAt, null));
  throw new BackendError('MALFORMED_MESSAGE', '08P01', message);
}
