/**
 * The proxy server: accepts client connections on config.listen and runs a session for each
 * (session.ts). It owns what spans sessions: the connection limit, the idle-session sweep, the cancel
 * keys and the shutdown drain.
 */
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import type { Config, HostPort } from '../config/config.js';
import type { EventSink } from '../recorder/events.js';
import type { AuthStrategySelector } from './auth/client-auth.js';
import { passthroughAuth } from './auth/passthrough.js';
import { BackendError } from './backend-error.js';
import { ClusterIdentity } from './cluster-identity.js';
import { CancelRegistry } from './cancel-registry.js';
import { clientTlsContext } from './client-tls.js';
import { ProxyCounters } from './proxy-counters.js';
import { ProxyStartError } from './proxy-start-error.js';
import { runSession, type SessionDeps, type SessionHandle } from './session.js';
import { StartupRefusals } from './startup-refusals.js';
import { silentObserver, type ObserverFactory } from './traffic-observer.js';
import type { TapFactory } from './traffic-tap.js';
import { upstreamTarget } from './upstream-connect.js';

/** What startProxy needs. */
export interface ProxyOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly sink: EventSink;
  readonly observe: ObserverFactory;
  /** Sessions handed whole to a tap instead of observed on the forwarding thread (traffic-tap.ts). */
  readonly tap?: TapFactory;
  /** How clients authenticate; passthrough for everyone when absent. */
  readonly selectStrategy?: AuthStrategySelector;
  /** The instance name carried in session records; by default the listen host:port (the real port). */
  readonly instance?: string;
}

/** A running proxy. */
export interface ProxyHandle {
  /** Where it listens (the real port when config.listen.port was 0). */
  readonly address: HostPort;
  /** Client connections open now (authenticating or forwarding). */
  readonly sessionCount: number;
  /** Connection and byte counters, read by the metrics endpoint. */
  readonly counters: ProxyCounters;
  /**
   * Stops accepting, lets sessions finish for limits.shutdownGraceMs, then ends those still open
   * with 57P01; resolves when every connection is closed.
   */
  close(): Promise<void>;
}

/** Starts listening; throws ProxyStartError when the TLS files or the address are unusable. */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const { config, logger } = options;
  const log = logger.child({ component: 'proxy' });
  const sessions = new Set<SessionHandle>();
  const counters = new ProxyCounters();
  const deps: SessionDeps & { instance: string } = {
    config,
    logger: log,
    sink: options.sink,
    // silentObserver records nothing: skip it entirely so that forwarding decodes headers only.
    observe: options.observe === silentObserver ? null : options.observe,
    tap: options.tap ?? null,
    selectStrategy: options.selectStrategy ?? (() => passthroughAuth),
    upstream: upstreamTarget(config.upstream, config.limits.keepaliveMs, config.limits.maxMessageBytes),
    clientTls: clientTlsContext(config.tls),
    cancels: new CancelRegistry(),
    clusterIdentity: new ClusterIdentity(),
    counters,
    // Set once listening: the default name holds the real port.
    instance: options.instance ?? '',
    refusals: new StartupRefusals(options.sink, (): string => deps.instance),
    activeSessions: () => sessions.size - 1,
  };
  const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    counters.connectionsAccepted++;
    const session = runSession(socket, deps);
    sessions.add(session);
    void session.done.then(() => {
      sessions.delete(session);
      counters.connectionsClosed[session.outcome]++;
    });
  });
  const address = await listen(server, config.listen);
  if (deps.instance === '') deps.instance = `${address.host}:${address.port}`;
  log.info(
    { listen: address, upstream: { host: config.upstream.host, port: config.upstream.port } },
    'proxy listening',
  );

  const idleTimeoutMs = config.limits.idleSessionTimeoutMs;
  const sweep =
    idleTimeoutMs > 0
      ? setInterval(
          () => {
            const now = Date.now();
            for (const s of sessions) {
              const since = s.idleSince();
              if (since > 0 && now - since >= idleTimeoutMs) {
                s.stop(
                  'idle_timeout',
                  new BackendError('IDLE_TIMEOUT', '57P05', 'terminating connection due to idle-session timeout'),
                );
              }
            }
          },
          Math.max(10, Math.min(1_000, Math.floor(idleTimeoutMs / 4))),
        )
      : null;
  sweep?.unref();

  let closing: Promise<void> | null = null;
  return {
    address,
    counters,
    get sessionCount() {
      return sessions.size;
    },
    close() {
      // Refusals held back by the rate bound are summarised before the journal closes.
      closing ??= drain(server, sessions, config.limits.shutdownGraceMs, log, sweep).then(() => deps.refusals.flush());
      return closing;
    },
  };
}

function listen(server: Server, at: HostPort): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new ProxyStartError('PROXY_LISTEN_FAILED', `cannot listen on ${at.host}:${at.port}`, { cause: err })),
    );
    server.listen(at.port, at.host, () => {
      const a = server.address();
      resolve(a !== null && typeof a === 'object' ? { host: a.address, port: a.port } : at);
    });
  });
}

async function drain(
  server: Server,
  sessions: Set<SessionHandle>,
  graceMs: number,
  log: Logger,
  sweep: NodeJS.Timeout | null,
): Promise<void> {
  if (sweep) clearInterval(sweep);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  log.info({ sessions: sessions.size, graceMs }, 'proxy draining');
  const all = (): Promise<unknown> => Promise.all([...sessions].map((s) => s.done));
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace'>((resolve) => {
    timer = setTimeout(() => resolve('grace'), graceMs);
  });
  const outcome = await Promise.race([all().then(() => 'drained' as const), graceOver]);
  clearTimeout(timer);
  if (outcome === 'grace') {
    log.info({ sessions: sessions.size }, 'proxy ending remaining sessions');
    for (const s of sessions)
      s.stop('shutdown', new BackendError('SHUTDOWN', '57P01', 'terminating connection due to administrator command'));
    await all();
  }
  await closed;
  log.info({}, 'proxy stopped');
}
