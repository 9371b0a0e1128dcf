/**
 * How a client proves who it is: one strategy per session, chosen when its StartupMessage arrives.
 *
 * How a strategy plugs in: implement `ClientAuthStrategy.authenticate`. It talks to the client
 * through `ctx.client` (send Authentication* requests, read the PasswordMessage answers), opens the
 * upstream connection with `ctx.connectUpstream(params)` (pgtrail applies the upstream TLS settings
 * and sends the StartupMessage), authenticates there (e.g. with `authenticateUpstream` and
 * credentials the user never sees) and returns once the server has sent AuthenticationOk, which it
 * must consume. The session then sends AuthenticationOk to the client itself, relays the rest of the
 * startup (ParameterStatus, BackendKeyData, ReadyForQuery), emits session.opened with the returned
 * identity and starts forwarding. A strategy signals failure by throwing BackendError (28P01,
 * 28000, ...); the session sends it to the client and emits session.auth_failed. Strategies never
 * see forwarded traffic; forwarding code never sees credentials.
 */
import type { Logger } from 'pino';
import type { Identity, Peer, TlsInfo } from '../../recorder/events.js';
import type { StartupMessage } from '../protocol/startup-packet.js';
import type { StartupChannel } from '../startup-channel.js';
import type { UpstreamClientCertificate } from '../upstream-connect.js';
import type { UpstreamLink } from '../upstream-link.js';

/** What a strategy may use for one session. */
export interface AuthContext {
  /** The client's StartupMessage (user, database, application_name, options, ...). */
  readonly startup: StartupMessage;
  /** The client connection, message by message. */
  readonly client: StartupChannel;
  /** TLS on the client leg (its clientCertSubject names a presented certificate), or null. */
  readonly clientTls: TlsInfo | null;
  /** The DER certificate the client presented over TLS, or null. */
  readonly clientCertificate: Buffer | null;
  readonly clientPeer: Peer;
  /**
   * Connects to the upstream server and sends a StartupMessage with these parameters; presents
   * `clientCertificate` on the upstream TLS leg when given (proxy-managed upstream credentials).
   */
  connectUpstream(
    params: ReadonlyMap<string, string>,
    clientCertificate?: UpstreamClientCertificate | null,
  ): Promise<UpstreamLink>;
  readonly logger: Logger;
}

/** What an authenticated session starts with. */
export interface AuthOutcome {
  /** Who the user is, as recorded on every event of the session. */
  readonly identity: Identity;
  /** The upstream connection, just after the server's AuthenticationOk was consumed. */
  readonly upstream: UpstreamLink;
}

/** One way of authenticating clients (see the file comment). */
export interface ClientAuthStrategy {
  /** Short name for logs, e.g. 'passthrough'. */
  readonly name: string;
  authenticate(ctx: AuthContext): Promise<AuthOutcome>;
}

/** Chooses the strategy for a session from its StartupMessage and client TLS. */
export type AuthStrategySelector = (startup: StartupMessage, clientTls: TlsInfo | null) => ClientAuthStrategy;
