/**
 * One client connection from its first byte to its close: startup negotiation, authentication by the
 * session's strategy, the rest of the startup relayed from the server, session events, then forwarding.
 *
 * Events on the sink: session.opened once the server has sent AuthenticationOk, BackendKeyData and
 * ReadyForQuery (in strict durability the client gets its ReadyForQuery only once that event is
 * durable); session.auth_failed when authentication or the rest of startup fails; session.closed when
 * an opened session ends.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { sinkRefusal, type CloseReason, type EventSink, type Peer, type SessionOpened } from '../recorder/events.js';
import type { AuthStrategySelector } from './auth/client-auth.js';
import { BackendError } from './backend-error.js';
import type { CancelRegistry } from './cancel-registry.js';
import { negotiateClientStartup } from './client-startup.js';
import type { ClientTlsContext } from './client-tls.js';
import { Forwarder, type ForwardEnd } from './forwarder.js';
import { IdentityRefusal } from './identity/managed-auth-strategy.js';
import {
  authenticationOk,
  backendKeyData,
  errorResponse,
  negotiateProtocolVersion,
} from './protocol/backend-messages.js';
import { parseErrorFields } from './protocol/error-fields.js';
import { newSessionId } from './session-id.js';
import { ChannelClosedError, type StartupChannel } from './startup-channel.js';
import { readStartupRest, type StartupRest } from './startup-rest.js';
import type { ObserverFactory, TrafficObserver } from './traffic-observer.js';
import { connectUpstream, sendUpstreamCancel, type UpstreamTarget } from './upstream-connect.js';
import type { UpstreamLink } from './upstream-link.js';

/** What every session shares: built once by startProxy. */
export interface SessionDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly sink: EventSink;
  /** null when statements are not observed (silentObserver): the forwarding path then allocates nothing per message. */
  readonly observe: ObserverFactory | null;
  readonly selectStrategy: AuthStrategySelector;
  readonly upstream: UpstreamTarget;
  readonly clientTls: ClientTlsContext | null;
  readonly cancels: CancelRegistry;
  /** This proxy's instance name, carried in session records. */
  readonly instance: string;
  /** Number of sessions currently authenticated or authenticating, this one excluded. */
  activeSessions(): number;
}

/** A live session as the proxy server tracks it. */
export interface SessionHandle {
  readonly id: string;
  /** Ms timestamp since which the session waits for its client, or 0 when it is not idle (or not yet forwarding). */
  idleSince(): number;
  /** Ends the session from pgtrail's side with this error (57P01 at shutdown, 57P05 when idle). */
  stop(reason: CloseReason, error: BackendError): void;
  /** Settles when the connection is fully done with. */
  readonly done: Promise<void>;
}

const SESSION_OPENED_NOT_RECORDED = 'the session could not be recorded';

