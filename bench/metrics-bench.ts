/**
 * What the metrics endpoint costs on the forwarding path: pgbench -S through pgtrail (recording,
 * batched durability) with metrics off and on, in alternating pairs in one run on one PostgreSQL,
 * while a scraper reads /metrics every second (harsher than Prometheus' usual 15 s). Prints each
 * pair and the median TPS of each side and their ratio; docs/metrics.md quotes it.
 *
 *   node dist/bench/metrics-bench.js [--pairs 5] [--seconds 10] [--clients 8] [--mode simple|prepared]
 */
import { parseArgs } from 'node:util';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres } from '../embedded/postgres-server.js';
import { prepareBenchDatabase } from './bench-database.js';
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
    const cpuBefore = processCpuSeconds(proxy.pid);
    const result = await runPgbench({ ...direct, host: proxy.host, port: proxy.port }, settings);
    const cpuUsPerTx = ((processCpuSeconds(proxy.pid) - cpuBefore) * 1e6) / Math.max(1, result.transactions);
    return { metrics, tps: result.tps, cpuUsPerTx, scrapes };
  } finally {
    if (scraper) clearInterval(scraper);
    await proxy.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '10' },
      clients: { type: 'string', default: '8' },
      mode: { type: 'string', default: 'simple' },
    },
  });
  const pairs = Number(values.pairs);
  const mode = values.mode === 'prepared' ? 'prepared' : 'simple';
  const settings: PgbenchRun = { mode, clients: Number(values.clients), seconds: Number(values.seconds), threads: 2 };
  const server = await startPostgres(embeddedBinaries());
  try {
    const db = await prepareBenchDatabase(server, 1);
    const runs: MetricsRun[] = [];
    for (let i = 0; i < pairs; i++) {
      // Alternate which side goes first, so a drift in the machine's load is shared by both.
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order) {
        const run = await runOnce(metrics, db.direct, server, settings);
        runs.push(run);
        process.stdout.write(
          `pair ${i + 1} metrics ${metrics ? 'on ' : 'off'}: ${run.tps.toFixed(0)} tps, ${run.cpuUsPerTx.toFixed(1)} us proxy CPU/tx${metrics ? ` (${run.scrapes} scrapes)` : ''}\n`,
        );
      }
    }
    const side = (on: boolean) => runs.filter((r) => r.metrics === on);
    const off = median(side(false).map((r) => r.tps));
    const on = median(side(true).map((r) => r.tps));
    const cpuOff = median(side(false).map((r) => r.cpuUsPerTx));
    const cpuOn = median(side(true).map((r) => r.cpuUsPerTx));
    const pairRatios = side(true).map((r, i) => r.tps / (side(false)[i]?.tps ?? Number.NaN));
    process.stdout.write(
      `pgbench -S -M ${mode} -c ${settings.clients}, ${settings.seconds} s x ${pairs} pairs: ` +
        `median TPS off ${off.toFixed(0)}, on ${on.toFixed(0)} (on/off ${(on / off).toFixed(3)}; median of pair ratios ${median(pairRatios).toFixed(3)}); ` +
        `median proxy CPU per transaction off ${cpuOff.toFixed(1)} us, on ${cpuOn.toFixed(1)} us (on/off ${(cpuOn / cpuOff).toFixed(3)})\n`,
    );
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`metrics-bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
