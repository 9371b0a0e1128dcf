import { serverError } from './auth/upstream-password-auth.js';
import { upstreamProtocolViolation } from './backend-error.js';
import { backendMessage } from './protocol/backend-messages.js';
import { BackendCode } from './protocol/message-codes.js';
import type { UpstreamLink } from './upstream-link.js';

/** What the server sent after AuthenticationOk, up to ReadyForQuery. */
export interface StartupRest {
  readonly params: Map<string, string>;
  /** ParameterStatus and NoticeResponse messages to pass on to the client, in order. */
  readonly relay: Buffer[];
  readonly pid: number;
  readonly secret: number;
  readonly readyForQuery: Buffer;
}

/**
 * Reads what the server sends after AuthenticationOk: ParameterStatus and notices (kept to relay),
 * BackendKeyData (kept for cancels, never relayed) and ReadyForQuery; an ErrorResponse is thrown as
 * the server's own error.
 */
export async function readStartupRest(upstream: UpstreamLink): Promise<StartupRest> {
  const params = new Map<string, string>();
  const relay: Buffer[] = [];
  let key: { pid: number; secret: number } | null = null;
  for (;;) {
    const { code, body } = await upstream.channel.readMessage();
    if (code === BackendCode.ParameterStatus) {
      const nameEnd = body.indexOf(0);
      const valueEnd = body.indexOf(0, nameEnd + 1);
      if (nameEnd < 0 || valueEnd < 0) throw upstreamProtocolViolation('server sent a malformed ParameterStatus');
      params.set(body.toString('utf8', 0, nameEnd), body.toString('utf8', nameEnd + 1, valueEnd));
      relay.push(backendMessage(code, body));
    } else if (code === BackendCode.NoticeResponse) {
      relay.push(backendMessage(code, body));
    } else if (code === BackendCode.BackendKeyData) {
      if (body.length !== 8) throw upstreamProtocolViolation('server sent a malformed BackendKeyData');
      key = { pid: body.readInt32BE(0), secret: body.readInt32BE(4) };
    } else if (code === BackendCode.ErrorResponse) {
      throw serverError(body);
    } else if (code === BackendCode.ReadyForQuery) {
      if (key === null) throw upstreamProtocolViolation('server sent no BackendKeyData');
      return { params, relay, pid: key.pid, secret: key.secret, readyForQuery: backendMessage(code, body) };
    } else {
      throw upstreamProtocolViolation('server sent an unexpected message during startup');
    }
  }
}
