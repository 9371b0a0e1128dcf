/**
 * The recorder service: the journal writer behind a WebSocket listener (ws, or wss with TLS), to
 * which proxies stream their events (docs/recorder-service.md). A peer is authenticated on its HTTP
 * upgrade, before the WebSocket exists: it must ask for the protocol's subprotocol and present
 * `Authorization: Bearer <token>` with a token of the token file; with a CA configured, the TLS
 * handshake also demands a client certificate signed by it. Anyone else gets an HTTP error and the
 * socket closed, so no unauthenticated peer can send a single frame.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { JournalWriter } from '../journal-writer.js';
import { subprotocol, wireLimits } from '../wire/recorder-frames.js';
import { bearerToken, type AccessTokens } from './access-tokens.js';
import type { InstanceSequences } from './instance-sequences.js';
import { RecorderConnection, type InstanceState } from './recorder-connection.js';
import { RecorderServiceCounters, upgradeRefusalReasons } from './recorder-service-counters.js';
import { RecorderServiceError, RecorderServiceErrorCode } from './recorder-service-error.js';

/** TLS of the listener: PEM certificate and key; with `ca`, clients must present a certificate it signed. */
export interface RecorderTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | null;
}

/** What startRecorderService needs. */
export interface RecorderServiceOptions {
  readonly host: string;
  readonly port: number;
  readonly writer: JournalWriter;
  readonly tokens: AccessTokens;
  readonly tls: RecorderTls | null;
  /** The last durable sequence number per instance, as read from the journal at start. */
  readonly sequences: InstanceSequences;
  readonly logger: Logger;
  /** Connections at once (default 1024); more are refused with 503 before the upgrade. */
  readonly maxConnections?: number;
  /** How long a new connection has to send Hello (default 10 s). */
  readonly helloTimeoutMs?: number;
  /** Answers plain HTTP requests (the viewer); without it they get 404. */
  readonly onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** A running recorder service. */
export interface RecorderService {
  readonly address: { readonly host: string; readonly port: number };
  readonly connectionCount: number;
  /** Per instance name, what the service accepted and acknowledged (those of the journal at start included). */
  readonly instances: ReadonlyMap<string, Readonly<InstanceState>>;
  /** Refused peers, batches and events (for the metrics endpoint). */
  readonly counters: RecorderServiceCounters;
  /** Refuses every connection with RECORDER_SHUTTING_DOWN and stops listening; the writer stays open. */
  close(): Promise<void>;
}

/** Starts listening; throws RecorderServiceError when the address or the TLS files are unusable. */
export async function startRecorderService(options: RecorderServiceOptions): Promise<RecorderService> {
  const log = options.logger.child({ component: 'recorder' });
  const instances = new Map<string, InstanceState>();
  for (const [name, seq] of options.sequences)
    instances.set(name, { accepted: seq, acknowledged: seq, connection: null, helloOrder: null });
  const connections = new Set<RecorderConnection>();
  const counters = new RecorderServiceCounters();
  const maxConnections = options.maxConnections ?? 1024;
  const deps = {
    writer: options.writer,
    instances,
    logger: log,
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    counters,
    helloInstances: 0,
  };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: wireLimits.maxFrameBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(subprotocol) ? subprotocol : false),
  });
  const onRequest =
    options.onRequest ??
    ((_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  let server: ReturnType<typeof createHttpServer>;
  try {
    server =
      options.tls === null
        ? createHttpServer(onRequest)
        : createHttpsServer(
            {
              cert: options.tls.cert,
              key: options.tls.key,
              ...(options.tls.ca === null ? {} : { ca: options.tls.ca, requestCert: true, rejectUnauthorized: true }),
              minVersion: 'TLSv1.2',
            },
            onRequest,
          );
  } catch (err) {
    throw new RecorderServiceError(
      RecorderServiceErrorCode.tlsFilesUnreadable,
      'the recorder tls certificate, key or ca cannot be used',
      { cause: err },
    );
  }
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refusal = upgradeRefusal(req, options.tokens, connections.size >= maxConnections);
    if (refusal !== null) {
      counters.refused(upgradeRefusalReasons[refusal.status]);
      log.warn({ status: refusal.status, peer: req.socket.remoteAddress }, 'recorder upgrade refused');
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${refusal.text.length + 1}\r\n\r\n${refusal.text}\n`,
      );
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new RecorderConnection(ws, deps, log);
      connections.add(connection);
      ws.on('close', () => connections.delete(connection));
    });
  });
  // A peer without an acceptable client certificate never reaches the upgrade: count it here.
  server.on('tlsClientError', () => counters.refused('tls_handshake'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new RecorderServiceError(RecorderServiceErrorCode.listenFailed, 'the recorder listen address is not usable', {
          cause: err,
        }),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address();
  const address = { host: options.host, port: typeof bound === 'object' && bound !== null ? bound.port : options.port };
  log.info(
    { listen: address, tls: options.tls !== null, clientCertificates: options.tls?.ca != null },
    'recorder listening',
  );
  return {
    address,
    get connectionCount() {
      return connections.size;
    },
    instances,
    counters,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) {
        c.refuse(new RecorderServiceError(RecorderServiceErrorCode.shuttingDown, 'the recorder is shutting down'));
      }
      server.closeAllConnections();
      wss.close();
      await closed;
    },
  };
}

/** Why an upgrade request is refused (HTTP status and text), or null when it may proceed. */
function upgradeRefusal(
  req: IncomingMessage,
  tokens: AccessTokens,
  full: boolean,
): { status: keyof typeof upgradeRefusalReasons; text: string } | null {
  const token = bearerToken(req.headers.authorization);
  if (token === null || !tokens.accepts(token)) return { status: 401, text: 'Unauthorized' };
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(subprotocol)) return { status: 426, text: 'Upgrade Required' };
  if (full) return { status: 503, text: 'Service Unavailable' };
  return null;
}
