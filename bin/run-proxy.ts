import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { identityStrategySelector } from '../proxy/identity/managed-auth-strategy.js';
import { ManagedIdentity } from '../proxy/identity/managed-identity.js';
import { countingSink } from '../metrics/event-counters.js';
import { createMetrics, type PgtrailMetrics } from '../metrics/metrics-registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js';
import { startProxy, type ProxyHandle } from '../proxy/server.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import { openRecorder, type Recorder } from '../recorder/recorder.js';
import { startRetention } from '../retention/retention-schedule.js';
import { insideJournalWarning } from '../recorder/signing-key.js';
import type { CommandContext } from './cli.js';

/** The proxy and its recorder, running in this process (what `start` and `demo` run). */
export interface RunningProxy {
  readonly proxy: ProxyHandle;
  readonly recorder: Recorder;
  /** The metrics listener, when metrics.enabled. */
  readonly metrics: MetricsServer | null;
  /** Drains sessions, then writes the final checkpoint and releases the journal. */
  stop(): Promise<void>;
}

/**
 * Opens the journal, starts the proxy with the statement observer recording into it, and prints
 * where it listens and the journal's verifier key.
 */
export async function runProxy(config: Config, logger: Logger, ctx: CommandContext): Promise<RunningProxy> {
  // Proxy-managed identity when the config's identity section enables a method, else passthrough.
  // Built first: a bad identity section or an unreadable secret stops the start before the journal opens.
  const identity = ManagedIdentity.fromConfig(config, { readFile: (path) => readFileSync(path), env: ctx.env });
  const metrics: PgtrailMetrics | null = config.metrics.enabled ? createMetrics(config.metrics.maxUserLabels) : null;
  const recorder = await openRecorder(
    config.journal,
    config.recording,
    (error) => {
      logger.error({ code: error.code }, 'journal failed closed');
    },
    metrics?.observeDurableWrite,
  );
  if (recorder.keyCreated)
    ctx.stdout.write(`pgtrail: created a signing key for ${config.journal.dir} at ${recorder.key.path}\n`);
  if (recorder.key.insideJournal) {
    ctx.stderr.write(`pgtrail: ${insideJournalWarning(config.journal.dir, recorder.key.path)}\n`);
    logger.warn({ keyFile: recorder.key.path }, 'signing key inside the journal directory');
  }
  ctx.stdout.write(
    `pgtrail: journal ${config.journal.dir} (${config.journal.durability}), verifier key ${recorder.verifierKey}\n`,
  );
  const observe = createStatementObserver({
    recording: config.recording,
    clock: systemClock,
    onInternalError: (err) =>
      logger.error({ err: err instanceof Error ? err.name : 'unknown' }, 'statement observer failed'),
  });
  let proxy: ProxyHandle;
  let metricsServer: MetricsServer | null = null;
  try {
    if (metrics !== null) {
      metrics.sources.writer = recorder.writer;
      metricsServer = await startMetricsServer(config.metrics.listen, metrics.registry);
    }
    proxy = await startProxy({
      config,
      logger,
      sink: metrics === null ? recorder.sink : countingSink(recorder.sink, metrics.events),
      observe,
      selectStrategy: identityStrategySelector(identity),
    });
  } catch (err) {
    await metricsServer?.close();
    await recorder.close();
    throw err;
  }
  const retention = startRetention(
    recorder.writer,
    config.journal.retention ?? { keepDays: 0, everyMinutes: 60, keepSessionsOpen: true },
    logger.child({ component: 'retention' }),
  );
  if (metrics !== null && metricsServer !== null) {
    metrics.sources.proxy = proxy;
    const { host, port } = metricsServer.address;
    ctx.stdout.write(`pgtrail: metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics\n`);
  }
  ctx.stdout.write(
    `pgtrail: listening on ${proxy.address.host}:${proxy.address.port}, forwarding to ${config.upstream.host}:${config.upstream.port}\n`,
  );
  return {
    proxy,
    recorder,
    metrics: metricsServer,
    stop: async () => {
      await proxy.close();
      await metricsServer?.close();
      await retention.stop();
      await recorder.close();
    },
  };
}

/** Resolves with the first of SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
