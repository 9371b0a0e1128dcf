/**
 * Metrics whose values are kept elsewhere (by the proxy, the journal writer, the recorder service)
 * and read when /metrics is scraped: prom-client's collect callbacks, in the few shapes pgtrail uses.
 * Nothing here runs between scrapes.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** The registries a metric is registered in. */
export type Registers = Registry[];

/** A gauge set from `read` at each scrape. */
export function collectedGauge(registers: Registers, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

/** A gauge with one sample per value `read` gives (none when it gives none). */
export function optionalGauge(registers: Registers, name: string, help: string, read: () => number[]): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.reset();
      for (const v of read()) this.set(v);
    },
  });
}

/** A labelled gauge: one sample per `[labels, value]` pair `read` gives at each scrape. */
export function labelledGauge(
  registers: Registers,
  name: string,
  help: string,
  labelNames: readonly string[],
  read: () => Iterable<readonly [Record<string, string>, number]>,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

/** A labelled counter: one sample per `[labels, value]` pair `read` gives, each a total kept elsewhere. */
export function labelledCounter(
  registers: Registers,
  name: string,
  help: string,
  labelNames: readonly string[],
  read: () => Iterable<readonly [Record<string, string>, number]>,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/** A counter without labels whose total `read` gives at each scrape. */
export function collectedCounter(registers: Registers, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      setCounter(this, {}, read());
    },
  });
}

/** Sets a counter to a value kept elsewhere (a counter has no set: reset, then add). */
export function setCounter(counter: Counter, labels: Record<string, string>, value: number): void {
  counter.reset();
  counter.inc(labels, value);
}
