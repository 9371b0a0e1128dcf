/**
 * Opens the connection to the upstream PostgreSQL: TCP (TCP_NODELAY, keepalive), then TLS by
 * SSLRequest according to upstream.tls.mode with libpq's sslmode meanings (disable, prefer, require,
 * verify-ca, verify-full), then the StartupMessage.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { UpstreamConfig } from '../config/config.js';
import { BackendError, upstreamProtocolViolation } from './backend-error.js';
import { cancelRequest, sslRequest, startupMessage } from './protocol/frontend-messages.js';
import { SSLResponse } from './protocol/message-codes.js';
import { StartupChannel } from './startup-channel.js';
import { peerCertificateDer, tlsInfo } from './tls-info.js';
import type { UpstreamLink } from './upstream-link.js';

/** What opening an upstream connection needs from the config. */
export interface UpstreamTarget {
  readonly upstream: UpstreamConfig;
  readonly keepaliveMs: number;
  readonly maxMessageBytes: number;
  /** The CA bundle's contents, read once at start (null: the system's default CAs). */
  readonly ca: Buffer | null;
}

/** Reads the upstream CA file once; throws with the file in the message when unreadable. */
export function upstreamTarget(upstream: UpstreamConfig, keepaliveMs: number, maxMessageBytes: number): UpstreamTarget {
  const ca = upstream.tls.caFile === null ? null : readFileSync(upstream.tls.caFile);
  return { upstream, keepaliveMs, maxMessageBytes, ca };
}

/** A client certificate and key (PEM) that pgtrail presents on the upstream TLS leg. */
export interface UpstreamClientCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Connects, negotiates TLS (presenting `clientCertificate` when given) and sends a StartupMessage
 * with `params`; failures are BackendError 08006.
 */
export async function connectUpstream(
  target: UpstreamTarget,
  params: ReadonlyMap<string, string>,
  clientCertificate: UpstreamClientCertificate | null = null,
): Promise<UpstreamLink> {
  const link = await openLink(target, clientCertificate);
  link.channel.write(startupMessage(params));
  return link;
}

/** Sends a CancelRequest for an upstream backend on a new connection (TLS when the mode demands it). */
export async function sendUpstreamCancel(target: UpstreamTarget, pid: number, secret: number): Promise<void> {
  const mode = target.upstream.tls.mode;
  // A cancel carries no credentials; TLS only where the operator demanded it.
  const link = await openLink(
    mode === 'prefer'
      ? { ...target, upstream: { ...target.upstream, tls: { ...target.upstream.tls, mode: 'disable' } } }
      : target,
  );
  link.channel.detach();
  await new Promise<void>((resolve) => {
    link.socket.once('close', () => resolve());
    link.socket.once('error', () => resolve());
    link.socket.end(cancelRequest(pid, secret));
  });
}

async function openLink(
  target: UpstreamTarget,
  clientCertificate: UpstreamClientCertificate | null = null,
): Promise<UpstreamLink> {
  const { upstream } = target;
  const socket = await openTcp(target);
  const peer = { address: socket.remoteAddress ?? upstream.host, port: socket.remotePort ?? upstream.port };
  if (upstream.tls.mode === 'disable') {
    return {
      socket,
      peer,
      channel: new StartupChannel(socket, 'upstream', target.maxMessageBytes),
      tls: null,
      serverCertificate: null,
    };
  }
  const answerChannel = new StartupChannel(socket, 'upstream', target.maxMessageBytes);
  socket.write(sslRequest());
  let answer: number;
  try {
    answer = await answerChannel.readByte();
  } catch (err) {
    socket.destroy();
    throw unreachable('the upstream server closed the connection during tls negotiation', err);
  }
  if (answerChannel.bufferedBytes > 0) {
    socket.destroy();
    throw upstreamProtocolViolation('server sent unencrypted data after its tls answer');
  }
  answerChannel.detach();
  if (answer === SSLResponse.Refused) {
    if (upstream.tls.mode !== 'prefer') {
      socket.destroy();
      throw unreachable('the upstream server does not support tls', null);
    }
    return {
      socket,
      peer,
      channel: new StartupChannel(socket, 'upstream', target.maxMessageBytes),
      tls: null,
      serverCertificate: null,
    };
  }
  if (answer !== SSLResponse.Accepted) {
    socket.destroy();
    throw upstreamProtocolViolation('server sent an invalid answer to SSLRequest');
  }
  const tls = await startTls(socket, target, clientCertificate);
  return {
    socket: tls,
    peer,
    channel: new StartupChannel(tls, 'upstream', target.maxMessageBytes),
    tls: tlsInfo(tls, false),
    serverCertificate: peerCertificateDer(tls),
  };
}

function openTcp(target: UpstreamTarget): Promise<Socket> {
  const { host, port, connectTimeoutMs } = target.upstream;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true });
    // Errors are handled where the socket is read; this keeps one from ever being unhandled.
    socket.on('error', ignoreError);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable('timed out connecting to the upstream server', null));
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      if (target.keepaliveMs > 0) socket.setKeepAlive(true, target.keepaliveMs);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(unreachable('could not connect to the upstream server', err));
    };
    socket.once('error', onError);
  });
}

function startTls(
  socket: Socket,
  target: UpstreamTarget,
  clientCertificate: UpstreamClientCertificate | null,
): Promise<TLSSocket> {
  const { tls, host } = target.upstream;
  const verify = tls.mode === 'verify-ca' || tls.mode === 'verify-full';
  const name = tls.serverName ?? host;
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({
      socket,
      ...(target.ca !== null ? { ca: target.ca } : {}),
      ...(clientCertificate !== null ? { cert: clientCertificate.cert, key: clientCertificate.key } : {}),
      ...(isIP(name) === 0 ? { servername: name } : {}),
      rejectUnauthorized: verify,
      // verify-ca checks the chain only; verify-full also the name, as libpq does.
      checkServerIdentity: (_host, cert) => (tls.mode === 'verify-full' ? checkServerIdentity(name, cert) : undefined),
    });
    const onError = (err: Error): void => {
      secure.destroy();
      reject(unreachable('tls handshake with the upstream server failed', err));
    };
    secure.on('error', ignoreError);
    secure.once('error', onError);
    secure.once('secureConnect', () => {
      secure.off('error', onError);
      resolve(secure);
    });
  });
}

function unreachable(message: string, cause: unknown): BackendError {
  return new BackendError(
    'UPSTREAM_UNREACHABLE',
    '08006',
    message,
    'FATAL',
    null,
    cause === null ? undefined : { cause },
  );
}

function ignoreError(): void {}
