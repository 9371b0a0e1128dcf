/**
 * A histogram without labels that costs one short loop and two additions per observation, served
 * to prom-client's registry as a metric of type histogram (the `_bucket`, `_sum` and `_count`
 * series of the Prometheus text format, buckets cumulative). prom-client's own Histogram allocates
 * a closure and hashes its labels on every observe(); this one is observed on the recording path.
 */
import type { Metric, Registry } from 'prom-client';

/** See the module comment. */
export class BucketHistogram {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound (+Inf). */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  /** prom-client reads these as a metric's type and how workers' values combine. */
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending. */
    readonly bounds: readonly number[],
  ) {
    this.#counts = new Float64Array(bounds.length + 1);
  }

  /** Counts one value. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  /** The series as prom-client's registry formats them. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] } {
    const values: HistogramValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.#counts[i]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i]! }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.#count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.#sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.#count });
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  /** Adds this histogram to `registry`. */
  register(registry: Registry): void {
    // The registry reads a metric only through name, help, type, aggregator and get() (prom-client
    // 15 lib/registry.js); the other members of its Metric type belong to its own metric classes.
    registry.registerMetric(this as unknown as Metric);
  }
}

interface HistogramValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}
