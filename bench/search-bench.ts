/**
 * Search benchmark (issue 5): generates a journal of N statements (default 1,000,000) through the
 * journal writer and sink, as the proxy writes them, then times on it: building the derived index,
 * `search` with a user and time filter, `sessions` for one day, a full regular-expression scan, and
 * a raw read of every record. Run alone: `node dist/bench/search-bench.js [--statements N]`.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { day, generatedSessions, generatedStartMs, writeGeneratedJournal } from './generated-journal.js';
import { listSessions } from '../search/list-sessions.js';
import { openIndex } from '../search/open-index.js';
import { searchStatements } from '../search/search-statements.js';
import { segmentSource } from '../search/segment-source.js';

/** One timed operation. */
export interface SearchBenchRow {
  readonly name: string;
  readonly seconds: number;
  /** CPU time of this process (user + system) during the operation. */
  readonly cpuSeconds: number;
  /** Rows the operation returned (statements or sessions), or records read for scans. */
  readonly results: number;
  /** Records (or statements, for the regex scan) per second, when the operation is a scan. */
  readonly perSecond: number | null;
  /** The issue's bound in seconds, when it sets one. */
  readonly targetSeconds: number | null;
}

/** Everything one run measured. */
export interface SearchBenchResult {
  readonly statements: number;
  readonly sessions: number;
  readonly records: number;
  readonly journalBytes: number;
  readonly writeSeconds: number;
  readonly rows: readonly SearchBenchRow[];
}

/** How much work to do. */
export interface SearchBenchOptions {
  readonly statements?: number;
  /** Folder for the temporary journal (default: the OS temp folder). */
  readonly dir?: string;
  /** Runs of each query; the median is reported. */
  readonly repeats?: number;
}

const start = generatedStartMs;

interface Timed<T> {
  readonly value: T;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

// Wall time and this process's CPU time: on a shared machine the CPU time is the steadier figure.
async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const value = await fn();
  const cpu = process.cpuUsage(c0);
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function median<T>(repeats: number, fn: () => Promise<T>): Promise<Timed<T>> {
  const runs: Timed<T>[] = [];
  for (let i = 0; i < repeats; i++) runs.push(await timed(fn));
  runs.sort((a, b) => a.seconds - b.seconds);
  return runs[Math.floor(runs.length / 2)] as Timed<T>;
}

/** Generates the journal, runs every measurement, removes the journal. */
export async function runSearchBench(options: SearchBenchOptions = {}): Promise<SearchBenchResult> {
  const statements = options.statements ?? 1_000_000;
  const repeats = options.repeats ?? 3;
  const sessions = generatedSessions(statements);
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'pgtrail-search-bench-'));
  try {
    const write = await timed(() => writeGeneratedJournal(dir, statements));
    const journalBytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    const rows: SearchBenchRow[] = [];

    const scan = await timed(async () => {
      const source = segmentSource(dir);
      let n = 0;
      for await (const _ of source.scan(null)) n++;
      return n;
    });
    rows.push({
      name: 'read and parse every record (segment scan)',
      seconds: scan.seconds,
      cpuSeconds: scan.cpuSeconds,
      results: scan.value,
      perSecond: scan.value / scan.seconds,
      targetSeconds: null,
    });

    const build = await timed(async () => (await openIndex(segmentSource(dir), { rebuild: true })).index.rowCount);
    rows.push({
      name: 'build the derived index (first search)',
      seconds: build.seconds,
      cpuSeconds: build.cpuSeconds,
      results: build.value,
      perSecond: scan.value / build.seconds,
      targetSeconds: null,
    });

    // Each query opens the journal afresh: the index is loaded from disk and checked, as a new `pgtrail search` process would.
    const dayStart = start + 10 * day;
    const byUser = await median(
      repeats,
      async () =>
        (
          await searchStatements(
            segmentSource(dir),
            { user: 'alice', since: dayStart, until: dayStart + day },
            { order: 'asc', limit: null },
          )
        ).length,
    );
    rows.push({
      name: 'search --user alice --since D --until D+1d',
      seconds: byUser.seconds,
      cpuSeconds: byUser.cpuSeconds,
      results: byUser.value,
      perSecond: null,
      targetSeconds: 1,
    });

    const byUserLimited = await median(
      repeats,
      async () =>
        (
          await searchStatements(
            segmentSource(dir),
            { user: 'alice', since: start + 29 * day },
            { order: 'desc', limit: 100 },
          )
        ).length,
    );
    rows.push({
      name: 'search --user alice --since 1d --order desc --limit 100',
      seconds: byUserLimited.seconds,
      cpuSeconds: byUserLimited.cpuSeconds,
      results: byUserLimited.value,
      perSecond: null,
      targetSeconds: 1,
    });

    const oneDay = await median(
      repeats,
      async () =>
        (
          await listSessions(
            segmentSource(dir),
            { since: dayStart, until: dayStart + day },
            { order: 'asc', limit: null },
          )
        ).length,
    );
    rows.push({
      name: 'sessions --since D --until D+1d',
      seconds: oneDay.seconds,
      cpuSeconds: oneDay.cpuSeconds,
      results: oneDay.value,
      perSecond: null,
      targetSeconds: 1,
    });

    const regex = await timed(
      async () =>
        (
          await searchStatements(
            segmentSource(dir),
            { grep: /accounts set balance = balance - \$1 where id = \$2/ },
            { order: 'asc', limit: null },
          )
        ).length,
    );
    rows.push({
      name: 'search --grep RE over every statement',
      seconds: regex.seconds,
      cpuSeconds: regex.cpuSeconds,
      results: regex.value,
      perSecond: statements / regex.seconds,
      targetSeconds: null,
    });

    return { statements, sessions, records: scan.value, journalBytes, writeSeconds: write.seconds, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.signing-key`, { force: true });
  }
}

/** The result as Markdown, for docs/benchmarks.md. */
export function renderSearchBench(r: SearchBenchResult): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `Journal: ${fmt(r.statements)} statements in ${fmt(r.sessions)} sessions over 30 days, ${fmt(r.records)} records, ` +
      `${(r.journalBytes / 1024 / 1024).toFixed(0)} MiB (written through the journal sink in ${r.writeSeconds.toFixed(1)} s).`,
    '',
    '| operation | wall s | CPU s | results | rate (by wall time) | target (wall) |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.name} | ${row.seconds.toFixed(3)} | ${row.cpuSeconds.toFixed(3)} | ${fmt(row.results)} | ${row.perSecond === null ? '' : `${fmt(row.perSecond)}/s`} | ${
          row.targetSeconds === null
            ? ''
            : `< ${row.targetSeconds} s ${row.seconds < row.targetSeconds ? 'met' : 'NOT met'}`
        } |`,
    ),
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { statements: { type: 'string' } } });
  const result = await runSearchBench(values.statements === undefined ? {} : { statements: Number(values.statements) });
  process.stdout.write(renderSearchBench(result));
}
