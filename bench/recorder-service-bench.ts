/**
 * The recorder as a service, measured (docs/recorder-service.md): records per CPU-second one
 * `pgtrail recorder` sustains from 4 proxies (target >= 150k), and pgbench -S TPS through a proxy
 * that records to that recorder against the same proxy with a local journal, in batched and in
 * strict durability (targets >= 0.9x and >= 0.7x), as ratios from one run: local and remote runs
 * alternate, and the medians are compared. Every process is `node dist/bin/pgtrail.js`.
 *
 * Part of `npm run bench` (--recorder-seconds N, 0 skips it); alone:
 *   npm run build && node dist/bench/recorder-service-bench.js [--seconds N] [--rounds N] [--scale N]
 * which starts its own embedded PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { freePort, startPostgres } from '../embedded/postgres-server.js';
import { prepareBenchDatabase } from './bench-database.js';
import { startPgtrailCommand, type BenchCommand } from './bench-pgtrail-command.js';
import { median } from './pgbench-matrix.js';
import { runPgbench, type PgbenchTarget } from './pgbench.js';
import { loadRecorder, type RecorderLoadResult } from './recorder-load.js';

/** What the benchmark measured. */
export interface RecorderServiceBenchResult {
  readonly load: readonly RecorderLoadResult[];
  /** Per durability: TPS of each round, local journal and remote recorder. */
  readonly tps: readonly {
    readonly durability: 'batched' | 'strict';
    readonly local: readonly number[];
    readonly remote: readonly number[];
  }[];
  readonly seconds: number;
  readonly clients: number;
}

/** How to run it. */
export interface RecorderServiceBenchOptions {
  /** pgbench straight to PostgreSQL (host, port, role, database with pgbench's tables). */
  readonly direct: PgbenchTarget;
  readonly seconds: number;
  readonly rounds: number;
  readonly log: (line: string) => void;
}

const token = 'bench-recorder-token-0123456789abcdef';
const clients = 8;

/** Runs the load and the pgbench comparison; every process it starts is stopped before it returns. */
export async function runRecorderServiceBench(
  options: RecorderServiceBenchOptions,
): Promise<RecorderServiceBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-bench-recorder-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  const started: BenchCommand[] = [];
  try {
    const recorderPort = await freePort();
    const recorder = await startPgtrailCommand(
      [
        'recorder',
        '--listen',
        `127.0.0.1:${recorderPort}`,
        '--journal',
        join(dir, 'recorder-journal'),
        '--token-file',
        tokenFile,
      ],
      /recorder listening on (ws:\/\/\S+)/,
    );
    started.push(recorder);
    const url = recorder.ready[1]!;
    const load: RecorderLoadResult[] = [];
    // A fresh recorder's first seconds are V8 compiling its hot path (the first round measured
    // 36-86 % of the later ones on this machine): the rate it sustains is measured after a warm-up.
    options.log('recorder service: 4 proxies streaming for 2 s (warm-up, not measured)');
    await loadRecorder(url, token, recorder.pid, 4, 2);
    for (let round = 0; round < options.rounds; round++) {
      options.log(`recorder service: 4 proxies streaming for ${options.seconds} s (round ${round + 1})`);
      load.push(await loadRecorder(url, token, recorder.pid, 4, options.seconds));
    }
    const upstream = `postgres://${options.direct.host}:${options.direct.port}/?sslmode=disable`;
    const proxy = async (name: string, durability: string, remote: boolean): Promise<PgbenchTarget> => {
      const port = await freePort();
      const args = ['start', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--durability', durability];
      if (remote) {
        args.push('--recorder', url, '--recorder-token-file', tokenFile, '--instance', name);
        if (durability === 'batched') args.push('--spool', join(dir, `spool-${name}`));
      } else {
        args.push('--journal', join(dir, `journal-${name}`));
      }
      started.push(await startPgtrailCommand(args, /listening on /));
      return { ...options.direct, host: '127.0.0.1', port };
    };
    const tps: RecorderServiceBenchResult['tps'][number][] = [];
    for (const durability of ['batched', 'strict'] as const) {
      const local = await proxy(`local-${durability}`, durability, false);
      const remote = await proxy(`remote-${durability}`, durability, true);
      const row = { durability, local: [] as number[], remote: [] as number[] };
      for (let round = 0; round < options.rounds; round++) {
        for (const [target, into, label] of [
          [local, row.local, 'local journal'],
          [remote, row.remote, 'remote recorder'],
        ] as const) {
          options.log(`pgbench -S ${clients} clients through a ${durability} proxy, ${label} (round ${round + 1})`);
          const result = await runPgbench(target, { mode: 'simple', clients, seconds: options.seconds, threads: 2 });
          into.push(result.tps);
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

/** The result as Markdown: records per CPU-second and the TPS ratios, with the targets. */
export function renderRecorderServiceBench(result: RecorderServiceBenchResult): string {
  const rate = median(result.load.map((l) => l.recordsPerCpuSecond));
  const lines = [
    `One \`pgtrail recorder\` fed by 4 proxies (the proxy-side sink and link, batched), ${result.seconds} s per round, ${result.load.length} rounds after a 2 s warm-up:`,
    '',
    '| round | records | recorder CPU s | wall s | records per CPU-second |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...result.load.map(
      (l, i) =>
        `| ${i + 1} | ${l.records} | ${l.recorderCpuSeconds.toFixed(2)} | ${l.wallSeconds.toFixed(2)} | ${Math.round(l.recordsPerCpuSecond)} |`,
    ),
    '',
    `Median: **${Math.round(rate)} records per CPU-second** (target >= 150000).`,
    '',
    `pgbench -S -M simple, ${result.clients} clients, ${result.seconds} s per run, local and remote runs alternating:`,
    '',
    '| durability | local journal TPS (median) | remote recorder TPS (median) | remote / local | target |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...result.tps.map((row) => {
      const local = median(row.local);
      const remote = median(row.remote);
      const target = row.durability === 'batched' ? '>= 0.90' : '>= 0.70';
      return `| ${row.durability} | ${local.toFixed(0)} | ${remote.toFixed(0)} | ${(remote / local).toFixed(2)} | ${target} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
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
