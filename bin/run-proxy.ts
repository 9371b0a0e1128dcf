import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { countingSink } from '../metrics/event-counters.js';
import { addRecordingMetrics, createForwardingMetrics } from '../metrics/metrics-registry.js';
import { startMetricsServer, type MetricsServer, type MetricsText } from '../metrics/metrics-server.js';
import { identityStrategySelector } from '../proxy/identity/managed-auth-strategy.js';
import { ManagedIdentity } from '../proxy/identity/managed-identity.js';
import type { OffThreadRecording } from '../proxy/offthread/offthread-recording.js';
import {
  openedJournal,
  writerCounters,
  type OpenedJournal,
  type WriterCounters,
} from '../proxy/offthread/recording-thread-messages.js';
import { startProxy, type ProxyHandle } from '../proxy/server.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import type { EventSink } from '../recorder/events.js';
import { openRecorder, type Recorder } from '../recorder/recorder.js';
import {
  firstWelcomeWaitMs,
  openRemoteRecorder,
  type RemoteRecorder,
} from '../recorder/remote/open-remote-recorder.js';
import type { RemoteTls } from '../recorder/remote/recorder-link.js';
import { startRetention } from '../retention/retention-schedule.js';
import type { RunningViewer } from '../web/server/viewer-server.js';
import type { CommandContext } from './cli.js';
import { announceJournal } from './journal-announce.js';
import { openRecordingThread, recordsOnThread } from './recording-thread-start.js';
import { announceRemote } from './remote-recording.js';
import { runViewer } from './run-viewer.js';

/** Where a proxy with a remote journal streams its events (pgtrail start --recorder). */
export interface RemoteRecording {
  readonly url: string;
  readonly token: string;
  readonly tls: RemoteTls | null;
  readonly spoolDir: string | null;
  readonly spoolMaxBytes: number;
}

/** The proxy and its recorder: a local journal, or a link to a recorder service. */
export interface RunningProxy {
  readonly proxy: ProxyHandle;
  /** The local journal's recorder; null when the journal is remote or recorded on a worker thread (recording.thread). */
  readonly recorder: Recorder | null;
  /** The link to the recorder service on the forwarding thread; null when the journal is local or recorded on the recording thread. */
  readonly remote: RemoteRecorder | null;
  /** The local journal as opened, on either thread (its verifier key); null when the journal is remote. */
  readonly journal: OpenedJournal | null;
  /** The metrics listener, when metrics.enabled. */
  readonly metrics: MetricsServer | null;
  /** The web viewer, when viewer.enabled (local journal only). */
  readonly viewer: RunningViewer | null;
  /** The local journal writer's counts, on either thread (the benchmarks read them); null when the journal is remote. */
  writerCounters(): Promise<WriterCounters | null>;
  /** Drains sessions, then writes the final checkpoint and releases the journal (or delivers what is queued). */
  stop(): Promise<void>;
}

// On stop, how long queued events may take to be acknowledged by a remote recorder (the spool keeps the rest).
const remoteDrainMs = 5_000;

/**
 * Opens the journal (or connects to the recorder service), starts the proxy with the statement
 * observer recording into it, and prints where it listens and where it records.
 */