/** Runs one client connection; returns its handle at once (the work goes on in the background). */
export function runSession(socket: Socket, deps: SessionDeps): SessionHandle {
  const id = newSessionId();
  const peer: Peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  const log = deps.logger.child({ session: id });
  const { limits } = deps.config;
  socket.setNoDelay(true);
  if (limits.keepaliveMs > 0) socket.setKeepAlive(true, limits.keepaliveMs);
  socket.on('error', () => {});

  let forwarder: Forwarder | null = null;
  let stopRequest: { reason: CloseReason; error: BackendError } | null = null;
  let clientChannel: StartupChannel | null = null;
  let upstreamLink: UpstreamLink | null = null;
  let abortStartup: ((err: BackendError) => void) | null = null;
  let startupAbandoned = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const closeStartup = (error: BackendError | null): void => {
    if (error && clientChannel) clientChannel.write(errorResponse(error));
    const client = clientChannel?.socket ?? socket;
    client.end();
    upstreamLink?.socket.destroy();
    setTimeout(() => client.destroy(), 1_000).unref();
    client.once('close', resolveDone);
    if (client.destroyed) resolveDone();
  };

  const run = async (): Promise<void> => {
    const started = await negotiateClientStartup(socket, {
      mode: deps.config.tls.mode,
      tls: deps.clientTls,
      maxMessageBytes: limits.maxMessageBytes,
      onChannel: (channel) => {
        clientChannel = channel;
      },
    });
    if (started.kind === 'cancel') {
      handleCancel(started.request.pid, started.request.secret, peer, deps, log);
      started.socket.end();
      return;
    }
    const startup = started.startup;
    const channel = started.channel;
    const user = startup.params.get('user') ?? '';
    const database = startup.params.get('database') ?? user;
    const application = startup.params.get('application_name') ?? '';
    const failAuth = (err: BackendError): void => {
      const fields = err.serverBody ? parseErrorFields(err.serverBody) : { code: err.sqlstate, message: err.message };
      log.info({ user, database, code: fields.code, errorCode: err.code }, 'authentication failed');
      void deps.sink
        .record({
          type: 'session.auth_failed',
          ts: Date.now(),
          session: id,
          user,
          database,
          client: peer,
          application,
          code: fields.code,
          reason: err instanceof IdentityRefusal ? err.reason : fields.message,
          instance: deps.instance,
        })
        ?.catch(() => {});
    };
    try {
      if (deps.activeSessions() >= limits.maxConnections) {
        throw new BackendError('TOO_MANY_CONNECTIONS', '53300', 'sorry, too many clients already');
      }
      if (startup.minor > 0 || startup.protocolOptions.length > 0) {
        // Sent exactly once, before authentication, as PostgreSQL does: pgtrail speaks 3.0 and no _pq_ options.
        channel.write(negotiateProtocolVersion(0, startup.protocolOptions));
      }
      const strategy = deps.selectStrategy(startup, started.tls);
      const outcome = await strategy.authenticate({
        startup,
        client: channel,
        clientTls: started.tls,
        clientCertificate: started.clientCertificate,
        clientPeer: peer,
        connectUpstream: async (params, clientCertificate) => {
          upstreamLink = await connectUpstream(deps.upstream, params, clientCertificate ?? null);
          return upstreamLink;
        },
        logger: log,
      });
      upstreamLink = outcome.upstream;
      const rest = await readStartupRest(outcome.upstream);
      const secret = deps.cancels.register(rest.pid, { cancel: (from) => cancelTarget(from) });
      const opened: SessionOpened = {
        type: 'session.opened',
        ts: Date.now(),
        session: id,
        identity: outcome.identity,
        database,
        role: rest.params.get('session_authorization') ?? user,
        client: peer,
        upstream: outcome.upstream.peer,
        application: rest.params.get('application_name') ?? application,
        clientTls: started.tls,
        upstreamTls: outcome.upstream.tls,
        backendPid: rest.pid,
        serverVersion: rest.params.get('server_version') ?? '',
        instance: deps.instance,
      };
      const durable = deps.sink.record(opened);
      if (durable) {
        try {
          await durable;
        } catch (err) {
          deps.cancels.unregister(rest.pid, secret);
          const refusal = sinkRefusal(err);
          throw new BackendError(
            'NOT_RECORDED',
            refusal?.sqlstate ?? '58030',
            refusal === null ? SESSION_OPENED_NOT_RECORDED : `${SESSION_OPENED_NOT_RECORDED}: ${refusal.message}`,
            'FATAL',
            null,
            { cause: err },
          );
        }
      }
      log.info(
        {
          user: outcome.identity.user,
          database,
          client: peer,
          application: opened.application,
          clientTls: started.tls?.version ?? null,
          upstreamTls: outcome.upstream.tls?.version ?? null,
          backendPid: rest.pid,
          strategy: strategy.name,
        },
        'session opened',
      );
      startForwarding(opened, outcome.upstream, rest, secret);
    } catch (err) {
      if (err instanceof BackendError) failAuth(err);
      throw err;
    }
  };

  let observer: TrafficObserver | null = null;
  let cancelTarget: (from: Peer) => void = () => {};

  const startForwarding = (opened: SessionOpened, upstream: UpstreamLink, rest: StartupRest, secret: number): void => {
    if (startupAbandoned) {
      // The startup timed out or pgtrail shut down while this session was finishing authentication.
      deps.cancels.unregister(rest.pid, secret);
      upstream.socket.destroy();
      return;
    }
    const started = Date.now();
    const client = clientChannel as StartupChannel;
    // The closures below live as long as the session: they take the backend's key, not `rest`, so
    // that the startup messages relayed to the client (about 2 KiB per session) are let go.
    const { pid, secret: backendSecret } = rest;
    observer =
      deps.observe?.({
        session: id,
        identity: opened.identity,
        database: opened.database,
        role: opened.role,
        serverParams: rest.params,
        client: opened.client,
        sink: deps.sink,
      }) ?? null;
    cancelTarget = (from) => {
      log.info({ client: from }, 'cancel requested');
      observer?.cancelRequested(from);
      void sendUpstreamCancel(deps.upstream, pid, backendSecret).catch((err: unknown) =>
        log.warn({ err: errorSummary(err) }, 'cancel not delivered'),
      );
    };
    const clientBytes = client.detach();
    const upstreamBytes = upstream.channel.detach();
    const onEnd = (end: ForwardEnd): void => {
      deps.cancels.unregister(pid, secret);
      if (end.upstreamBusy) {
        // The backend may still be running what the vanished client sent: cancel it, Terminate follows.
        void sendUpstreamCancel(deps.upstream, pid, backendSecret).catch(() => {});
      }
      observer?.sessionEnded(end.reason);
      const durationMs = Date.now() - started;
      const level = end.reason === 'error' ? 'warn' : 'info';
      log[level](
        { reason: end.reason, durationMs, err: end.error ? errorSummary(end.error) : undefined },
        'session closed',
      );
      void deps.sink
        .record({
          type: 'session.closed',
          ts: Date.now(),
          session: id,
          reason: end.reason,
          durationMs,
          statements: observer?.statementCount ?? 0,
        })
        ?.catch((err: unknown) => log.error({ err: errorSummary(err) }, 'session close not recorded'));
      let open = 2;
      const closed = (): void => {
        if (--open === 0) resolveDone();
      };
      for (const s of [client.socket, upstream.socket]) {
        if (s.destroyed) closed();
        else s.once('close', closed);
      }
    };
    const output: Buffer[] = [authenticationOk(), ...rest.relay, backendKeyData(rest.pid, secret), rest.readyForQuery];
    client.socket.write(Buffer.concat(output));
    forwarder = new Forwarder(client.socket, upstream.socket, observer, deps.config.limits.maxMessageBytes, onEnd);
    forwarder.start(clientBytes, upstreamBytes);
    if (stopRequest) forwarder.stop(stopRequest.reason, stopRequest.error);
  };

  const timeout = setTimeout(() => {
    abortStartup?.(new BackendError('STARTUP_TIMEOUT', '08P01', 'canceling authentication due to timeout'));
  }, limits.startupTimeoutMs);
  timeout.unref();

  const aborted = new Promise<never>((_, reject) => {
    abortStartup = reject;
  });
  Promise.race([run(), aborted]).then(
    () => {
      clearTimeout(timeout);
      abortStartup = null;
      if (forwarder === null) closeStartup(null);
    },
    (err: unknown) => {
      clearTimeout(timeout);
      abortStartup = null;
      startupAbandoned = true;
      if (err instanceof BackendError) {
        log.info({ code: err.code, sqlstate: err.sqlstate || undefined }, 'session refused');
        closeStartup(err);
      } else {
        if (!(err instanceof ChannelClosedError))
          log.info({ err: errorSummary(err) }, 'connection dropped during startup');
        closeStartup(null);
      }
    },
  );
  aborted.catch(() => {});

  return {
    id,
    idleSince: () => forwarder?.idleSince ?? 0,
    stop: (reason, error) => {
      if (forwarder) forwarder.stop(reason, error);
      else if (abortStartup) abortStartup(error);
      else stopRequest = { reason, error };
    },
    done,
  };
}

function handleCancel(pid: number, secret: Buffer, peer: Peer, deps: SessionDeps, log: Logger): void {
  const target = deps.cancels.find(pid, secret);
  if (target) target.cancel(peer);
  else log.info({ client: peer }, 'cancel request with an unknown key ignored');
}

function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: err.message } : { message: err.message };
  }
  return { message: String(err) };
}
