import type { Duplex } from 'node:stream';
import type { Peer, TlsInfo } from '../recorder/events.js';
import type { StartupChannel } from './startup-channel.js';

/** A connection to the upstream PostgreSQL during startup: the channel to talk on and what TLS it has. */
export interface UpstreamLink {
  readonly socket: Duplex;
  readonly channel: StartupChannel;
  /** The server's address as connected. */
  readonly peer: Peer;
  /** TLS parameters of this leg, or null when it is plaintext. */
  readonly tls: TlsInfo | null;
  /** The server's certificate (DER) when the leg is TLS: the input of SCRAM channel binding. */
  readonly serverCertificate: Buffer | null;
}
