/**
 * The metrics of `pgtrail recorder` (docs/metrics.md, "Recorder service"): its journal (the same
 * journal and witness metrics `pgtrail start` serves), the proxies connected to it, what each
 * instance has had acknowledged, and the peers it refused. Everything is read at scrape time from
 * what the service and its writer keep.
 *
 * Instance names are configured on the proxies, and a proxy with a valid token may send any name:
 * only the first `maxInstanceLabels` names that connect to this process get their own label value;
 * the rest are summed under `instance="_other"` where a sum means something (events in flight) and
 * left out where it does not (a sequence number).
 */
import { Registry } from 'prom-client';
import type { JournalWriter } from '../recorder/journal-writer.js';
import type { RecorderService } from '../recorder/service/recorder-service.js';
import {
  collectedCounter,
  collectedGauge,
  labelledCounter,
  labelledGauge,
  type Registers,
} from './collected-metric.js';
import { registerJournalMetrics } from './journal-metrics.js';
import { registerProcessMetrics } from './process-metrics.js';

/** Label value that stands for every instance beyond the cap. */
export const otherInstanceLabel = '_other';

/** What the registry reads; attached once they exist. */
export interface RecorderMetricsSources {
  writer: JournalWriter | null;
  service: Pick<RecorderService, 'connectionCount' | 'instances' | 'counters'> | null;
}

/** The recorder's registry and what feeds it. */
export interface RecorderMetrics {
  readonly registry: Registry;
  readonly sources: RecorderMetricsSources;
  /** Takes each durable write's milliseconds (the journal writer's onDurableWrite). */
  readonly observeDurableWrite: (ms: number) => void;
}

/** Builds the registry of docs/metrics.md's recorder section, the journal's and the process metrics. */
export function createRecorderMetrics(maxInstanceLabels: number): RecorderMetrics {
  const registry = new Registry();
  const registers: Registers = [registry];
  registerProcessMetrics(registry);
  const sources: RecorderMetricsSources = { writer: null, service: null };
  const observeDurableWrite = registerJournalMetrics(registers, () => sources.writer);
  const perInstance = (read: (state: InstanceView) => number, sumOthers: boolean) => () =>
    instanceSamples(sources.service, maxInstanceLabels, read, sumOthers);

  collectedGauge(
    registers,
    'pgtrail_recorder_connections_open',
    'Proxy connections open now (authenticated, Hello received or not).',
    () => sources.service?.connectionCount ?? 0,
  );
  collectedGauge(registers, 'pgtrail_recorder_instances_connected', 'Instances with a welcomed connection now.', () => {
    let n = 0;
    for (const state of sources.service?.instances.values() ?? []) if (state.connection !== null) n++;
    return n;
  });
  labelledGauge(
    registers,
    'pgtrail_recorder_instance_connected',
    'Per instance: 1 while a proxy speaks for it, else 0.',
    ['instance'],
    perInstance((s) => (s.connection === null ? 0 : 1), false),
  );
  labelledGauge(
    registers,
    'pgtrail_recorder_instance_acknowledged_seq',
    'Per instance: the last sequence number acknowledged to its proxy as durable.',
    ['instance'],
    perInstance((s) => s.acknowledged, false),
  );
  labelledGauge(
    registers,
    'pgtrail_recorder_instance_unacknowledged_events',
    'Per instance: events appended to the journal and not yet acknowledged as durable.',
    ['instance'],
    perInstance((s) => s.accepted - s.acknowledged, true),
  );
  labelledCounter(
    registers,
    'pgtrail_recorder_refused_total',
    'Peers refused, by reason (an HTTP refusal of the upgrade, a TLS handshake, or a Refusal code).',
    ['reason'],
    () => [...(sources.service?.counters.refusals ?? [])].map(([reason, n]) => [{ reason }, n] as const),
  );
  collectedCounter(
    registers,
    'pgtrail_recorder_batches_total',
    'Batches taken from proxies.',
    () => sources.service?.counters.batches ?? 0,
  );
  collectedCounter(
    registers,
    'pgtrail_recorder_events_total',
    'Events from proxies appended to the journal.',
    () => sources.service?.counters.events ?? 0,
  );
  collectedCounter(
    registers,
    'pgtrail_recorder_duplicate_events_total',
    'Events from proxies dropped because the journal held them already (a resend).',
    () => sources.service?.counters.duplicates ?? 0,
  );
  return { registry, sources, observeDurableWrite };
}

interface InstanceView {
  readonly accepted: number;
  readonly acknowledged: number;
  readonly connection: unknown;
  readonly helloOrder: number | null;
}

/**
 * One `[labels, value]` per instance among the first `max` to say Hello to this process, and with
 * `sumOthers` one `_other` sample summing the later ones (when there are any).
 */
function instanceSamples(
  service: RecorderMetricsSources['service'],
  max: number,
  read: (state: InstanceView) => number,
  sumOthers: boolean,
): [Record<string, string>, number][] {
  if (service === null) return [];
  const out: [Record<string, string>, number][] = [];
  let others: number | null = null;
  for (const [name, state] of service.instances) {
    if (state.helloOrder === null) continue;
    // A proxy may call itself `_other`: it then counts with the others rather than pose as their sum.
    if (state.helloOrder < max && name !== otherInstanceLabel) out.push([{ instance: name }, read(state)]);
    else others = (others ?? 0) + read(state);
  }
  if (sumOthers && others !== null) out.push([{ instance: otherInstanceLabel }, others]);
  return out;
}
