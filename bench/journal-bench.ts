/**
 * The journal's benchmark: append rate under batched and strict durability, read and verify rates,
 * each beside the machine's own SHA-256 rate on a record-sized input measured in the same run
 * (PRODUCT.md judges performance only as ratios within one run). Targets from issue 3: append at
 * least 200,000 records/s batched; verify at least 300,000 records/s.
 *
 * `runJournalBench()` is called by bench/run.ts; `node dist/bench/journal-bench.js [--records N]`
 * runs it alone and prints the table.
 */
import { hash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { TrailEvent } from '../recorder/events.js';
import { readJournal } from '../recorder/journal-reader.js';
import { openJournalWriter, type JournalWriter } from '../recorder/journal-writer.js';
import { eventRecordLine, zeroHashBase64 } from '../recorder/record-format.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { statementFinished, statementStarted } from '../recorder/testing/sample-events.js';
import { verifyJournalDir } from '../recorder/verify-journal-dir.js';

/** One measured rate and its ratio to the SHA-256 rate. */
export interface JournalBenchRow {
  readonly name: string;
  readonly records: number;
  /** Wall-clock time. */
  readonly seconds: number;
  /** CPU time of this process (all threads, user + system). */
  readonly cpuSeconds: number;
  /** Records per wall-clock second. */
  readonly recordsPerSecond: number;
  /** Records per CPU second: steadier than wall clock when other work shares the machine. */
  readonly recordsPerCpuSecond: number;
  /** recordsPerCpuSecond / SHA-256 hashes per CPU second of a record-sized input. */
  readonly ratioToSha256: number;
  /** The issue's target in records/s, when it sets one. */
  readonly target: number | null;
}

/** Everything one run measured. */
export interface JournalBenchResult {
  /** Bytes of the typical record hashed for the SHA-256 rate. */
  readonly recordBytes: number;
  /** SHA-256 hashes per CPU second (and per wall-clock second, which equals it on an idle core). */
  readonly sha256PerSecond: number;
  readonly sha256PerWallSecond: number;
  readonly rows: readonly JournalBenchRow[];
}

/** How much work to do. */
export interface JournalBenchOptions {
  /** Records appended in batched mode (and then read and verified). */
  readonly records?: number;
  /** Records appended in strict mode (bounded by fdatasync latency, so fewer). */
  readonly strictRecords?: number;
  /** Concurrent appenders in strict mode, like sessions of a proxy. */
  readonly strictConcurrency?: number;
  /** Folder for the temporary journals (default: the OS temp folder). */
  readonly dir?: string;
}

function event(n: number): TrailEvent {
  return n % 2 === 0 ? statementStarted(`s${n % 64}`, n) : statementFinished(`s${n % 64}`, n);
}

interface Timing<T> {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly value: T;
}

async function timed<T>(work: () => Promise<T> | T): Promise<Timing<T>> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: (used.user + used.system) / 1e6, value };
}

// The machine's SHA-256 rate: one-shot node:crypto hashes of 0x00 || record, i.e. of exactly what a leaf hash takes.
// The digest is returned as a string ('binary'), node:crypto's cheapest form: a 'buffer' digest
// allocates an ArrayBuffer per call and costs about twice as much, which would flatter the ratios.
async function measureSha256(
  recordBytes: Buffer,
  count = 300_000,
): Promise<{ perCpuSecond: number; perWallSecond: number }> {
  const input = Buffer.concat([Buffer.from([0]), recordBytes]);
  const t = await timed(() => {
    for (let i = 0; i < count; i++) hash('sha256', input, 'binary');
  });
  return { perCpuSecond: count / t.cpuSeconds, perWallSecond: count / t.seconds };
}

async function open(dir: string, durability: 'strict' | 'batched'): Promise<JournalWriter> {
  return openJournalWriter({
    dir,
    durability,
    batchWindowMs: 20,
    checkpointEveryRecords: 10_000,
    checkpointEveryMs: 10_000,
    segmentMaxBytes: 64 * 1024 * 1024,
  });
}

