/**
 * A child process of the benchmark (forked by pgtrail-process.ts): runs one proxy on 127.0.0.1 and
 * answers the harness over IPC (garbage collection for RSS readings, journal counters, stop).
 * Its one argument is a ProxyProcessSettings in JSON.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Config } from '../config/config.js';
import { defaultConfig } from '../config/defaults.js';
import { runProxy } from '../bin/run-proxy.js';
import { startProxy } from '../proxy/server.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import { silentObserver } from '../proxy/traffic-observer.js';
import { discardingSink } from '../recorder/events.js';
import { startNodeRelay } from './node-relay.js';
import { createUnwrittenSink } from './unwritten-sink.js';
import type { ProxyProcessReply, ProxyProcessRequest, ProxyProcessSettings } from './proxy-process-messages.js';
import type { SyncCounters } from './pgbench-matrix.js';

/** What the child runs, whichever proxy it is. */
interface RunningProxy {
  readonly host: string;
  readonly port: number;
  /** Where /metrics is served, or null. */
  readonly metricsPort: number | null;
  counters(): Promise<SyncCounters | null>;
  close(): Promise<void>;
}

// What a session keeps alive in JavaScript: heap objects plus Buffers outside the heap.
function liveHeapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const reply = (message: ProxyProcessReply): void => {
  process.send?.(message);
};

async function startRelay(settings: ProxyProcessSettings): Promise<RunningProxy> {
  const relay = await startNodeRelay(settings.upstreamHost, settings.upstreamPort);
  return {
    host: relay.address.address,
    port: relay.address.port,
    metricsPort: null,
    counters: async () => null,
    close: () => relay.close(),
  };
}

function benchConfig(settings: ProxyProcessSettings): Config {
  return {
    ...defaultConfig,
    listen: { host: '127.0.0.1', port: 0 },
    // Plaintext on both legs, as for pgbouncer: the comparison is about forwarding, not TLS.
    upstream: {
      ...defaultConfig.upstream,
      host: settings.upstreamHost,
      port: settings.upstreamPort,
      tls: { mode: 'disable', caFile: null, serverName: null },
    },
    tls: { ...defaultConfig.tls, mode: 'disable' },
    journal: {
      ...defaultConfig.journal,
      dir: settings.journalDir,
      durability: settings.mode === 'strict' ? 'strict' : 'batched',
    },
    // batched records on a recording thread, as pgtrail's default; batched-inline on the forwarding thread.
    recording: { ...defaultConfig.recording, thread: settings.mode === 'batched-inline' ? false : 'auto' },
    limits: { ...defaultConfig.limits, maxConnections: 2000, shutdownGraceMs: 1_000 },
    metrics: { ...defaultConfig.metrics, enabled: settings.metrics === true, listen: { host: '127.0.0.1', port: 0 } },
    log: { level: 'warn' },
  };
}

/**
 * pgtrail as `pgtrail start` runs it (bin/run-proxy.ts: recorder with redaction, statement observer,
 * identity strategy), with recording on; with recording off, startProxy alone with discardingSink
 * and silentObserver, which measures forwarding alone; `unwritten`, the statement observer recording
 * into unwritten-sink.ts (everything but the journal writer).
 */
async function startPgtrail(settings: ProxyProcessSettings): Promise<RunningProxy> {
  const config = benchConfig(settings);
  const logger = pino({ level: config.log.level }, pino.destination(2));
  if (settings.mode === 'off') {
    const proxy = await startProxy({ config, logger, sink: discardingSink, observe: silentObserver });
    return { ...proxy.address, metricsPort: null, counters: async () => null, close: () => proxy.close() };
  }
  if (settings.mode === 'unwritten') {
    const unwritten = await createUnwrittenSink(config.recording, config.journal.batchWindowMs);
    const observe = createStatementObserver({
      recording: config.recording,
      clock: systemClock,
      onInternalError: () => {},
    });
    const proxy = await startProxy({ config, logger, sink: unwritten.sink, observe });
    const close = async (): Promise<void> => {
      unwritten.stop();
      await proxy.close();
    };
    return { ...proxy.address, metricsPort: null, counters: async () => null, close };
  }
  // runProxy prints a banner (listen address, verifier key) that the harness does not need.
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const running = await runProxy(config, logger, { argv: [], env: {}, stdout: quiet, stderr: process.stderr });
  return {
    ...running.proxy.address,
    metricsPort: running.metrics?.address.port ?? null,
    counters: () => running.writerCounters(),
    close: () => running.stop(),
  };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ProxyProcessSettings; // written by pgtrail-process.ts
  const proxy = settings.mode === 'relay' ? await startRelay(settings) : await startPgtrail(settings);
  process.on('message', (request: ProxyProcessRequest) => {
    switch (request.type) {
      case 'gc':
        globalThis.gc?.();
        reply({ type: 'gc', heapBytes: liveHeapBytes() });
        break;
      case 'counters':
        void proxy.counters().then((counters) => reply({ type: 'counters', counters }));
        break;
      case 'stop':
        void proxy.close().then(() => {
          reply({ type: 'stop' });
          process.disconnect?.();
          process.exit(0);
        });
        break;
    }
  });
  reply({ type: 'ready', host: proxy.host, port: proxy.port, metricsPort: proxy.metricsPort });
}

main().catch((err: unknown) => {
  reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
