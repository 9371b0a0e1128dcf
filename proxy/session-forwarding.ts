import type { Duplex } from 'node:stream';
import type { SessionOpened } from '../recorder/events.js';
import { Forwarder, type ForwardEnd } from './forwarder.js';
import { authenticationOk, backendKeyData } from './protocol/backend-messages.js';
import { errorSummary, type SessionState } from './session-state.js';
import type { StartupChannel } from './startup-channel.js';
import type { StartupRest } from './startup-rest.js';
import type { TappedSession, TrafficTap } from './traffic-tap.js';
import { sendUpstreamCancel } from './upstream-connect.js';
import type { UpstreamLink } from './upstream-link.js';

/**
 * The session is open (its session.opened recorded): the client gets AuthenticationOk, the server's
 * startup messages and its own BackendKeyData, and both directions go to a Forwarder.
 */
export function startForwarding(
  s: SessionState,
  opened: SessionOpened,
  upstream: UpstreamLink,
  rest: StartupRest,
  secret: number,
): void {
  const { deps } = s;
  if (s.startupAbandoned) {
    // The startup timed out or pgtrail shut down while this session was finishing authentication.
    deps.cancels.unregister(rest.pid, secret);
    upstream.socket.destroy();
    return;
  }
  const started = Date.now();
  s.outcome = 'forwarded';
  const client = s.clientChannel as StartupChannel;
  const watched: TappedSession = {
    session: s.id,
    identity: opened.identity,
    database: opened.database,
    role: opened.role,
    serverParams: rest.params,
    client: opened.client,
  };
  const tap = deps.tap?.(watched) ?? null;
  s.observer = tap !== null ? tap.guard : (deps.observe?.({ ...watched, sink: deps.sink }) ?? null);
  // The closures below live as long as the session: they take the backend's key, not `rest`, so
  // that the startup messages relayed to the client (about 2 KiB per session) are let go.
  const backend = { pid: rest.pid, secret: rest.secret };
  s.cancelTarget = (from) => {
    s.log.info({ client: from }, 'cancel requested');
    s.observer?.cancelRequested(from);
    tap?.cancelRequested(from);
    void sendUpstreamCancel(deps.upstream, backend.pid, backend.secret).catch((err: unknown) =>
      s.log.warn({ err: errorSummary(err) }, 'cancel not delivered'),
    );
  };
  const clientBytes = client.detach();
  const upstreamBytes = upstream.channel.detach();
  const onEnd = (end: ForwardEnd): void =>
    endForwarding(s, end, backend, secret, started, [client.socket, upstream.socket], tap);
  const output: Buffer[] = [authenticationOk(), ...rest.relay, backendKeyData(rest.pid, secret), rest.readyForQuery];
  client.socket.write(Buffer.concat(output));
  s.forwarder = new Forwarder(
    client.socket,
    upstream.socket,
    s.observer,
    deps.config.limits.maxMessageBytes,
    onEnd,
    deps.counters,
    tap,
  );
  s.forwarder.start(clientBytes, upstreamBytes);
  if (s.stopRequest) s.forwarder.stop(s.stopRequest.reason, s.stopRequest.error);
}

/** Forwarding ended: the backend is cancelled if it may still be busy, session.closed is recorded. */
function endForwarding(
  s: SessionState,
  end: ForwardEnd,
  backend: { readonly pid: number; readonly secret: number },
  secret: number,
  started: number,
  sockets: readonly Duplex[],
  tap: TrafficTap | null,
): void {
  const { deps } = s;
  deps.cancels.unregister(backend.pid, secret);
  if (end.upstreamBusy) {
    // The backend may still be running what the vanished client sent: cancel it, Terminate follows.
    void sendUpstreamCancel(deps.upstream, backend.pid, backend.secret).catch(() => {});
  }
  s.observer?.sessionEnded(end.reason);
  tap?.sessionEnded(end.reason);
  const durationMs = Date.now() - started;
  const level = end.reason === 'error' ? 'warn' : 'info';
  s.log[level](
    { reason: end.reason, durationMs, err: end.error ? errorSummary(end.error) : undefined },
    'session closed',
  );
  void deps.sink
    .record({
      type: 'session.closed',
      ts: Date.now(),
      session: s.id,
      reason: end.reason,
      durationMs,
      statements: s.observer?.statementCount ?? 0,
    })
    ?.catch((err: unknown) => s.log.error({ err: errorSummary(err) }, 'session close not recorded'));
  let open = sockets.length;
  const closed = (): void => {
    if (--open === 0) s.resolveDone();
  };
  for (const socket of sockets) {
    if (socket.destroyed) closed();
    else socket.once('close', closed);
  }
}
