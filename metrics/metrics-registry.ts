/**
 * The Prometheus registry of one pgtrail process (docs/metrics.md lists every metric). Counters
 * are read at scrape time from what the proxy, the event counters and the journal writer already
 * keep (collect callbacks), so nothing here runs on the forwarding path; the two histograms are
 * observed as things happen (one statement, one durable write).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { labelledCounter, optionalGauge, setCounter, type Registers } from './collected-metric.js';
import { registerJournalMetrics } from './journal-metrics.js';
import { connectionOutcomes, type ProxyCounters } from '../proxy/proxy-counters.js';
import type { JournalWriter } from '../recorder/journal-writer.js';
import { BucketHistogram } from './bucket-histogram.js';
import { EventCounters, statementOutcomes } from './event-counters.js';
import { registerProcessMetrics } from './process-metrics.js';
import { statementKinds } from '../search/statement-kind.js';

/** Upper bounds (seconds) of the statement duration buckets: 0.5 ms to a minute. */
export const statementDurationBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** What the registry reads; `proxy` and `writer` are attached once they exist. */
export interface MetricsSources {
  proxy: { readonly counters: ProxyCounters; readonly sessionCount: number } | null;
  writer: JournalWriter | null;
  /** The recorder service link, when the journal is remote (start --recorder). */
  remote: { status(): { linkOpen: boolean; unacknowledged: number; spoolBytes: number } } | null;
  /** The recording thread, when there is one (recording.thread): how often forwarding waited for it. */
  recordingThread: { readonly waits: { readonly lag: number; readonly full: number } } | null;
}

/** One process's metrics: the registry to serve, and the hooks that feed it. */
export interface PgtrailMetrics extends RecordingMetrics {
  /** Where the collect callbacks read from. */
  readonly sources: MetricsSources;
}

/** The metrics of whoever records: the event counters, the statement durations, the journal and its witnesses. */
export interface RecordingMetrics {
  readonly registry: Registry;
  /** Counts session and statement events (put in front of the journal sink with countingSink). */
  readonly events: EventCounters;
  /** Takes each durable write's milliseconds (the journal writer's onDurableWrite). */
  readonly observeDurableWrite: (ms: number) => void;
  /** Where the journal metrics read from. */
  readonly sources: Pick<MetricsSources, 'writer'>;
}

/** Builds the registry with every metric of docs/metrics.md and the default process metrics. */
export function createMetrics(maxUserLabels: number): PgtrailMetrics {
  const forwarding = createForwardingMetrics();
  return { ...addRecordingMetrics(forwarding, maxUserLabels), sources: forwarding.sources };
}

/** A registry and what its collect callbacks read. */
export interface ForwardingMetrics {
  readonly registry: Registry;
  readonly sources: MetricsSources;
}

/**
 * The forwarding thread's metrics: the process, the connections, the recorder link. Where the
 * same thread records, addRecordingMetrics adds the rest to the same registry; a recording thread
 * (docs/recording-thread.md) keeps the rest in its own (createRecordingMetrics), and a scrape
 * serves both.
 */
export function createForwardingMetrics(): ForwardingMetrics {
  const registry = new Registry();
  const registers = [registry];
  registerProcessMetrics(registry);
  const sources: MetricsSources = { proxy: null, writer: null, remote: null, recordingThread: null };
  proxyMetrics(registers, sources);
  remoteMetrics(registers, sources);
  recordingThreadMetrics(registers, sources);
  return { registry, sources };
}

/** The recording thread's metrics, in a registry of their own. */
export function createRecordingMetrics(maxUserLabels: number): RecordingMetrics {
  return addRecordingMetrics({ registry: new Registry(), sources: { writer: null } }, maxUserLabels);
}

/** Registers the event, statement, journal and witness metrics in `to.registry`, reading `to.sources.writer`. */
export function addRecordingMetrics(
  to: { readonly registry: Registry; readonly sources: Pick<MetricsSources, 'writer'> },
  maxUserLabels: number,
): RecordingMetrics {
  const { registry, sources } = to;
  const registers = [registry];
  const statementDuration = new BucketHistogram(
    'pgtrail_statement_duration_seconds',
    'Time from a statement leaving pgtrail to its completion.',
    statementDurationBuckets,
  );
  statementDuration.register(registry);
  const events = new EventCounters(maxUserLabels, (seconds) => statementDuration.observe(seconds));
  eventMetrics(registers, events);
  const observeDurableWrite = registerJournalMetrics(registers, () => sources.writer);
  return { registry, events, observeDurableWrite, sources };
}

