/**
 * Viewer benchmark (issue 18): generates a journal of N statements (default 1,000,000) through the
 * journal writer and sink, as the proxy writes them (search/testing/generated-trail.ts, the search
 * benchmark's shape), starts the web viewer over it in this process (its viewings recorded in an
 * audit journal, as `pgtrail serve` does) and times, through its HTTP API with a session cookie as
 * the page uses it: start-up (search index and every leaf hash), the sessions list (first page,
 * filtered, the last page), a session page and the inclusion proofs of its records, and searches
 * (filtered, a regular expression, a rare match that scans everything, a deep page). Run alone:
 * `node dist/bench/viewer-bench.js [--statements N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { defaultConfig } from '../config/defaults.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { day, generatedSessions, generatedStartMs, writeGeneratedJournal } from './generated-journal.js';
import { startViewer } from '../web/server/viewer-server.js';

/** One timed request (the median of its runs). */
export interface ViewerBenchRow {
  readonly name: string;
  readonly request: string;
  readonly seconds: number;
  /** CPU time of this process (server and client: the viewer runs in it) during the request. */
  readonly cpuSeconds: number;
  /** Bytes of the answer's body. */
  readonly bytes: number;
  /** Rows, records or proofs in the answer. */
  readonly results: number;
}

/** Everything one run measured. */
export interface ViewerBenchResult {
  readonly statements: number;
  readonly sessions: number;
  readonly writeSeconds: number;
  /** startViewer: load (or build) the search index and read every record for its leaf hash. */
  readonly startSeconds: number;
  readonly startCpuSeconds: number;
  /** Resident memory of this process with the viewer started, in bytes. */
  readonly rssBytes: number;
  readonly rows: readonly ViewerBenchRow[];
}

/** How much work to do. */
export interface ViewerBenchOptions {
  readonly statements?: number;
  /** Folder for the temporary journals (default: the OS temp folder). */
  readonly dir?: string;
  /** Runs of each request; the median is reported. */
  readonly repeats?: number;
}

const start = generatedStartMs;

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Rows, records or proofs in an answer of the API. */
function countOf(body: unknown): number {
  const b = body as { rows?: unknown[]; records?: unknown[]; proofs?: unknown[] };
  return (b.rows ?? b.records ?? b.proofs ?? []).length;
}

/** Generates the journal, starts the viewer, times each request, removes everything. */
export async function runViewerBench(options: ViewerBenchOptions = {}): Promise<ViewerBenchResult> {
  const statements = options.statements ?? 1_000_000;
  const repeats = options.repeats ?? 5;
  const sessions = generatedSessions(statements);
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'pgtrail-viewer-bench-'));
  const journal = join(dir, 'journal');
  const audit = join(dir, 'audit');
  try {
    const t0 = process.hrtime.bigint();
    await writeGeneratedJournal(journal, statements);
    const writeSeconds = seconds(t0);

    await createSigningKey(audit);
    const auditWriter = await openJournalWriter({ ...defaultConfig.journal, dir: audit, durability: 'strict' });
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage();
    const viewer = await startViewer({
      journalDir: journal,
      host: '127.0.0.1',
      port: 0,
      sessionTtlMs: 3_600_000,
      jwt: null,
      append: (event) => auditWriter.append(event),
      logger: pino({ level: 'silent' }),
    });
    const startSeconds = seconds(t1);
    const startCpuSeconds = cpuSince(c1);
    const rssBytes = process.memoryUsage().rss;
    try {
      const url = new URL(viewer.url);
      const base = url.origin;
      const login = await fetch(`${base}/api/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: url.hash.replace('#login=', '') }),
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const get = async (path: string) => {
        const res = await fetch(base + path, { headers: { Cookie: cookie } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
        return { text, body: JSON.parse(text) as unknown };
      };
      const rows: ViewerBenchRow[] = [];
      const measure = async (name: string, request: string) => {
        const runs: { seconds: number; cpuSeconds: number; text: string; body: unknown }[] = [];
        for (let i = 0; i < repeats; i++) {
          const t = process.hrtime.bigint();
          const c = process.cpuUsage();
          const answer = await get(request);
          runs.push({ seconds: seconds(t), cpuSeconds: cpuSince(c), ...answer });
        }
        runs.sort((a, b) => a.seconds - b.seconds);
        const mid = runs[Math.floor(runs.length / 2)] as (typeof runs)[number];
        rows.push({
          name,
          request,
          seconds: mid.seconds,
          cpuSeconds: mid.cpuSeconds,
          bytes: Buffer.byteLength(mid.text),
          results: countOf(mid.body),
        });
        return mid.body;
      };
      const iso = (ms: number) => new Date(ms).toISOString();
      const dayStart = start + 10 * day;
      const lastPage = Math.max(0, sessions - 50);

      await measure('sessions, first page (newest)', '/api/sessions?order=desc&limit=50');
      await measure('sessions of a user, first page', '/api/sessions?user=alice&order=desc&limit=50');
      await measure(
        'sessions with errors in one day',
        `/api/sessions?errors=true&since=${iso(dayStart)}&until=${iso(dayStart + day)}&limit=50`,
      );
      await measure('sessions, last page', `/api/sessions?order=desc&limit=50&offset=${lastPage}`);
      const middle = `s${String(Math.floor(sessions / 2)).padStart(7, '0')}`;
      const page = (await measure('a session page (100 statements)', `/api/sessions/${middle}?from=0`)) as {
        records: { seq: number }[];
      };
      const seqs = page.records.map((r) => r.seq).join(',');
      await measure('inclusion proofs of that session', `/api/proofs?seq=${seqs}`);
      await measure('search, a user, newest page', '/api/search?user=alice&order=desc&limit=50');
      await measure(
        'search, a user in one day',
        `/api/search?user=alice&since=${iso(dayStart)}&until=${iso(dayStart + day)}&limit=50`,
      );
      await measure('search, a regular expression', '/api/search?grep=balance%20-%20%5C%241&order=desc&limit=50');
      await measure('search, a rare match (scans every statement)', '/api/search?grep=orders_c999003&limit=50');
      await measure('search, an SQLSTATE, deep page', '/api/search?error=23505&limit=50&offset=5000');
      return { statements, sessions, writeSeconds, startSeconds, startCpuSeconds, rssBytes, rows };
    } finally {
      await viewer.close();
      await auditWriter.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The result as Markdown, for docs/viewer.md and docs/benchmarks.md. */
export function renderViewerBench(r: ViewerBenchResult): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `Journal: ${fmt(r.statements)} statements in ${fmt(r.sessions)} sessions over 30 days (written in ` +
      `${r.writeSeconds.toFixed(1)} s). Viewer start (search index, every leaf hash): ${r.startSeconds.toFixed(1)} s ` +
      `(${r.startCpuSeconds.toFixed(1)} s CPU), ` +
      `${(r.rssBytes / 2 ** 20).toFixed(0)} MiB resident. Each request is the median of its runs, over HTTP with a session cookie.`,
    '',
    '| request | wall ms | CPU ms | answer | rows |',
    '|---|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.name}: \`${row.request.length > 70 ? `${row.request.slice(0, 67)}...` : row.request}\` | ${(row.seconds * 1000).toFixed(1)} | ${(row.cpuSeconds * 1000).toFixed(1)} | ${fmt(row.bytes / 1024)} KiB | ${fmt(row.results)} |`,
    ),
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { statements: { type: 'string' } } });
  const result = await runViewerBench(values.statements === undefined ? {} : { statements: Number(values.statements) });
  process.stdout.write(renderViewerBench(result));
}
