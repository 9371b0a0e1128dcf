import type { WriterCounters } from '../proxy/offthread/recording-thread-messages.js';
import { processCpuSeconds } from './process-cpu.js';
import { runPgbench, type PgbenchResult, type PgbenchRun, type PgbenchTarget } from './pgbench.js';

/**
 * Counters of a journal writer, read before and after a run to tell how many records one durable
 * write covered: batches made durable (one O_DSYNC write, or write + fdatasync, each), the
 * milliseconds they took from call to completion, summed, and the records in the journal.
 */
export type SyncCounters = WriterCounters;

/** One thing pgbench is pointed at: PostgreSQL itself, pgbouncer, or pgtrail in one recording mode. */
export interface BenchTarget {
  /** Short stable key, e.g. 'direct', 'pgbouncer', 'pgtrail-strict'. */
  readonly key: string;
  readonly label: string;
  readonly connection: PgbenchTarget;
  /** The proxy's process, whose CPU time is read around each run; absent for PostgreSQL direct. */
  readonly pid?: number;
  /** The journal writer's counters, for pgtrail with recording on; absent otherwise. */
  readonly syncCounters?: () => Promise<SyncCounters | null>;
}

/** A pgbench setting of the matrix: protocol and client count. */
export interface MatrixCell {
  readonly mode: PgbenchRun['mode'];
  readonly clients: number;
}

/** One pgbench run's result, with the journal's counters over the run when the target has them. */
export interface MatrixSample extends PgbenchResult {
  readonly syncs: number | null;
  readonly syncMs: number | null;
  readonly records: number | null;
  /** CPU seconds the proxy process used during the run (connections included), or null without a pid. */
  readonly proxyCpuSeconds: number | null;
}

/** Every sample of one target in one cell, in run order. */
export interface MatrixResult {
  readonly target: string;
  readonly cell: MatrixCell;
  readonly samples: readonly MatrixSample[];
}

/** The warm-up `npm run bench` gives each target and protocol before its matrix (MatrixOptions.warmupSeconds). */
export const matrixWarmupSeconds = 3;

/** How the matrix is run. */
export interface MatrixOptions {
  readonly cells: readonly MatrixCell[];
  readonly seconds: number;
  readonly rounds: number;
  readonly threads: number;
  /**
   * Seconds of pgbench (8 clients) per target and protocol before the first round, not measured:
   * a fresh Node process runs its first seconds unoptimised, which a relay of a few lines barely
   * feels and pgtrail does, so without it the first round weighs against pgtrail. 0: none.
   */
  readonly warmupSeconds: number;
  readonly log: (line: string) => void;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  return items.map((_, i) => items[(i + by) % n] as T);
}

/**
 * Runs pgbench -S for every cell against every target, `rounds` times. Targets are interleaved within
 * each cell and their order rotates from round to round, so that drift on a shared machine (other
 * load, caches warming, the journal growing) spreads over all targets instead of biasing one.
 */
export async function runPgbenchMatrix(
  targets: readonly BenchTarget[],
  options: MatrixOptions,
): Promise<MatrixResult[]> {
  const samples = new Map<string, MatrixSample[]>();
  const keyOf = (target: string, cell: MatrixCell): string => `${target}|${cell.mode}|${cell.clients}`;
  const total = options.rounds * options.cells.length * targets.length;
  let done = 0;
  if (options.warmupSeconds > 0) {
    const modes = [...new Set(options.cells.map((cell) => cell.mode))];
    options.log(`warm-up: ${options.warmupSeconds} s of pgbench -S -c 8 per target and protocol, not measured`);
    for (const target of targets) {
      for (const mode of modes) {
        await runPgbench(target.connection, {
          mode,
          clients: 8,
          seconds: options.warmupSeconds,
          threads: options.threads,
        });
      }
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const [c, cell] of options.cells.entries()) {
      for (const target of rotate(targets, round + c)) {
        const before = (await target.syncCounters?.()) ?? null;
        const cpuBefore = target.pid === undefined ? null : processCpuSeconds(target.pid);
        const result = await runPgbench(target.connection, {
          ...cell,
          seconds: options.seconds,
          threads: options.threads,
        });
        const cpuAfter = target.pid === undefined ? null : processCpuSeconds(target.pid);
        const after = (await target.syncCounters?.()) ?? null;
        const sample: MatrixSample = {
          ...result,
          syncs: before && after ? after.syncs - before.syncs : null,
          syncMs: before && after ? after.syncMs - before.syncMs : null,
          records: before && after ? after.records - before.records : null,
          proxyCpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
        };
        const key = keyOf(target.key, cell);
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        done++;
        options.log(
          `[${done}/${total}] -M ${cell.mode} -c ${cell.clients} ${target.key}: ${result.tps.toFixed(0)} tps, ${result.latencyAvgMs.toFixed(3)} ms${result.failed ? `, ${result.failed} failed` : ''}${result.connectMs === null ? '' : `, connect ${result.connectMs.toFixed(0)} ms`}${sample.proxyCpuSeconds === null || result.transactions === 0 ? '' : `, proxy ${((sample.proxyCpuSeconds / result.transactions) * 1e6).toFixed(1)} us cpu/tx`}`,
        );
      }
    }
  }
  return options.cells.flatMap((cell) =>
    targets.map((t) => ({ target: t.key, cell, samples: samples.get(keyOf(t.key, cell)) ?? [] })),
  );
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? Number.NaN) + hi) / 2;
}
