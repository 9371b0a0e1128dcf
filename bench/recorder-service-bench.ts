/**
 * The recorder as a service, measured (docs/recorder-service.md): records per CPU-second one
 * `pgtrail recorder` sustains from 4 proxies (target >= 150k), and pgbench -S TPS through a proxy
 * that records to that recorder against the same proxy with a local journal, in batched and in
 * strict durability (targets >= 0.9x and >= 0.7x), as ratios from one run: local and remote runs
 * alternate in pairs, and the verdict is on the median of the pairs' ratios (at least 7 pairs in npm run bench: TPS on
 * a shared 2-core machine moves 2x between runs). Beside each run's TPS it reports the CPU per
 * transaction of the proxy and, for the remote side, of the recorder (from /proc): on this machine
 * pgbench -S is CPU-bound, so the ratio is decided by the remote side's proxy + recorder CPU per
 * transaction against the local proxy's. Every process is `node dist/bin/pgtrail.js`.
 *
 * Part of `npm run bench` (--recorder-seconds N, 0 skips it); alone:
 *   npm run build && node dist/bench/recorder-service-bench.js [--seconds N] [--rounds N (load rounds, 0 skips)]
 *     [--tps-rounds N] [--durability batched|strict|both] [--scale N]
 * which starts its own embedded PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { freePort, startPostgres } from '../embedded/postgres-server.js';
import { prepareBenchDatabase } from './bench-database.js';
import {
  benchRecorderToken,
  startBenchRecorder,
  startPgtrailCommand,
  type BenchCommand,
} from './bench-pgtrail-command.js';
import { median } from './pgbench-matrix.js';
import { runPgbench, type PgbenchTarget } from './pgbench.js';
import { processCpuSeconds } from './process-cpu.js';
import { loadRecorder, type RecorderLoadResult } from './recorder-load.js';

/** One pgbench run through one proxy: its TPS and the CPU the processes it used spent per transaction. */
export interface RecorderTpsRun {
  readonly tps: number;
  /** CPU seconds of the proxy process per transaction. */
  readonly proxyCpuPerTx: number;
  /** CPU seconds of the recorder process per transaction (0 for a local journal). */
  readonly recorderCpuPerTx: number;
}

/** The TPS targets: remote / local at least this (issue 19). */
const tpsTargets = { batched: 0.9, strict: 0.7 } as const;
/** Records per CPU-second one recorder sustains from 4 proxies: at least this (issue 19). */
const recordsTarget = 150_000;

/** What the benchmark measured. */
export interface RecorderServiceBenchResult {
  readonly load: readonly RecorderLoadResult[];
  /** Per durability: each round's run, local journal and remote recorder (round i of each ran back to back). */
  readonly tps: readonly {
    readonly durability: 'batched' | 'strict';
    readonly local: readonly RecorderTpsRun[];
    readonly remote: readonly RecorderTpsRun[];
  }[];
  readonly seconds: number;
  readonly clients: number;
}

/** How to run it. */
export interface RecorderServiceBenchOptions {
  /** pgbench straight to PostgreSQL (host, port, role, database with pgbench's tables). */
  readonly direct: PgbenchTarget;
  readonly seconds: number;
  /** Rounds of the records-per-CPU-second load. */
  readonly rounds: number;
  /** Alternated local/remote pairs per durability (at least 5 makes the ratio a median of 5). */
  readonly tpsRounds: number;
  readonly durabilities: readonly ('batched' | 'strict')[];
  readonly log: (line: string) => void;
}

const clients = 8;