function proxyMetrics(registers: Registers, sources: MetricsSources): void {
  new Counter({
    name: 'pgtrail_connections_accepted_total',
    help: 'Client connections accepted on the proxy port.',
    registers,
    collect() {
      setCounter(this, {}, sources.proxy?.counters.connectionsAccepted ?? 0);
    },
  });
  new Gauge({
    name: 'pgtrail_connections_open',
    help: 'Client connections open now (authenticating or forwarding).',
    registers,
    collect() {
      this.set(sources.proxy?.sessionCount ?? 0);
    },
  });
  new Counter({
    name: 'pgtrail_connections_closed_total',
    help: 'Client connections closed, by outcome (forwarded, refused, cancel_request, dropped).',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      for (const outcome of connectionOutcomes)
        this.inc({ outcome }, sources.proxy?.counters.connectionsClosed[outcome] ?? 0);
    },
  });
  new Counter({
    name: 'pgtrail_forwarded_bytes_total',
    help: 'Bytes forwarded after startup, by direction (client_to_server, server_to_client).',
    labelNames: ['direction'],
    registers,
    collect() {
      this.reset();
      this.inc({ direction: 'client_to_server' }, sources.proxy?.counters.bytesFromClients ?? 0);
      this.inc({ direction: 'server_to_client' }, sources.proxy?.counters.bytesFromServers ?? 0);
    },
  });
}

function eventMetrics(registers: Registers, events: EventCounters): void {
  new Counter({
    name: 'pgtrail_sessions_total',
    help: 'Authentications, by identity method and result (ok, failed, refused).',
    labelNames: ['method', 'result'],
    registers,
    collect() {
      this.reset();
      for (const [key, n] of events.sessions) {
        const [method = '', result = ''] = key.split('\t');
        this.inc({ method, result }, n);
      }
    },
  });
  new Gauge({
    name: 'pgtrail_sessions_open',
    help: 'Sessions opened and not yet closed.',
    registers,
    collect() {
      this.set(events.openSessions);
    },
  });
  new Counter({
    name: 'pgtrail_statements_total',
    help: 'Finished statements, by kind (as search --kind) and outcome (ok, error, not_executed).',
    labelNames: ['kind', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const kind of statementKinds)
        for (const outcome of statementOutcomes) {
          const n = events.statementCount(kind, outcome);
          if (n > 0) this.inc({ kind, outcome }, n);
        }
    },
  });
  new Counter({
    name: 'pgtrail_user_statements_total',
    help: 'Finished statements by authenticated user and database (capped by metrics.maxUserLabels; the rest as _other).',
    labelNames: ['user', 'database'],
    registers,
    collect() {
      this.reset();
      for (const slot of events.userSlots) this.inc({ user: slot.user, database: slot.database }, slot.statements);
    },
  });
}

function recordingThreadMetrics(registers: Registers, sources: MetricsSources): void {
  // Served only with a recording thread: without one, forwarding never waits for it.
  labelledCounter(
    registers,
    'pgtrail_recording_thread_waits_total',
    'Times forwarding paused for the recording thread: it was a batch window behind (lag) or its ring was full (ring_full).',
    ['reason'],
    () => {
      const waits = sources.recordingThread?.waits;
      return waits === undefined
        ? []
        : [
            [{ reason: 'lag' }, waits.lag],
            [{ reason: 'ring_full' }, waits.full],
          ];
    },
  );
}

function remoteMetrics(registers: Registers, sources: MetricsSources): void {
  // Served only when the journal is remote: a local journal has no link to report as down.
  const remote = (read: (s: { linkOpen: boolean; unacknowledged: number; spoolBytes: number }) => number) => () => {
    const status = sources.remote?.status();
    return status === undefined ? [] : [read(status)];
  };
  optionalGauge(
    registers,
    'pgtrail_recorder_link_up',
    '1 while the link to the recorder service is open, else 0.',
    remote((s) => (s.linkOpen ? 1 : 0)),
  );
  optionalGauge(
    registers,
    'pgtrail_recorder_unacknowledged_events',
    'Events sent or queued for the recorder service and not yet acknowledged as durable.',
    remote((s) => s.unacknowledged),
  );
  optionalGauge(
    registers,
    'pgtrail_recorder_spool_bytes',
    'Bytes in the local spool of events not yet acknowledged.',
    remote((s) => s.spoolBytes),
  );
}
