/**
 * Runs the journal benchmark (journal-bench.ts) several times, each in a fresh Node process, and
 * keeps the median of each measurement. A fresh process is what pgtrail's writer starts in; in the
 * harness's own process the journal would be measured after minutes of other benchmarks had grown
 * its heap, and one cold run of ~1.5 s swings by ±10% with the machine.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JournalBenchResult, JournalBenchRow } from './journal-bench.js';

const run = promisify(execFile);
const scriptPath = fileURLToPath(new URL('./journal-bench.js', import.meta.url));

function isResult(value: unknown): value is JournalBenchResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof JournalBenchResult, unknown>>;
  return (
    typeof v.recordBytes === 'number' &&
    typeof v.sha256PerSecond === 'number' &&
    typeof v.sha256PerWallSecond === 'number' &&
    Array.isArray(v.rows)
  );
}

function median<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

/** `runs` fresh-process runs of the journal benchmark: per measurement, the run with the median rate per CPU second. */
export async function runJournalBenchInProcesses(
  options: { readonly records: number; readonly strictRecords: number },
  runs: number,
): Promise<JournalBenchResult> {
  const results: JournalBenchResult[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(
      process.execPath,
      [scriptPath, '--records', String(options.records), '--strict-records', String(options.strictRecords), '--json'],
      { maxBuffer: 1 << 20 },
    );
    const parsed: unknown = JSON.parse(stdout);
    if (!isResult(parsed)) throw new Error('journal benchmark printed an unexpected result');
    results.push(parsed);
  }
  const first = results[0];
  if (first === undefined) throw new Error('at least one run is needed');
  const rows: JournalBenchRow[] = first.rows.map((row, i) =>
    median(
      results.map((r) => r.rows[i] ?? row),
      (r) => r.recordsPerCpuSecond,
    ),
  );
  const sha = median(results, (r) => r.sha256PerSecond);
  return {
    recordBytes: first.recordBytes,
    sha256PerSecond: sha.sha256PerSecond,
    sha256PerWallSecond: sha.sha256PerWallSecond,
    rows,
  };
}
