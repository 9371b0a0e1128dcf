/**
 * The metrics listener: GET /metrics answers the registry in the Prometheus text format; anything
 * else is 404 (405 for another method on /metrics). It serves counts only — no SQL, parameters or
 * secrets, and user and database names only within metrics.maxUserLabels — so it needs no login,
 * and it binds to 127.0.0.1 unless configured otherwise.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { HostPort } from '../config/config.js';
import type { Registry } from 'prom-client';
import { MetricsError } from './metrics-error.js';

/** A running metrics listener. */
export interface MetricsServer {
  /** Where it listens (the real port when the configured one was 0). */
  readonly address: HostPort;
  close(): Promise<void>;
}

/** Starts serving `registry` on `at`; throws MetricsError (METRICS_LISTEN_FAILED) when the address is unusable. */
export function startMetricsServer(at: HostPort, registry: Registry): Promise<MetricsServer> {
  const server = createServer((req, res) => void answer(req, res, registry));
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new MetricsError('METRICS_LISTEN_FAILED', `cannot listen for metrics on ${at.host}:${at.port}`, { cause: err }),
      ),
    );
    server.listen(at.port, at.host, () => {
      const a = server.address();
      const address = a !== null && typeof a === 'object' ? { host: a.address, port: a.port } : at;
      resolve({
        address,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function answer(req: IncomingMessage, res: ServerResponse, registry: Registry): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
  }
}
