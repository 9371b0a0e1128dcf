/**
 * The messages between the metrics listener's worker thread (metrics-listener-worker.ts, which owns
 * the HTTP server) and the thread that owns the registry (metrics-server.ts). Structured-clone data
 * only: plain objects and strings.
 */

/** Where the worker listens: its workerData. */
export interface ListenerSettings {
  readonly host: string;
  readonly port: number;
}

/** From the worker: what happened to the listener, or a scrape to answer. */
export type ListenerMessage =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'listen-failed'; readonly message: string; readonly code: string | null }
  /** A GET or HEAD of /metrics arrived; answer with a `text` or `unavailable` carrying the same id. */
  | { readonly type: 'scrape'; readonly id: number };

/** To the worker: a scrape's answer, or the order to stop. */
export type OwnerMessage =
  | { readonly type: 'text'; readonly id: number; readonly body: string; readonly contentType: string }
  | { readonly type: 'unavailable'; readonly id: number }
  | { readonly type: 'close' };
