/**
 * prom-client's default process and Node.js metrics, all but one: `nodejs_gc_duration_seconds`.
 * That one subscribes a PerformanceObserver to every garbage collection, a JavaScript callback and
 * a labelled histogram observation per scavenge, and a proxy under load scavenges every few
 * milliseconds (prometheus/client_js issues 490 and 500 report its cost). The others read the
 * process at scrape time, except the event loop delay, a native histogram fed by a timer.
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** The default metrics left out, by prom-client's name for them. */
export const omittedDefaultMetrics: readonly string[] = ['gc'];

/**
 * How often the event loop delay timer fires, in ms. prom-client's default, 10, wakes the process
 * 100 times a second: 8-13 ms of CPU a second here, traffic or not (docs/metrics.md). At 100 ms it
 * costs a quarter of that, and a stall of the loop still shows: any delay longer than 100 ms is
 * seen whole, and a scrape every 15 s reads 150 samples.
 */
export const eventLoopDelayResolutionMs = 100;

const require = createRequire(import.meta.url);

/** Registers the default metrics (see the module comment) in `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  const config = { register: registry, eventLoopMonitoringPrecision: eventLoopDelayResolutionMs };
  for (const name of collectDefaultMetrics.metricsList) {
    if (omittedDefaultMetrics.includes(name)) continue;
    // prom-client exports only the function that registers all of them; each lives in its own
    // module, lib/metrics/<name>.js, a function (registry, config) => void (prom-client 15).
    const register = require(`prom-client/lib/metrics/${name}`) as (r: Registry, c: typeof config) => void;
    register(registry, config);
  }
}
