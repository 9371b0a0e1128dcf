/**
 * The first packets of a client connection (PostgreSQL docs, "Message Flow", "Start-up"):
 * SSLRequest (answered 'S' and TLS started, or 'N'), GSSENCRequest (answered 'N'; the client goes on
 * in plaintext or with TLS), PostgreSQL 17 direct TLS (first byte 0x16, ALPN "postgresql" required),
 * then either a CancelRequest or the StartupMessage. Any of these may come at most once, in this order.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientTlsConfig } from '../config/config.js';
import type { TlsInfo } from '../recorder/events.js';
import { BackendError, protocolViolation } from './backend-error.js';
import { POSTGRES_ALPN, upgradeClient, type ClientTlsContext } from './client-tls.js';
import { SSLResponse, TLS_HANDSHAKE_BYTE } from './protocol/message-codes.js';
import { decodeStartupPacket, type CancelRequest, type StartupMessage } from './protocol/startup-packet.js';
import { StartupChannel } from './startup-channel.js';
import { peerCertificateDer, tlsInfo } from './tls-info.js';

/** How a client connection began. */
export type ClientStartup =
  | { readonly kind: 'cancel'; readonly request: CancelRequest; readonly socket: Duplex }
  | {
      readonly kind: 'session';
      readonly startup: StartupMessage;
      readonly channel: StartupChannel;
      readonly tls: TlsInfo | null;
      readonly clientCertificate: Buffer | null;
    };

/** What the negotiation needs from the proxy. */
export interface ClientStartupOptions {
  readonly mode: ClientTlsConfig['mode'];
  readonly tls: ClientTlsContext | null;
  readonly maxMessageBytes: number;
  /** Called with each channel as negotiation opens it (plaintext, then TLS): the one to answer errors on. */
  readonly onChannel: (channel: StartupChannel) => void;
}

const SSL_YES = Buffer.from([SSLResponse.Accepted]);
const SSL_NO = Buffer.from([SSLResponse.Refused]);

/** Runs the negotiation on a fresh client socket; throws BackendError for a client to be told, else other errors. */
export async function negotiateClientStartup(socket: Socket, options: ClientStartupOptions): Promise<ClientStartup> {
  let channel = new StartupChannel(socket, 'client', options.maxMessageBytes);
  options.onChannel(channel);
  let secure: Awaited<ReturnType<typeof upgradeClient>> | null = null;
  let gssAsked = false;
  const canTls = options.mode !== 'disable' && options.tls !== null;

  if ((await channel.peekByte()) === TLS_HANDSHAKE_BYTE) {
    if (!canTls || options.tls === null) throw new Error('direct tls is not enabled');
    const already = channel.detach();
    secure = await upgradeClient(socket, already, options.tls);
    // Direct TLS without ALPN is refused, as PostgreSQL 17 does, so that TLS to some other service cannot be replayed at pgtrail.
    if (secure.alpnProtocol !== POSTGRES_ALPN)
      throw protocolViolation('direct tls requires the alpn protocol postgresql');
    channel = new StartupChannel(secure, 'client', options.maxMessageBytes);
    options.onChannel(channel);
  }

  for (;;) {
    const packet = decodeStartupPacket(await channel.readStartupPacket());
    switch (packet.kind) {
      case 'SSLRequest': {
        if (secure !== null) throw protocolViolation('SSLRequest inside tls');
        // Bytes after SSLRequest and before the answer would be unencrypted data injected ahead of TLS.
        if (channel.bufferedBytes > 0) throw protocolViolation('received unencrypted data after SSLRequest');
        if (!canTls || options.tls === null) {
          channel.write(SSL_NO);
          continue;
        }
        channel.write(SSL_YES);
        const rest = channel.detach();
        secure = await upgradeClient(socket, rest, options.tls);
        channel = new StartupChannel(secure, 'client', options.maxMessageBytes);
        options.onChannel(channel);
        continue;
      }
      case 'GSSENCRequest':
        if (secure !== null || gssAsked) throw protocolViolation('unexpected GSSENCRequest');
        gssAsked = true;
        channel.write(SSL_NO);
        continue;
      case 'CancelRequest':
        channel.detach();
        return { kind: 'cancel', request: packet, socket: secure ?? socket };
      case 'StartupMessage':
        if (options.mode === 'require' && secure === null) {
          throw new BackendError(
            'TLS_REQUIRED',
            '28000',
            'pgtrail requires tls: connect with sslmode=require or stronger',
          );
        }
        return {
          kind: 'session',
          startup: packet,
          channel,
          tls: secure === null ? null : tlsInfo(secure, true),
          clientCertificate: secure === null ? null : peerCertificateDer(secure),
        };
    }
  }
}