/** Runs the load and the pgbench comparison; every process it starts is stopped before it returns. */
export async function runRecorderServiceBench(
  options: RecorderServiceBenchOptions,
): Promise<RecorderServiceBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-bench-recorder-'));
  const started: BenchCommand[] = [];
  try {
    const { command: recorder, url, tokenFile } = await startBenchRecorder(dir);
    started.push(recorder);
    const load: RecorderLoadResult[] = [];
    // A fresh recorder's first seconds are V8 compiling its hot path (the first round measured
    // 36-86 % of the later ones on this machine): the rate it sustains is measured after a warm-up.
    options.log('recorder service: 4 proxies streaming for 2 s (warm-up, not measured)');
    await loadRecorder(url, benchRecorderToken, recorder.pid, 4, 2);
    for (let round = 0; round < options.rounds; round++) {
      options.log(`recorder service: 4 proxies streaming for ${options.seconds} s (round ${round + 1})`);
      load.push(await loadRecorder(url, benchRecorderToken, recorder.pid, 4, options.seconds));
    }
    const upstream = `postgres://${options.direct.host}:${options.direct.port}/?sslmode=disable`;
    const proxy = async (
      name: string,
      durability: string,
      remote: boolean,
    ): Promise<{ target: PgbenchTarget; pid: number }> => {
      const port = await freePort();
      const args = ['start', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--durability', durability];
      if (remote) {
        args.push('--recorder', url, '--recorder-token-file', tokenFile, '--instance', name);
        if (durability === 'batched') args.push('--spool', join(dir, `spool-${name}`));
      } else {
        args.push('--journal', join(dir, `journal-${name}`));
      }
      const command = await startPgtrailCommand(args, /listening on /);
      started.push(command);
      return { target: { ...options.direct, host: '127.0.0.1', port }, pid: command.pid };
    };
    const tps: RecorderServiceBenchResult['tps'][number][] = [];
    for (const durability of options.durabilities) {
      const local = { ...(await proxy(`local-${durability}`, durability, false)), recorderPid: null };
      const remote = { ...(await proxy(`remote-${durability}`, durability, true)), recorderPid: recorder.pid };
      const row = { durability, local: [] as RecorderTpsRun[], remote: [] as RecorderTpsRun[] };
      // A fresh proxy's first seconds are V8 compiling its hot path (and a fresh remote proxy's first
      // statements wait for its link): one unmeasured run each (the first pair measured 2-10x the CPU
      // per transaction of the later ones without it).
      for (const side of [local, remote]) {
        options.log(`pgbench -S ${clients} clients through a ${durability} proxy (warm-up, not measured)`);
        await runPgbench(side.target, { mode: 'simple', clients, seconds: options.seconds, threads: 2 });
      }
      for (let round = 0; round < options.tpsRounds; round++) {
        // Which side goes first alternates, so that drift on a shared machine favours neither.
        const pair = [
          [local, row.local, 'local journal'],
          [remote, row.remote, 'remote recorder'],
        ] as const;
        for (const [side, into, label] of round % 2 === 0 ? pair : [pair[1], pair[0]]) {
          const run = await measuredRun(side.target, side.pid, side.recorderPid, options.seconds);
          options.log(
            `pgbench -S ${clients} clients through a ${durability} proxy, ${label} (round ${round + 1}): ${run.tps.toFixed(0)} tps, proxy ${micros(run.proxyCpuPerTx)} us cpu/tx${side.recorderPid === null ? '' : `, recorder ${micros(run.recorderCpuPerTx)} us cpu/tx`}`,
          );
          into.push(run);
        }
      }
      tps.push(row);
    }
    return { load, tps, seconds: options.seconds, clients };
  } finally {
    for (const command of started.reverse()) await command.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One pgbench -S run through a proxy, billing the proxy's and the recorder's CPU to its transactions. */
async function measuredRun(
  target: PgbenchTarget,
  proxyPid: number,
  recorderPid: number | null,
  seconds: number,
): Promise<RecorderTpsRun> {
  const proxyBefore = processCpuSeconds(proxyPid);
  const recorderBefore = recorderPid === null ? 0 : processCpuSeconds(recorderPid);
  const result = await runPgbench(target, { mode: 'simple', clients, seconds, threads: 2 });
  // A batched proxy acknowledges (and the recorder writes) up to a window after the last statement.
  if (recorderPid !== null) await new Promise((resolve) => setTimeout(resolve, 100));
  const transactions = Math.max(1, result.transactions);
  return {
    tps: result.tps,
    proxyCpuPerTx: (processCpuSeconds(proxyPid) - proxyBefore) / transactions,
    recorderCpuPerTx: recorderPid === null ? 0 : (processCpuSeconds(recorderPid) - recorderBefore) / transactions,
  };
}

function micros(seconds: number): string {
  return (seconds * 1e6).toFixed(1);
}

/** The result as Markdown: records per CPU-second and the TPS ratios, with the targets and the verdicts. */
export function renderRecorderServiceBench(result: RecorderServiceBenchResult): string {
  const rate = median(result.load.map((l) => l.recordsPerCpuSecond));
  const loadLines = [
    `One \`pgtrail recorder\` fed by 4 proxies (the proxy-side sink and link, batched), ${result.seconds} s per round, ${result.load.length} rounds after a 2 s warm-up:`,
    '',
    '| round | statements | records | recorder CPU s | wall s | records per CPU-second | statements per CPU-second |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.load.map(
      (l, i) =>
        `| ${i + 1} | ${l.statements} | ${l.records} | ${l.recorderCpuSeconds.toFixed(2)} | ${l.wallSeconds.toFixed(2)} | ${Math.round(l.recordsPerCpuSecond)} | ${Math.round(l.statements / l.recorderCpuSeconds)} |`,
    ),
    '',
    `Median: **${Math.round(rate)} records per CPU-second** (target >= ${recordsTarget}: ${rate >= recordsTarget ? 'met' : 'not met'}); a batched proxy sends most statements as one record (docs/journal-format.md §14), the rest as two.`,
    '',
  ];
  const lines = [
    ...(result.load.length > 0 ? loadLines : []),
    `pgbench -S -M simple, ${result.clients} clients, ${result.seconds} s per run, local and remote runs alternating in pairs (the first of each pair alternating too); the verdict is on the median of the pairs' remote / local TPS ratios. CPU per transaction is CPU time (user + system, all threads, from /proc) over the transactions pgbench completed, median over the runs; on a CPU-bound machine the ratio follows (pgbench + PostgreSQL + local proxy) / (pgbench + PostgreSQL + remote proxy + recorder) CPU per transaction:`,
    '',
    '| durability | pairs | local TPS (median) | remote TPS (median) | remote / local (median of pairs) | target | verdict | local proxy CPU/tx | remote proxy CPU/tx | recorder CPU/tx | remote - local CPU/tx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...result.tps.map((row) => {
      const ratio = median(row.remote.map((r, i) => r.tps / (row.local[i]?.tps ?? Number.NaN)));
      const target = tpsTargets[row.durability];
      const localCpu = median(row.local.map((r) => r.proxyCpuPerTx));
      const remoteCpu = median(row.remote.map((r) => r.proxyCpuPerTx));
      const recorderCpu = median(row.remote.map((r) => r.recorderCpuPerTx));
      return `| ${row.durability} | ${row.remote.length} | ${median(row.local.map((r) => r.tps)).toFixed(0)} | ${median(row.remote.map((r) => r.tps)).toFixed(0)} | ${ratio.toFixed(2)} | >= ${target.toFixed(2)} | ${ratio >= target ? 'met' : 'not met'} | ${micros(localCpu)} µs | ${micros(remoteCpu)} µs | ${micros(recorderCpu)} µs | ${micros(remoteCpu + recorderCpu - localCpu)} µs |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      'tps-rounds': { type: 'string', default: '5' },
      durability: { type: 'string', default: 'both' },
      scale: { type: 'string', default: '1' },
    },
  });
  const log = (line: string): void => {
    process.stderr.write(`bench: ${line}\n`);
  };
  log('starting PostgreSQL');
  const server = await startPostgres(embeddedBinaries());
  try {
    const db = await prepareBenchDatabase(server, Number(values.scale));
    const result = await runRecorderServiceBench({
      direct: db.direct,
      seconds: Number(values.seconds),
      rounds: Number(values.rounds),
      tpsRounds: Number(values['tps-rounds']),
      durabilities:
        values.durability === 'both' ? ['batched', 'strict'] : [values.durability === 'strict' ? 'strict' : 'batched'],
      log,
    });
    process.stdout.write(renderRecorderServiceBench(result));
  } finally {
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}
