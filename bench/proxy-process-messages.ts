import type { SyncCounters } from './pgbench-matrix.js';

/**
 * What the proxy process runs: a bare Node relay (the reference), or pgtrail recording nothing or the
 * journal in one durability; `unwritten` (opt-in, issue 16) records as batched up to the writer, which
 * it leaves out (unwritten-sink.ts).
 */
export type RecordingMode = 'relay' | 'off' | 'batched' | 'strict' | 'unwritten' | 'batched-inline';

/** Passed to bench/proxy-process.js as its one argument, in JSON. */
export interface ProxyProcessSettings {
  readonly mode: RecordingMode;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  readonly journalDir: string;
  /** Serve /metrics on a free port (metrics.enabled); recording modes only. */
  readonly metrics?: boolean;
}

/** Harness to proxy process, over the IPC channel. */
export type ProxyProcessRequest = { readonly type: 'gc' } | { readonly type: 'counters' } | { readonly type: 'stop' };

/** Proxy process to harness; each request gets one reply of its own type. */
export type ProxyProcessReply =
  | { readonly type: 'ready'; readonly host: string; readonly port: number; readonly metricsPort: number | null }
  | { readonly type: 'gc'; readonly heapBytes: number }
  | { readonly type: 'counters'; readonly counters: SyncCounters | null }
  | { readonly type: 'stop' }
  | { readonly type: 'failed'; readonly message: string };
