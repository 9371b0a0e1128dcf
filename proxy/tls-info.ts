import type { TLSSocket } from 'node:tls';
import type { TlsInfo } from '../recorder/events.js';

/**
 * The TLS parameters of an established TLS socket, as recorded on session.opened; `peerIsClient`
 * when pgtrail is the TLS server (the client leg), whose peer certificate is a client certificate.
 */
export function tlsInfo(socket: TLSSocket, peerIsClient: boolean): TlsInfo {
  const cert = peerIsClient ? socket.getPeerCertificate() : null;
  const subject = cert?.subject ? formatSubject(cert.subject) : null;
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    clientCertSubject: subject,
  };
}

/** The DER bytes of the certificate the peer presented, or null. */
export function peerCertificateDer(socket: TLSSocket): Buffer | null {
  const cert = socket.getPeerCertificate();
  return cert?.raw ? cert.raw : null;
}

function formatSubject(subject: object): string | null {
  const parts = Object.entries(subject).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`);
  return parts.length > 0 ? parts.join(',') : null;
}
