/**
 * What metrics cost on the forwarding path: pgbench -S through pgtrail (recording, batched
 * durability) with metrics off, and on while a scraper reads /metrics every 1 s (a harsh worst case)
 * and every 15 s (what Prometheus is usually configured to do), all in one run on one PostgreSQL.
 *
 * The design answers a 3 % question on a 2-core machine shared with other work: rounds, each one
 * run of every side in a fresh proxy, in an order that rotates from round to round (so a drift in
 * the machine's load does not favour one side); each run warms up (pgbench, then one scrape, so
 * JIT compilation and the first HTTP request's start-up are not counted) before its counted part;
 * the figure held against the budget is each round's on/off ratio of proxy CPU per transaction,
 * with its mean and 95 % interval (metrics-bench-report.ts).
 *
 * Part of `npm run bench` (--metrics-rounds N, 0 skips it; --metrics-seconds S); alone:
 *   npm run build && node dist/bench/metrics-bench.js [--rounds 4] [--seconds 20] [--warmup 3]
 *     [--intervals 1,15] [--clients 8] [--mode simple|prepared] [--rate TPS]
 * which starts its own embedded PostgreSQL. With --rate, pgbench runs at that fixed rate (-R): both
 * sides then do the same work per second, and proxy CPU per transaction compares them even when
 * the machine is too loaded for TPS to mean anything.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres } from '../embedded/postgres-server.js';
import { prepareBenchDatabase } from './bench-database.js';
import {
  metricsBenchLines,
  renderMetricsBench,
  type MetricsBenchResult,
  type MetricsRun,
} from './metrics-bench-report.js';
import { processCpuSeconds } from './process-cpu.js';
import { runPgbench, type PgbenchRun, type PgbenchTarget } from './pgbench.js';
import { startPgtrailProcess } from './pgtrail-process.js';

/** How to run the comparison. */
export interface MetricsBenchOptions {
  /** pgbench straight to PostgreSQL (host, port, role, database with pgbench's tables). */
  readonly direct: PgbenchTarget;
  readonly upstream: { readonly host: string; readonly port: number };
  readonly rounds: number;
  /** The counted part of each run: seconds, clients, mode, rate. */
  readonly settings: PgbenchRun;
  /** Scrape intervals of the "on" sides, in seconds. */
  readonly intervalsS: readonly number[];
  /** pgbench through each fresh proxy before its counted part, not counted. */
  readonly warmupSeconds: number;
  readonly log: (line: string) => void;
}

/** The intervals `npm run bench` measures: Prometheus' usual 15 s and a 1 s worst case. */
export const defaultScrapeIntervalsS: readonly number[] = [1, 15];

async function runOnce(
  round: number,
  scrapeIntervalS: number | null,
  options: MetricsBenchOptions,
): Promise<MetricsRun> {
  const proxy = await startPgtrailProcess({
    mode: 'batched',
    upstreamHost: options.upstream.host,
    upstreamPort: options.upstream.port,
    cpuProfileDir: null,
    metrics: scrapeIntervalS !== null,
  });
  const target = { ...options.direct, host: proxy.host, port: proxy.port };
  const url = proxy.metricsPort === null ? null : `http://127.0.0.1:${proxy.metricsPort}/metrics`;
  let scrapes = 0;
  let scraper: NodeJS.Timeout | null = null;
  try {
    if (options.warmupSeconds > 0) await runPgbench(target, { ...options.settings, seconds: options.warmupSeconds });
    // The first HTTP request a fresh process answers starts its HTTP stack (tens of ms): start-up, not per transaction.
    if (url !== null) await fetch(url).then((r) => r.text());
    if (url !== null && scrapeIntervalS !== null) {
      scraper = setInterval(() => {
        void fetch(url)
          .then((r) => r.text())
          .then(() => scrapes++)
          .catch(() => {});
      }, scrapeIntervalS * 1_000);
    }
    const cpuBefore = processCpuSeconds(proxy.pid);
    const result = await runPgbench(target, options.settings);
    const cpuUsPerTx = ((processCpuSeconds(proxy.pid) - cpuBefore) * 1e6) / Math.max(1, result.transactions);
    return { round, scrapeIntervalS, tps: result.tps, cpuUsPerTx, scrapes };
  } finally {
    if (scraper !== null) clearInterval(scraper);
    await proxy.stop();
  }
}

/** Runs `rounds` rounds of metrics off and on at each interval, rotating the order from round to round. */
export async function runMetricsBench(options: MetricsBenchOptions): Promise<MetricsBenchResult> {
  const sides: (number | null)[] = [null, ...options.intervalsS];
  const runs: MetricsRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const order = sides.map((_, i) => sides[(i + round - 1) % sides.length] ?? null);
    for (const intervalS of order) {
      const run = await runOnce(round, intervalS, options);
      runs.push(run);
      options.log(
        `metrics round ${round} ${intervalS === null ? 'off' : `on, every ${intervalS} s`}: ${run.tps.toFixed(0)} tps, ${run.cpuUsPerTx.toFixed(1)} us proxy CPU/tx${intervalS === null ? '' : ` (${run.scrapes} scrapes)`}`,
      );
    }
  }
  return {
    runs,
    settings: options.settings,
    rounds: options.rounds,
    intervalsS: options.intervalsS,
    warmupSeconds: options.warmupSeconds,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      intervals: { type: 'string', default: defaultScrapeIntervalsS.join(',') },
      clients: { type: 'string', default: '8' },
      mode: { type: 'string', default: 'simple' },
      rate: { type: 'string' },
    },
  });
  const mode = values.mode === 'prepared' ? 'prepared' : 'simple';
  const settings: PgbenchRun = {
    mode,
    clients: Number(values.clients),
    seconds: Number(values.seconds),
    threads: 2,
    ...(values.rate === undefined ? {} : { rate: Number(values.rate) }),
  };
  const log = (line: string): void => {
    process.stderr.write(`bench: ${line}\n`);
  };
  const server = await startPostgres(embeddedBinaries());
  try {
    const db = await prepareBenchDatabase(server, 1);
    const result = await runMetricsBench({
      direct: db.direct,
      upstream: server,
      rounds: Number(values.rounds),
      settings,
      intervalsS: values.intervals.split(',').map(Number),
      warmupSeconds: Number(values.warmup),
      log,
    });
    for (const line of metricsBenchLines(result)) log(line);
    process.stdout.write(renderMetricsBench(result));
  } finally {
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`metrics-bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