export async function runProxy(
  config: Config,
  logger: Logger,
  ctx: CommandContext,
  remote: RemoteRecording | null = null,
  instance: string | null = null,
): Promise<RunningProxy> {
  // Proxy-managed identity when the config's identity section enables a method, else passthrough.
  // Built first: a bad identity section or an unreadable secret stops the start before the journal opens.
  const identity = ManagedIdentity.fromConfig(config, { readFile: (path) => readFileSync(path), env: ctx.env });
  const name = instance ?? `${config.listen.host}:${config.listen.port}`;
  const thread = recordsOnThread(config)
    ? await openRecordingThread(config, logger, ctx, remote === null ? null : { ...remote, instance: name })
    : null;
  // A recording thread counts the events and watches the journal itself: this thread's metrics are the rest.
  const metrics = config.metrics.enabled ? createForwardingMetrics() : null;
  const counted =
    metrics !== null && thread === null ? addRecordingMetrics(metrics, config.metrics.maxUserLabels) : null;
  const recorder =
    remote === null && thread === null ? await openLocal(config, logger, ctx, counted?.observeDurableWrite) : null;
  const remoteRecorder =
    remote === null || thread !== null ? null : await openRemote(config, logger, ctx, remote, name);
  const sink: EventSink = (recorder?.sink ?? thread?.sink ?? remoteRecorder?.sink)!;
  const observe = createStatementObserver({
    recording: config.recording,
    clock: systemClock,
    onInternalError: (err) =>
      logger.error({ err: err instanceof Error ? err.name : 'unknown' }, 'statement observer failed'),
  });
  const closeRecording = async (): Promise<void> => {
    await recorder?.close();
    await thread?.close();
    await remoteRecorder?.close(remoteDrainMs);
  };
  let proxy: ProxyHandle;
  let metricsServer: MetricsServer | null = null;
  try {
    if (metrics !== null) {
      metrics.sources.writer = recorder?.writer ?? null;
      metrics.sources.remote = remoteRecorder ?? thread?.remote ?? null;
      metrics.sources.recordingThread = thread;
      metricsServer = await startMetricsServer(config.metrics.listen, served(metrics.registry, thread), (err) =>
        logger.error({ err: err.message }, 'metrics listener failed'),
      );
    }
    proxy = await startProxy({
      config,
      logger,
      sink: counted === null ? sink : countingSink(sink, counted.events),
      observe,
      selectStrategy: identityStrategySelector(identity),
      instance: name,
      ...(thread === null ? {} : { tap: thread.tap }),
    });
  } catch (err) {
    await metricsServer?.close();
    await closeRecording();
    throw err;
  }
  // Retention (pruning, legal holds placed while running) belongs to whoever writes the journal.
  const retention =
    recorder === null
      ? null
      : startRetention(recorder.writer, config.journal.retention, logger.child({ component: 'retention' }));
  if (metrics !== null && metricsServer !== null) {
    metrics.sources.proxy = proxy;
    const { host, port } = metricsServer.address;
    ctx.stdout.write(`pgtrail: metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics\n`);
  }
  ctx.stdout.write(
    `pgtrail: listening on ${proxy.address.host}:${proxy.address.port}, forwarding to ${config.upstream.host}:${config.upstream.port}\n`,
  );
  // The viewer of this process records its viewings through this process's writer: one writer per
  // journal. With a remote journal there is none here: the recorder service serves the viewer.
  let viewer: RunningViewer | null = null;
  const appendViewing = recorder?.writer ?? (thread?.journal != null ? thread : null);
  if (config.viewer.enabled && appendViewing !== null) {
    try {
      viewer = await runViewer(config, config.journal.dir, (event) => appendViewing.append(event), logger, ctx);
    } catch (err) {
      await proxy.close();
      await metricsServer?.close();
      await closeRecording();
      throw err;
    }
  } else if (config.viewer.enabled) {
    logger.warn({}, 'viewer.enabled ignored: the journal is remote (the recorder service serves the viewer)');
  }
  return {
    proxy,
    recorder,
    remote: remoteRecorder,
    journal: recorder === null ? (thread?.journal ?? null) : openedJournal(recorder),
    metrics: metricsServer,
    viewer,
    writerCounters: async () => {
      if (thread?.journal != null) return thread.writerCounters();
      return recorder === null ? null : writerCounters(recorder.writer);
    },
    stop: async () => {
      await viewer?.close();
      await proxy.close();
      await metricsServer?.close();
      await retention?.stop();
      await closeRecording();
    },
  };
}

/** The local journal: opened, its key created on first use, and announced. */
async function openLocal(
  config: Config,
  logger: Logger,
  ctx: CommandContext,
  observeDurableWrite: ((ms: number) => void) | undefined,
): Promise<Recorder> {
  const recorder = await openRecorder(
    config.journal,
    config.recording,
    (error) => {
      logger.error({ code: error.code }, 'journal failed closed');
    },
    observeDurableWrite,
    logger.child({ component: 'witness' }),
  );
  announceJournal(config, logger, ctx, openedJournal(recorder), false);
  return recorder;
}

/** What a scrape answers: this thread's registry, followed by the recording thread's metrics when there is one. */
function served(registry: MetricsText, thread: OffThreadRecording | null): MetricsText {
  if (thread === null) return registry;
  return {
    contentType: registry.contentType,
    metrics: async () => (await registry.metrics()) + (await thread.metricsText()),
  };
}

/** The link to a recorder service, with the spool read back; announced with how many events it held. */
async function openRemote(
  config: Config,
  logger: Logger,
  ctx: CommandContext,
  remote: RemoteRecording,
  name: string,
): Promise<RemoteRecorder> {
  const opened = await openRemoteRecorder({
    ...remote,
    instance: name,
    durability: config.journal.durability,
    batchWindowMs: config.journal.batchWindowMs,
    recording: config.recording,
    logger,
    onFailure: (error) => logger.error({ code: error.code }, 'remote recording failed closed'),
  });
  await opened.connected(firstWelcomeWaitMs);
  announceRemote(config, ctx, { ...remote, instance: name }, opened.spooledAtStart, false);
  return opened;
}

/** Resolves with the first of SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
