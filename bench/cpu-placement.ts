import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * `npm run bench -- --pin`: the database side (PostgreSQL, pgbench, the bench itself) runs on one CPU
 * and the proxy under test on another, as when a proxy has a core of its own. On a machine where
 * they all share every CPU, a proxy's CPU cost shows up as lost TPS; pinned, it shows only in how
 * fast the proxy relays.
 */
export const databaseCpu = 0;
export const proxyCpu = 1;

/** The placement could not be applied. */
export class CpuPlacementError extends Error {
  override readonly name = 'CpuPlacementError';
}

/** Why --pin cannot run here, or null when it can. */
export function pinningUnavailable(): string | null {
  if (process.platform !== 'linux') return '--pin uses taskset and runs on Linux only';
  if (cpus().length < 2) return `--pin needs 2 CPUs; this machine has ${cpus().length}`;
  return null;
}

/** Sets the CPU affinity of every thread of `pid`; processes it starts afterwards inherit it. */
export function pinProcess(pid: number, cpu: number): void {
  try {
    execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(cpu), String(pid)], { stdio: 'ignore' });
  } catch (err) {
    throw new CpuPlacementError(`taskset could not pin process ${pid} to CPU ${cpu}`, { cause: err });
  }
}

/** The line the report prints about where processes ran. */
export function placementFact(pinned: boolean): string {
  return pinned
    ? `pinned (--pin): PostgreSQL and pgbench on CPU ${databaseCpu}, the proxy under test on CPU ${proxyCpu}`
    : 'shared: every process may run on every CPU';
}
