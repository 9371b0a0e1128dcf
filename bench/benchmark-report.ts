import type { ConnectionMemory } from './connection-memory.js';
import type { FdatasyncLatency } from './fdatasync-latency.js';
import { matrixWarmupSeconds, median, type MatrixCell, type MatrixResult } from './pgbench-matrix.js';
import type { SlowClientResult } from './slow-client.js';
import { recordingCostSection } from './recording-cost.js';

/** Facts about the run that a reader needs to judge its numbers. */
export interface RunFacts {
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  readonly postgres: string;
  readonly pgbench: string;
  readonly pgbouncer: string;
  readonly seconds: number;
  readonly rounds: number;
  readonly scale: number;
  /** Where the processes ran: all CPUs shared, or pinned (cpu-placement.ts). */
  readonly placement: string;
}

/** A section written by another benchmark (journal, search), already in markdown. */
export interface ExtraSection {
  readonly title: string;
  readonly markdown: string;
}

/** Everything one `npm run bench` measured. */
export interface BenchReport {
  readonly facts: RunFacts;
  readonly targets: readonly { readonly key: string; readonly label: string }[];
  readonly matrix: readonly MatrixResult[];
  readonly fdatasync: FdatasyncLatency | null;
  readonly connectionMemory: readonly ConnectionMemory[];
  readonly slowClient: readonly SlowClientResult[];
  readonly extra: readonly ExtraSection[];
  readonly notes: readonly string[];
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');
const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(3)} ms` : 'n/a ms');
const cellName = (cell: MatrixCell): string => `-M ${cell.mode}, ${cell.clients} clients`;
/** A paragraph of prose, written as several source lines so that none needs a horizontal scroll. */
const prose = (...parts: readonly string[]): string => parts.join(' ');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

interface Summary {
  readonly tps: number;
  readonly latencyMs: number;
  readonly failed: number;
  readonly transactions: number;
  readonly syncs: number | null;
  /** Mean milliseconds of the journal writer's own fdatasync calls during the runs (call to completion), or null. */
  readonly syncMeanMs: number | null;
  readonly records: number | null;
  /** Median of pgbench's initial connection time (all clients), NaN when pgbench did not print it. */
  readonly connectMs: number;
  /** Proxy CPU microseconds per transaction over all samples, or null for direct. */
  readonly cpuUsPerTx: number | null;
}

function summarise(result: MatrixResult): Summary | null {
  if (result.samples.length === 0) return null;
  const syncs = result.samples.every((s) => s.syncs !== null)
    ? result.samples.reduce((n, s) => n + (s.syncs ?? 0), 0)
    : null;
  return {
    tps: median(result.samples.map((s) => s.tps)),
    latencyMs: median(result.samples.map((s) => s.latencyAvgMs).filter(Number.isFinite)),
    failed: result.samples.reduce((n, s) => n + s.failed, 0),
    transactions: result.samples.reduce((n, s) => n + s.transactions, 0),
    syncs,
    syncMeanMs:
      syncs && result.samples.every((s) => s.syncMs !== null)
        ? result.samples.reduce((n, s) => n + (s.syncMs ?? 0), 0) / syncs
        : null,
    records: result.samples.every((s) => s.records !== null)
      ? result.samples.reduce((n, s) => n + (s.records ?? 0), 0)
      : null,
    cpuUsPerTx:
      result.samples.every((s) => s.proxyCpuSeconds !== null) && result.samples.some((s) => s.transactions > 0)
        ? (result.samples.reduce((n, s) => n + (s.proxyCpuSeconds ?? 0), 0) * 1e6) /
          result.samples.reduce((n, s) => n + s.transactions, 0)
        : null,
    connectMs: median(result.samples.map((s) => s.connectMs ?? Number.NaN).filter(Number.isFinite)),
  };
}

function cells(report: BenchReport): MatrixCell[] {
  const seen = new Map<string, MatrixCell>();
  for (const r of report.matrix) seen.set(`${r.cell.mode}|${r.cell.clients}`, r.cell);
  return [...seen.values()];
}

function lookup(report: BenchReport, target: string, cell: MatrixCell): Summary | null {
  const found = report.matrix.find(
    (r) => r.target === target && r.cell.mode === cell.mode && r.cell.clients === cell.clients,
  );
  return found ? summarise(found) : null;
}

function pgbenchSection(report: BenchReport): string {
  const header = ['setting', ...report.targets.map((t) => t.label)];
  const rows = cells(report).map((cell) => [
    cellName(cell),
    ...report.targets.map((t) => {
      const s = lookup(report, t.key, cell);
      if (!s) return 'n/a';
      const failed = s.failed ? `, ${s.failed} failed` : '';
      const connect = Number.isFinite(s.connectMs) ? ` (connect ${s.connectMs.toFixed(0)} ms)` : '';
      return `${s.tps.toFixed(0)} tps, ${ms(s.latencyMs)}${failed}${connect}`;
    }),
  ]);
  const intro = prose(
    `Median over ${report.facts.rounds} run(s) of ${report.facts.seconds} s each`,
    `(after ${matrixWarmupSeconds} s of pgbench -S -c 8 per target and protocol, not measured):`,
    'TPS without the initial connection time, average latency,',
    "and (in brackets) pgbench's initial connection time for all clients.",
  );
  return `## pgbench -S (select-only): TPS and average latency\n\n${intro}\n\n${table(header, rows)}`;
}

