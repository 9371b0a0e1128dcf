/**
 * One client connection from its first byte to its close: startup negotiation, authentication by the
 * session's strategy, the rest of the startup relayed from the server, session events, then forwarding.
 *
 * Events on the sink: session.opened once the server has sent AuthenticationOk, BackendKeyData and
 * ReadyForQuery (in strict durability the client gets its ReadyForQuery only once that event is
 * durable); session.auth_failed when authentication or the rest of startup fails; session.closed when
 * an opened session ends. The steps live in session-startup.ts and session-forwarding.ts, over one
 * SessionState (session-state.ts); this file starts them, bounds the startup in time and answers
 * the proxy server's handle.
 */
import type { Socket } from 'node:net';
import type { CloseReason } from '../recorder/events.js';
import { BackendError } from './backend-error.js';
import { errorResponse } from './protocol/backend-messages.js';
import type { ConnectionOutcome } from './proxy-counters.js';
import { newSessionId } from './session-id.js';
import { runStartup } from './session-startup.js';
import { errorSummary, type SessionDeps, type SessionState } from './session-state.js';
import { ChannelClosedError } from './startup-channel.js';

export type { SessionDeps } from './session-state.js';

/** A live session as the proxy server tracks it. */
export interface SessionHandle {
  readonly id: string;
  /** Ms timestamp since which the session waits for its client, or 0 when it is not idle (or not yet forwarding). */
  idleSince(): number;
  /** Ends the session from pgtrail's side with this error (57P01 at shutdown, 57P05 when idle). */
  stop(reason: CloseReason, error: BackendError): void;
  /** Settles when the connection is fully done with. */
  readonly done: Promise<void>;
  /** How the connection ended (or is ending); 'dropped' until it is known. */
  readonly outcome: ConnectionOutcome;
}

/** Runs one client connection; returns its handle at once (the work goes on in the background). */
export function runSession(socket: Socket, deps: SessionDeps): SessionHandle {
  const { limits } = deps.config;
  socket.setNoDelay(true);
  if (limits.keepaliveMs > 0) socket.setKeepAlive(true, limits.keepaliveMs);
  socket.on('error', () => {});
  const s = newSessionState(socket, deps);
  const done = new Promise<void>((resolve) => {
    s.resolveDone = resolve;
  });
  boundStartup(s);
  return {
    id: s.id,
    idleSince: () => s.forwarder?.idleSince ?? 0,
    stop: (reason, error) => {
      if (s.forwarder) s.forwarder.stop(reason, error);
      else if (s.abortStartup) s.abortStartup(error);
      else s.stopRequest = { reason, error };
    },
    done,
    get outcome() {
      return s.outcome;
    },
  };
}

function newSessionState(socket: Socket, deps: SessionDeps): SessionState {
  const id = newSessionId();
  return {
    id,
    socket,
    peer: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    log: deps.logger.child({ session: id }),
    deps,
    clientChannel: null,
    upstreamLink: null,
    forwarder: null,
    observer: null,
    abortStartup: null,
    startupAbandoned: false,
    stopRequest: null,
    cancelTarget: () => {},
    attempt: null,
    refusalRecorded: false,
    outcome: 'dropped',
    resolveDone: () => {},
  };
}

/** Runs the startup against limits.startupTimeoutMs and a stop from the server; settles it either way. */
function boundStartup(s: SessionState): void {
  const timeout = setTimeout(() => {
    s.abortStartup?.(new BackendError('STARTUP_TIMEOUT', '08P01', 'canceling authentication due to timeout'));
  }, s.deps.config.limits.startupTimeoutMs);
  timeout.unref();
  const aborted = new Promise<never>((_, reject) => {
    s.abortStartup = reject;
  });
  aborted.catch(() => {});
  Promise.race([runStartup(s), aborted]).then(
    () => {
      clearTimeout(timeout);
      s.abortStartup = null;
      if (s.forwarder === null) closeStartup(s, null);
    },
    (err: unknown) => {
      clearTimeout(timeout);
      s.abortStartup = null;
      s.startupAbandoned = true;
      refuseStartup(s, err);
    },
  );
}

/** The startup failed or was aborted: the client is told why when it is a BackendError. */
function refuseStartup(s: SessionState, err: unknown): void {
  if (err instanceof BackendError) {
    s.outcome = 'refused';
    s.log.info({ code: err.code, sqlstate: err.sqlstate || undefined }, 'session refused');
    recordRefusal(s, err);
    closeStartup(s, err);
    return;
  }
  if (!(err instanceof ChannelClosedError)) s.log.info({ err: errorSummary(err) }, 'connection dropped during startup');
  closeStartup(s, null);
}

/**
 * A refusal that authentication did not record itself (a bad startup packet, TLS required, a
 * timeout, shutdown): recorded as session.auth_failed within the proxy's rate bound.
 */
function recordRefusal(s: SessionState, err: BackendError): void {
  if (s.refusalRecorded) return;
  s.refusalRecorded = true;
  const attempt = s.attempt;
  s.deps.refusals.record({
    session: s.id,
    client: s.peer,
    user: attempt?.user ?? '',
    database: attempt?.database ?? '',
    application: attempt?.application ?? '',
    method: attempt?.method ?? null,
    code: err.sqlstate,
    reason: err.message,
  });
}

/** Ends a connection that never reached forwarding, with `error` sent to the client first when given. */
function closeStartup(s: SessionState, error: BackendError | null): void {
  if (error && s.clientChannel) s.clientChannel.write(errorResponse(error));
  const client = s.clientChannel?.socket ?? s.socket;
  client.end();
  s.upstreamLink?.socket.destroy();
  setTimeout(() => client.destroy(), 1_000).unref();
  client.once('close', s.resolveDone);
  if (client.destroyed) s.resolveDone();
}
