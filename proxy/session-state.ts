import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { CloseReason, EventSink, IdentityMethod, Peer } from '../recorder/events.js';
import type { AuthStrategySelector } from './auth/client-auth.js';
import type { BackendError } from './backend-error.js';
import type { CancelRegistry } from './cancel-registry.js';
import type { ClientTlsContext } from './client-tls.js';
import type { ClusterIdentity } from './cluster-identity.js';
import type { ConnectionOutcome, ProxyCounters } from './proxy-counters.js';
import type { StartupRefusals } from './startup-refusals.js';
import type { Forwarder } from './forwarder.js';
import type { StartupChannel } from './startup-channel.js';
import type { ObserverFactory, TrafficObserver } from './traffic-observer.js';
import type { TapFactory } from './traffic-tap.js';
import type { UpstreamTarget } from './upstream-connect.js';
import type { UpstreamLink } from './upstream-link.js';

/** What the client said it is in its StartupMessage (nothing proven yet). */
export interface StartupAttempt {
  readonly user: string;
  readonly database: string;
  readonly application: string;
  /** Set once the strategy is chosen: passthrough; managed identity says on its refusals which method was tried. */
  method: IdentityMethod['kind'] | null;
}

/** What every session shares: built once by startProxy. */
export interface SessionDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly sink: EventSink;
  /** null when statements are not observed (silentObserver): the forwarding path then allocates nothing per message. */
  readonly observe: ObserverFactory | null;
  /** Instead of an observer: each session's chunks go whole to a tap (traffic-tap.ts, batched only). */
  readonly tap?: TapFactory | null;
  readonly selectStrategy: AuthStrategySelector;
  readonly upstream: UpstreamTarget;
  readonly clientTls: ClientTlsContext | null;
  readonly cancels: CancelRegistry;
  /** The upstream cluster's system identifier, learned once per process (cluster-identity.ts). */
  readonly clusterIdentity: ClusterIdentity;
  /** Traffic counters for the metrics endpoint. */
  readonly counters: ProxyCounters;
  /** This proxy's instance name, carried in session records. */
  readonly instance: string;
  /** Records startups refused before authentication decided, within a rate bound. */
  readonly refusals: StartupRefusals;
  /** Number of sessions currently authenticated or authenticating, this one excluded. */
  activeSessions(): number;
}

/**
 * One client connection's state, from its first byte to its close. The startup (session-startup.ts)
 * fills it in step by step; forwarding (session-forwarding.ts) takes it over once the session is
 * open; the handle (session.ts) reads it to stop the session from pgtrail's side.
 */
export interface SessionState {
  readonly id: string;
  readonly socket: Socket;
  readonly peer: Peer;
  readonly log: Logger;
  readonly deps: SessionDeps;
  /** The channel the client is read and answered on (plaintext, then TLS), once negotiation opened one. */
  clientChannel: StartupChannel | null;
  /** The upstream connection, once authentication opened it. */
  upstreamLink: UpstreamLink | null;
  /** Set once the session forwards traffic. */
  forwarder: Forwarder | null;
  observer: TrafficObserver | null;
  /** Rejects the startup (timeout, shutdown) while it is under way; null once it has settled. */
  abortStartup: ((err: BackendError) => void) | null;
  /** The startup timed out or pgtrail shut down while authentication was finishing: do not forward. */
  startupAbandoned: boolean;
  /** A stop asked for between the end of the startup and the start of forwarding. */
  stopRequest: { reason: CloseReason; error: BackendError } | null;
  /** Sends a CancelRequest for this session's backend (set once the backend's key is known). */
  cancelTarget: (from: Peer) => void;
  /** What the client's StartupMessage said, once it was read. */
  attempt: StartupAttempt | null;
  /** Set once this connection's refusal is on its way to the journal (never two records for one). */
  refusalRecorded: boolean;
  /** How the connection ended (or is ending), for the metrics; 'dropped' until known. */
  outcome: ConnectionOutcome;
  /** Settles the handle's `done`. */
  resolveDone: () => void;
}

/** A log-safe summary of an error: its code and message, never its stack or its fields. */
export function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: err.message } : { message: err.message };
  }
  return { message: String(err) };
}
