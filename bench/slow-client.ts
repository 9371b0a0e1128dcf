import pg from 'pg';
import { processMemory } from './process-memory.js';
import type { PgbenchTarget } from './pgbench.js';

/** How the slow-client check went: the result size, the pace, and the proxy's memory while it ran. */
export interface SlowClientResult {
  readonly target: string;
  readonly rows: number;
  /** Bytes the client received from the socket (protocol framing included). */
  readonly receivedBytes: number;
  readonly seconds: number;
  /** The pace the client read at, in MB/s (1 MB = 10^6 bytes). */
  readonly readMBps: number;
  /** RSS of the proxy process before the query. */
  readonly baselineRssBytes: number;
  /** The highest RSS sampled (every 50 ms) while the result streamed. */
  readonly peakRssBytes: number;
}

/**
 * A simple-protocol query whose rows are counted and dropped, so that the client itself stays small
 * however large the result is (pg's Submittable interface, as pg-cursor uses it).
 */
class DrainedQuery implements pg.Submittable {
  rows = 0;
  private error: Error | null = null;
  readonly done: Promise<number>;
  private settle: (error: Error | null) => void = () => {};

  constructor(private readonly text: string) {
    this.done = new Promise<number>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve(this.rows));
    });
  }

  submit(connection: pg.Connection): void {
    connection.query(this.text);
  }
  handleRowDescription(): void {}
  handleDataRow(): void {
    this.rows++;
  }
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleError(error: Error): void {
    this.error = error;
  }
  handleReadyForQuery(): void {
    this.settle(this.error);
  }
}

/**
 * Reads `select repeat('x', 1000) from generate_series(1, rows)` (about rows KB) through a proxy at
 * no more than `readMBps`, by pausing the client's socket whenever it is ahead of that pace, and
 * samples the proxy process's RSS meanwhile. A proxy with backpressure keeps its RSS flat; one that
 * buffers what the client has not read grows by up to the whole result.
 */
export async function readSlowly(
  targetKey: string,
  connection: PgbenchTarget,
  proxyPid: number,
  rows: number,
  readMBps: number,
): Promise<SlowClientResult> {
  const client = new pg.Client({ ...connection, ssl: false });
  await client.connect();
  try {
    const baselineRssBytes = processMemory(proxyPid).rssBytes;
    let peakRssBytes = baselineRssBytes;
    const sampler = setInterval(() => {
      peakRssBytes = Math.max(peakRssBytes, processMemory(proxyPid).rssBytes);
    }, 50);
    const socket = client.connection.stream;
    const bytesPerMs = (readMBps * 1e6) / 1000;
    const start = performance.now();
    let receivedBytes = 0;
    let resumeTimer: NodeJS.Timeout | null = null;
    const pace = (chunk: Buffer): void => {
      receivedBytes += chunk.length;
      const aheadMs = receivedBytes / bytesPerMs - (performance.now() - start);
      if (aheadMs > 2 && resumeTimer === null) {
        socket.pause();
        resumeTimer = setTimeout(() => {
          resumeTimer = null;
          socket.resume();
        }, aheadMs);
      }
    };
    socket.on('data', pace);
    const query = new DrainedQuery(`select repeat('x', 1000) from generate_series(1, ${rows})`);
    client.query(query);
    try {
      await query.done;
    } finally {
      clearInterval(sampler);
      socket.off('data', pace);
      if (resumeTimer) clearTimeout(resumeTimer);
      socket.resume();
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      target: targetKey,
      rows: query.rows,
      receivedBytes,
      seconds,
      readMBps: receivedBytes / 1e6 / seconds,
      baselineRssBytes,
      peakRssBytes,
    };
  } finally {
    await client.end();
  }
}