function ratioSection(report: BenchReport): string {
  const trails = report.targets.filter((t) => t.key !== 'direct' && t.key !== 'pgbouncer');
  if (trails.length === 0) return '## Ratios\n\nNo proxy besides pgbouncer was measured in this run.';
  const header = ['setting', ...trails.flatMap((t) => [`${t.label} / direct`, `${t.label} / pgbouncer`])];
  const rows = cells(report).map((cell) => {
    const direct = lookup(report, 'direct', cell);
    const bouncer = lookup(report, 'pgbouncer', cell);
    return [
      cellName(cell),
      ...trails.flatMap((t) => {
        const s = lookup(report, t.key, cell);
        return [
          ratio(s && direct ? s.tps / direct.tps : Number.NaN),
          ratio(s && bouncer ? s.tps / bouncer.tps : Number.NaN),
        ];
      }),
    ];
  });
  return `## Ratios (TPS)\n\nAbove 1.00x means faster than the reference.\n\n${table(header, rows)}`;
}

function cpuSection(report: BenchReport): string {
  const proxies = report.targets.filter((t) => t.key !== 'direct');
  const header = [
    'setting',
    ...proxies.map((t) => t.label),
    ...proxies.filter((t) => t.key !== 'pgbouncer').map((t) => `${t.label} / pgbouncer`),
  ];
  const rows = cells(report).map((cell) => {
    const bouncer = lookup(report, 'pgbouncer', cell)?.cpuUsPerTx ?? null;
    const us = proxies.map((t) => lookup(report, t.key, cell)?.cpuUsPerTx ?? null);
    return [
      cellName(cell),
      ...us.map((u) => (u === null ? 'n/a' : `${u.toFixed(1)} µs`)),
      ...proxies.flatMap((t, i) =>
        t.key === 'pgbouncer' ? [] : [ratio(bouncer && us[i] ? (us[i] ?? 0) / bouncer : Number.NaN)],
      ),
    ];
  });
  const intro = prose(
    'CPU time (user + system, all threads, from /proc) the proxy process used during the runs,',
    'divided by the transactions pgbench completed; it includes connection setup.',
    'Unlike TPS it barely moves when other work shares the machine. Below 1.00x means cheaper than pgbouncer.',
  );
  return `## Proxy CPU per transaction\n\n${intro}\n\n${table(header, rows)}`;
}

function strictSection(report: BenchReport): string | null {
  const f = report.fdatasync;
  if (!report.targets.some((t) => t.key === 'pgtrail-strict')) return null;
  const lines = ['## Strict durability'];
  if (f)
    lines.push(
      '',
      prose(
        "fdatasync of a 512-byte append in the journal's folder, measured in this run:",
        `median ${f.medianMs.toFixed(3)} ms, mean ${f.meanMs.toFixed(3)} ms, p99 ${f.p99Ms.toFixed(3)} ms`,
        `(${f.samples} samples); CPU time per write + fdatasync ${f.cpuMsPerSync.toFixed(3)} ms.`,
      ),
    );
  const rows = cells(report).map((cell) => {
    const strict = lookup(report, 'pgtrail-strict', cell);
    const off = lookup(report, 'pgtrail-off', cell);
    const added = strict && off ? strict.latencyMs - off.latencyMs : Number.NaN;
    const perSync = strict?.syncs ? strict.transactions / strict.syncs : Number.NaN;
    return [
      cellName(cell),
      strict ? ms(strict.latencyMs) : 'n/a',
      off ? ms(off.latencyMs) : 'n/a',
      ms(added),
      f && Number.isFinite(added) ? ratio(added / f.medianMs) : 'n/a',
      strict?.syncMeanMs ? ms(strict.syncMeanMs) : 'n/a',
      strict?.syncMeanMs && Number.isFinite(added) ? ratio(added / strict.syncMeanMs) : 'n/a',
      Number.isFinite(perSync) ? perSync.toFixed(1) : 'n/a',
      strict?.records && strict.transactions ? (strict.records / strict.transactions).toFixed(2) : 'n/a',
    ];
  });
  lines.push(
    '',
    table(
      [
        'setting',
        'strict latency',
        'recording off latency',
        'added by strict',
        'added / fdatasync median',
        "writer's durable write under load (mean)",
        'added / that',
        'statements per durable write',
        'journal records per statement',
      ],
      rows,
    ),
  );
  lines.push(
    '',
    prose(
      'The journal writer makes each batch durable with one write to a segment opened O_DSYNC',
      '(the same guarantee as write + fdatasync, in one call to the thread pool).',
      'pgbench -S sends one statement per transaction, so statements per durable write =',
      "transactions / the writer's durable writes during the runs.",
      'Each statement is two records (started, finished); only the first is waited for.',
      "The writer's durable write under load is the mean time from each such write to its completion",
      'during the strict runs, timed by the writer: with group commit a statement waits for at most',
      'the write in flight plus its own, so 1-2x that is the floor.',
    ),
  );
  return lines.join('\n');
}

