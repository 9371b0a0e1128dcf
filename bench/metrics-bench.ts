/**
 * What the metrics endpoint costs on the forwarding path: pgbench -S through pgtrail (recording,
 * batched durability) with metrics off and on, in alternating pairs in one run on one PostgreSQL,
 * while a scraper reads /metrics every second (harsher than Prometheus' usual 15 s). Reports each
 * side's median TPS and their ratio, and the proxy process's CPU per transaction for each side:
 * on a shared machine TPS follows the other load, while CPU per transaction is what the proxy
 * itself spent, so it is the figure to hold against the 3 % budget (docs/metrics.md).
 *
 * Part of `npm run bench` (--metrics-pairs N, 0 skips it); alone:
 *   npm run build && node dist/bench/metrics-bench.js [--pairs 5] [--seconds 10] [--clients 8] [--mode simple|prepared] [--rate TPS]
 * which starts its own embedded PostgreSQL. With --rate, pgbench runs at that fixed rate (-R): both
 * sides then do the same work per second, and proxy CPU per transaction compares them even when
 * the machine is too loaded for TPS to mean anything.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres } from '../embedded/postgres-server.js';
import { prepareBenchDatabase } from './bench-database.js';
import { median } from './pgbench-matrix.js';
import { processCpuSeconds } from './process-cpu.js';
import { runPgbench, type PgbenchRun, type PgbenchTarget } from './pgbench.js';
import { startPgtrailProcess } from './pgtrail-process.js';

/** One pgbench run through pgtrail with metrics on or off. */
export interface MetricsRun {
  readonly metrics: boolean;
  readonly tps: number;
  /** The proxy process's CPU (user + system) per transaction, in microseconds: steadier than TPS on a busy machine. */
  readonly cpuUsPerTx: number;
  /** Scrapes answered during the run (0 with metrics off). */
  readonly scrapes: number;
}

/** How to run the comparison. */
export interface MetricsBenchOptions {
  /** pgbench straight to PostgreSQL (host, port, role, database with pgbench's tables). */
  readonly direct: PgbenchTarget;
  readonly upstream: { readonly host: string; readonly port: number };
  readonly pairs: number;
  readonly settings: PgbenchRun;
  readonly log: (line: string) => void;
}

/** Every run, in the order run, and the settings. */
export interface MetricsBenchResult {
  readonly runs: readonly MetricsRun[];
  readonly settings: PgbenchRun;
  readonly pairs: number;
}

async function runOnce(
  metrics: boolean,
  direct: PgbenchTarget,
  upstream: { host: string; port: number },
  settings: PgbenchRun,
): Promise<MetricsRun> {
  const proxy = await startPgtrailProcess({
    mode: 'batched',
    upstreamHost: upstream.host,
    upstreamPort: upstream.port,
    cpuProfileDir: null,
    metrics,
  });
  let scrapes = 0;
  const scraper =
    proxy.metricsPort === null
      ? null
      : setInterval(() => {
          void fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)
            .then((r) => r.text())
            .then(() => scrapes++)
            .catch(() => {});
        }, 1_000);
  try {
    // One scrape before the clock starts: the first HTTP request a fresh process answers loads and
    // compiles its HTTP stack once (tens of ms of CPU), which is start-up, not a cost per transaction.
    if (proxy.metricsPort !== null) await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`).then((r) => r.text());
    const cpuBefore = processCpuSeconds(proxy.pid);
    const result = await runPgbench({ ...direct, host: proxy.host, port: proxy.port }, settings);
    const cpuUsPerTx = ((processCpuSeconds(proxy.pid) - cpuBefore) * 1e6) / Math.max(1, result.transactions);
    return { metrics, tps: result.tps, cpuUsPerTx, scrapes };
  } finally {
    if (scraper) clearInterval(scraper);
    await proxy.stop();
  }
}

/** Runs `pairs` pairs of pgbench runs, metrics off and on, alternating which goes first. */
export async function runMetricsBench(options: MetricsBenchOptions): Promise<MetricsBenchResult> {
  const runs: MetricsRun[] = [];
  for (let i = 0; i < options.pairs; i++) {
    // Alternate which side goes first, so a drift in the machine's load is shared by both.
    const order = i % 2 === 0 ? [false, true] : [true, false];
    for (const metrics of order) {
      const run = await runOnce(metrics, options.direct, options.upstream, options.settings);
      runs.push(run);
      options.log(
        `metrics pair ${i + 1} ${metrics ? 'on ' : 'off'}: ${run.tps.toFixed(0)} tps, ${run.cpuUsPerTx.toFixed(1)} us proxy CPU/tx${metrics ? ` (${run.scrapes} scrapes)` : ''}`,
      );
    }
  }
  return { runs, settings: options.settings, pairs: options.pairs };
}

/** The medians of each side and their ratios. */
export function summariseMetricsBench(result: MetricsBenchResult): {
  tpsOff: number;
  tpsOn: number;
  cpuOff: number;
  cpuOn: number;
} {
  const side = (on: boolean) => result.runs.filter((r) => r.metrics === on);
  return {
    tpsOff: median(side(false).map((r) => r.tps)),
    tpsOn: median(side(true).map((r) => r.tps)),
    cpuOff: median(side(false).map((r) => r.cpuUsPerTx)),
    cpuOn: median(side(true).map((r) => r.cpuUsPerTx)),
  };
}

/** The result as a Markdown section for docs/benchmarks.md, and a one-line summary. */
export function renderMetricsBench(result: MetricsBenchResult): string {
  const s = summariseMetricsBench(result);
  const { mode, clients, seconds, rate } = result.settings;
  const rows = result.runs.map(
    (r, i) =>
      `| ${Math.floor(i / 2) + 1} | ${r.metrics ? 'on' : 'off'} | ${r.tps.toFixed(0)} | ${r.cpuUsPerTx.toFixed(1)} | ${r.metrics ? r.scrapes : ''} |`,
  );
  return [
    `pgbench -S -M ${mode} -c ${clients}${rate === undefined ? '' : ` -R ${rate}`}, ${seconds} s per run, ${result.pairs} pairs through pgtrail (batched), metrics off and on alternating; /metrics scraped every second while on.`,
    '',
    '| side | median TPS | median proxy CPU per transaction |',
    '| --- | ---: | ---: |',
    `| metrics off | ${s.tpsOff.toFixed(0)} | ${s.cpuOff.toFixed(1)} µs |`,
    `| metrics on | ${s.tpsOn.toFixed(0)} | ${s.cpuOn.toFixed(1)} µs |`,
    `| on / off | ${(s.tpsOn / s.tpsOff).toFixed(3)} | ${(s.cpuOn / s.cpuOff).toFixed(3)} |`,
    '',
    'Budget: metrics cost at most 3 % (TPS on/off >= 0.97; proxy CPU per transaction on/off <= 1.03). On a',
    'machine shared with other work TPS follows that work; CPU per transaction is the steadier figure.',
    '',
    '<details><summary>every run</summary>',
    '',
    '| pair | metrics | TPS | proxy CPU/tx (µs) | scrapes |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    '</details>',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '10' },
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
      pairs: Number(values.pairs),
      settings,
      log,
    });
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
