/**
 * The metrics listener: GET /metrics answers the registry in the Prometheus text format; anything
 * else is 404 (405 for another method on /metrics). It serves counts only — no SQL, parameters or
 * secrets, and user and database names only within metrics.maxUserLabels — so it needs no login,
 * and it binds to 127.0.0.1 unless configured otherwise.
 *
 * The HTTP server runs in a worker thread (metrics-listener-worker.ts says why); this side keeps
 * the registry and, for each scrape the worker passes on, formats the text and posts it back.
 */
import { Worker } from 'node:worker_threads';
import type { HostPort } from '../config/config.js';
import type { ListenerMessage, ListenerSettings, OwnerMessage } from './metrics-listener-messages.js';
import { MetricsError } from './metrics-error.js';

/** What a scrape answers: a prom-client Registry, or registries of two threads served as one (run-proxy.ts). */
export interface MetricsText {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** Where it listens (the real port when the configured one was 0). */
  readonly address: HostPort;
  close(): Promise<void>;
}

const workerUrl = new URL('./metrics-listener-worker.js', import.meta.url);

/**
 * Starts serving `registry` (the text of its metrics) on `at`; throws MetricsError (METRICS_LISTEN_FAILED) when the address is
 * unusable. `onFailure` hears of the listener's thread failing later (the proxy keeps forwarding).
 */
export function startMetricsServer(
  at: HostPort,
  registry: MetricsText,
  onFailure: (err: Error) => void = () => {},
): Promise<MetricsServer> {
  const settings: ListenerSettings = { host: at.host, port: at.port };
  const worker = new Worker(workerUrl, { workerData: settings });
  const post = (message: OwnerMessage): void => worker.postMessage(message);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let started = false;
    const listenFailed = (cause: Error): MetricsError =>
      new MetricsError('METRICS_LISTEN_FAILED', `cannot listen for metrics on ${at.host}:${at.port}`, { cause });
    worker.on('error', (err) => (started ? onFailure(err) : reject(listenFailed(err))));
    worker.once('exit', (code) => {
      if (!started) reject(listenFailed(new Error(`metrics listener thread exited (${code})`)));
    });
    worker.on('message', (message: ListenerMessage) => {
      switch (message.type) {
        case 'scrape':
          registry.metrics().then(
            (body) => post({ type: 'text', id: message.id, body, contentType: registry.contentType }),
            () => post({ type: 'unavailable', id: message.id }),
          );
          return;
        case 'listen-failed':
          reject(listenFailed(Object.assign(new Error(message.message), { code: message.code })));
          return;
        case 'listening':
          started = true;
          resolve({ address: { host: message.host, port: message.port }, close: () => close() });
          return;
      }
    });
    const close = async (): Promise<void> => {
      post({ type: 'close' });
      // The worker exits once its server has closed; a worker that does not is stopped.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    };
  });
}