/** Runs the journal benchmark (see the module comment) and returns its rows. */
export async function runJournalBench(options: JournalBenchOptions = {}): Promise<JournalBenchResult> {
  const records = options.records ?? 300_000;
  const strictRecords = options.strictRecords ?? 50_000;
  const concurrency = options.strictConcurrency ?? 64;
  const root = await mkdtemp(join(options.dir ?? tmpdir(), 'pgtrail-journal-bench-'));
  try {
    const sample = Buffer.from(eventRecordLine(123_456, zeroHashBase64, JSON.stringify(event(2))));
    // SHA-256 is measured before and after the journal work and averaged, so drift is shared.
    const shaBefore = await measureSha256(sample);
    const rows: JournalBenchRow[] = [];
    const timings: { name: string; count: number; t: Timing<unknown>; target: number | null }[] = [];
    const row = (name: string, count: number, t: Timing<unknown>, target: number | null) =>
      timings.push({ name, count, t, target });

    const batchedDir = join(root, 'batched');
    const vkey = await createSigningKey(batchedDir);
    const batched = await open(batchedDir, 'batched');
    const appended = await timed(async () => {
      for (let n = 0; n < records; n++) {
        batched.appendWithoutWaiting(event(n));
        // Backpressure, as sockets give a proxy: wait for the disk every 10,000 records.
        if (n % 10_000 === 9_999) await batched.flush();
      }
      await batched.flush();
    });
    const batchedTotal = batched.size;
    await batched.close();
    row('append, batched', records, appended, 200_000);

    const strictDir = join(root, 'strict');
    await createSigningKey(strictDir);
    const strict = await open(strictDir, 'strict');
    let next = 0;
    const strictRun = await timed(async () => {
      const session = async () => {
        while (next < strictRecords) await strict.append(event(next++));
      };
      await Promise.all(Array.from({ length: concurrency }, session));
    });
    await strict.close();
    row(`append, strict (${concurrency} concurrent appenders)`, strictRecords, strictRun, null);

    const read = await timed(async () => {
      let count = 0;
      for await (const entry of readJournal(batchedDir)) if (entry.index >= 0) count++;
      return count;
    });
    row('read (readJournal)', read.value, read, null);

    const verified = await timed(() => verifyJournalDir(batchedDir, { pinnedKeys: [vkey], stateFile: null }));
    if (!verified.value.intact) throw new Error('the benchmark journal does not verify');
    row('verify', verified.value.records, verified, 300_000);
    if (verified.value.records < batchedTotal) throw new Error('verify saw fewer records than were written');
    const shaAfter = await measureSha256(sample);
    const sha256PerSecond = (shaBefore.perCpuSecond + shaAfter.perCpuSecond) / 2;
    for (const { name, count, t, target } of timings) {
      const recordsPerCpuSecond = count / t.cpuSeconds;
      rows.push({
        name,
        records: count,
        seconds: t.seconds,
        cpuSeconds: t.cpuSeconds,
        recordsPerSecond: count / t.seconds,
        recordsPerCpuSecond,
        ratioToSha256: recordsPerCpuSecond / sha256PerSecond,
        target,
      });
    }
    return {
      recordBytes: sample.length,
      sha256PerSecond,
      sha256PerWallSecond: (shaBefore.perWallSecond + shaAfter.perWallSecond) / 2,
      rows,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The result as a Markdown table, for docs/benchmarks.md. */
export function renderJournalBench(result: JournalBenchResult, runs = 1): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    ...(runs > 1
      ? [
          `Each measurement is the median of ${runs} runs, each in a fresh Node process (as pgtrail starts its writer), one after another.`,
          '',
        ]
      : []),
    `SHA-256 of 0x00 and one ${result.recordBytes}-byte record (node:crypto one-shot hash, string digest): ${fmt(result.sha256PerSecond)} per CPU second ` +
      `(${fmt(result.sha256PerWallSecond)} per wall-clock second). Rates per CPU second are the process's CPU time (all threads), ` +
      'steady when other work shares the machine; the target is met when the CPU-second rate reaches it.',
    '',
    '| measurement | records | records / wall s | records / CPU s | ratio to SHA-256 (CPU) | target |',
    '|---|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.records)} | ${fmt(r.recordsPerSecond)} | ${fmt(r.recordsPerCpuSecond)} | ${r.ratioToSha256.toFixed(3)} | ` +
        `${r.target === null ? '' : `${fmt(r.target)}/s ${r.recordsPerCpuSecond >= r.target ? 'met' : 'NOT met'}`} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      'strict-records': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const result = await runJournalBench({
    ...(values.records === undefined ? {} : { records: Number(values.records) }),
    ...(values['strict-records'] === undefined ? {} : { strictRecords: Number(values['strict-records']) }),
  });
  // --json: the result for bench/journal-bench-runs.ts, which runs this file in fresh processes.
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : renderJournalBench(result));
}
