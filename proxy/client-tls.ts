/**
 * TLS towards clients: the secure context built once from tls.certFile/keyFile/caFile, and the
 * upgrade of a client socket, after SSLRequest or for PostgreSQL 17 direct TLS (first byte 0x16,
 * ALPN "postgresql").
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { ClientTlsConfig } from '../config/config.js';
import { ProxyStartError } from './proxy-start-error.js';

/** The ALPN protocol name PostgreSQL registers (required for direct TLS). */
export const POSTGRES_ALPN = 'postgresql';

/** What upgrading a client to TLS needs. */
export interface ClientTlsContext {
  readonly secureContext: SecureContext;
  /** Ask clients for a certificate (when a CA to check them against is configured). */
  readonly requestCert: boolean;
}

/** Builds the context, or null when client TLS is disabled or has no certificate; throws ProxyStartError. */
export function clientTlsContext(config: ClientTlsConfig): ClientTlsContext | null {
  if (config.mode === 'disable') return null;
  if (config.certFile === null || config.keyFile === null) {
    if (config.mode === 'require')
      throw new ProxyStartError('PROXY_TLS_FILES_MISSING', 'tls.mode require needs tls.certFile and tls.keyFile');
    return null;
  }
  try {
    const ca = config.caFile === null ? undefined : readFileSync(config.caFile);
    const secureContext = createSecureContext({
      cert: readFileSync(config.certFile),
      key: readFileSync(config.keyFile),
      ...(ca ? { ca } : {}),
    });
    return { secureContext, requestCert: ca !== undefined };
  } catch (err) {
    throw new ProxyStartError('PROXY_TLS_FILES_UNREADABLE', 'cannot use the tls certificate or key files', {
      cause: err,
    });
  }
}

/**
 * Starts TLS as the server on a client socket that is paused, with `already` the bytes read from it
 * but not consumed (the start of a direct-TLS ClientHello). Resolves once the handshake is done.
 */
export function upgradeClient(socket: Socket, already: Buffer, context: ClientTlsContext): Promise<TLSSocket> {
  if (already.length > 0) socket.unshift(already);
  const secure = new TLSSocket(socket, {
    isServer: true,
    secureContext: context.secureContext,
    ALPNProtocols: [POSTGRES_ALPN],
    requestCert: context.requestCert,
    // Certificates are checked by the identity strategy that uses them, not by the handshake.
    rejectUnauthorized: false,
  });
  secure.on('error', () => {});
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('client closed the connection during the tls handshake'));
    secure.once('secure', () => {
      secure.off('close', onClose);
      resolve(secure);
    });
    secure.once('close', onClose);
    secure.once('error', (err) => reject(err));
  });
}