function memorySection(report: BenchReport): string | null {
  if (report.connectionMemory.length === 0) return null;
  const rows = report.connectionMemory.map((m) => [
    m.target,
    mb(m.idleRssBytes),
    `${mb(m.loadedRssBytes)} (${m.connections})`,
    kb(m.perConnectionBytes),
    m.heapPerConnectionBytes === null ? 'n/a' : kb(m.heapPerConnectionBytes),
  ]);
  const intro = prose(
    'RSS of the proxy process with no sessions and with N idle sessions (each ran `select 1`), after a warm-up;',
    'a Node process is garbage-collected before each reading, and its live JS heap + external buffers are',
    'read too (RSS of a garbage-collected process moves in pages and arenas, so small per-session figures',
    'are noisy).',
  );
  const header = [
    'target',
    'RSS, no sessions',
    'RSS, N idle sessions (N)',
    'RSS per session',
    'JS heap + buffers per session',
  ];
  return `## Memory per connection\n\n${intro}\n\n${table(header, rows)}`;
}

function slowClientSection(report: BenchReport): string | null {
  if (report.slowClient.length === 0) return null;
  const rows = report.slowClient.map((s) => [
    s.target,
    `${s.rows} rows, ${mb(s.receivedBytes)}`,
    `${s.readMBps.toFixed(1)} MB/s`,
    `${s.seconds.toFixed(1)} s`,
    mb(s.baselineRssBytes),
    mb(s.peakRssBytes),
    mb(s.peakRssBytes - s.baselineRssBytes),
  ]);
  const intro = prose(
    "`select repeat('x', 1000) from generate_series(1, N)` read through the proxy by a client that pauses",
    "its socket to hold a fixed pace; the proxy's RSS is sampled every 50 ms.",
    'Bounded memory means the growth stays far below the result size.',
  );
  const header = ['target', 'result', 'client pace', 'duration', 'RSS before', 'peak RSS', 'growth'];
  return `## A large result to a slow client\n\n${intro}\n\n${table(header, rows)}`;
}

/** The generated part of docs/benchmarks.md. */
export function renderReport(report: BenchReport): string {
  const f = report.facts;
  const facts = table(
    ['', ''],
    [
      ['date', f.date],
      ['machine', f.machine],
      ['Node', f.node],
      ['PostgreSQL', f.postgres],
      ['pgbench', f.pgbench],
      ['pgbouncer', f.pgbouncer],
      [
        'pgbench settings',
        `-S -n, -T ${f.seconds}, ${f.rounds} round(s), scale ${f.scale}, plaintext client and upstream legs`,
      ],
      ['CPU placement', f.placement],
    ],
  );
  const sections = [
    `## This run\n\n${facts}`,
    pgbenchSection(report),
    ratioSection(report),
    recordingCostSection(report.matrix),
    cpuSection(report),
    strictSection(report),
    memorySection(report),
    slowClientSection(report),
    ...report.extra.map((e) => `## ${e.title}\n\n${e.markdown.trim()}`),
    report.notes.length > 0 ? `## Notes\n\n${report.notes.map((n) => `- ${n}`).join('\n')}` : null,
  ];
  return `${sections.filter((s): s is string => s !== null).join('\n\n')}\n`;
}
