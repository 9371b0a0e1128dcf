/**
 * Retention that keeps the proofs: prune a real journal, then verify it, search it, prove records
 * in it and append to it; tamper with a pruned segment (a leaf hash, a removed line) and see verify
 * find it; legal holds keep what they cover; a running writer's segment is left alone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import type { TrailEvent } from '../recorder/events.js';
import { openJournalWriter, type JournalWriter } from '../recorder/journal-writer.js';
import { ensureSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { freePort } from '../embedded/postgres-server.js';
import { runCommand } from './support/run-command.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

const day = 86_400_000;
const now = Date.now();
const old = now - 100 * day;

function session(id: string, ts: number, closed: boolean): TrailEvent[] {
  const events = sampleSession(id, 12).map((e, i) => ({ ...e, ts: ts + i, session: id }) as TrailEvent);
  return closed ? events : events.slice(0, -1);
}

async function writeJournal(dir: string, events: readonly TrailEvent[], keepOpen = false): Promise<JournalWriter> {
  await ensureSigningKey(dir);
  const writer = await openJournalWriter({ ...defaultConfig.journal, dir, segmentMaxBytes: 4096 });
  for (const e of events) void writer.append(e);
  await writer.flush();
  if (!keepOpen) await writer.close();
  return writer;
}

const verify = (dir: string) => runCommand('verify', ['--journal', dir, '--json']);

function verifySummary(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
}

function segments(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^segment-\d{12}\.jsonl$/.test(n))
    .sort();
}

describe('pgtrail prune', () => {
  const root = mkdtempSync(join(tmpdir(), 'pgtrail-retention-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'journal');

  beforeAll(async () => {
    await writeJournal(dir, [
      ...session('oldclosed', old, true),
      ...session('oldheld', old + 1000, true),
      ...session('oldopen', old + 2000, false),
      ...session('recent', now - day, true),
    ]);
    const held = await runCommand('hold', ['--journal', dir, 'oldheld', '--reason', 'case 42']);
    expect(held.code, held.stderr + String(held.thrown)).toBe(0);
  });

  it('prunes old records but not held or open sessions; verify, search, proofs and the writer still work', async () => {
    const before = await runCommand('search', ['--journal', dir, '--json']);
    const rowsBefore = before.stdout.trim().split('\n').length;
    const pruned = await runCommand('prune', [
      '--journal',
      dir,
      '--before',
      new Date(now - 30 * day).toISOString(),
      '--keep-sessions-open',
      '--json',
    ]);
    expect(pruned.code, String(pruned.thrown)).toBe(0);
    const report = JSON.parse(pruned.stdout) as { pruned: number; held: number; keptOpen: number };
    expect(report.pruned).toBe(12);
    expect(report.held).toBe(12);
    expect(report.keptOpen).toBe(11);
    const text = segments(dir)
      .map((s) => readFileSync(join(dir, s), 'utf8'))
      .join('');
    expect(text).not.toMatch(/"session":"oldclosed".*pgbench_accounts/);
    expect(text).toContain('"kind":"pruned"');
    expect(text).toContain('"kind":"hold"');

    const checked = await verify(dir);
    expect(checked.code, checked.stdout).toBe(0);
    const summary = verifySummary(checked.stdout);
    expect(summary.prunedRecords).toBe(12);
    expect(summary.holds).toBe(1);
    expect((summary.prunedRanges as unknown[]).length).toBeGreaterThan(0);
    const human = await runCommand('verify', ['--journal', dir]);
    expect(human.stdout).toMatch(/pruned: 12 records, leaf hashes kept \(segment-\d{12}\.jsonl \d+-\d+/);

    // Search keeps every statement, the pruned ones marked as such, with no SQL.
    const after = await runCommand('search', ['--journal', dir, '--json', '--rebuild-index']);
    const rows = after.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { session: string; sql: string; pruned: boolean });
    expect(rows.length).toBe(rowsBefore);
    const gone = rows.filter((r) => r.session === 'oldclosed');
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.every((r) => r.pruned && r.sql === '(pruned)')).toBe(true);
    expect(rows.filter((r) => r.session !== 'oldclosed').every((r) => !r.pruned)).toBe(true);

    // An inclusion proof of a pruned record still leads to the signed checkpoint.
    const prunedIndex = (summary.prunedRanges as { first: number }[])[0]!.first;
    const proof = await runCommand('proof', ['--journal', dir, '--index', String(prunedIndex)]);
    expect(proof.code, String(proof.thrown)).toBe(0);

    // The writer reopens the pruned journal and appends to it; verify still passes.
    const writer = await openJournalWriter({ ...defaultConfig.journal, dir, segmentMaxBytes: 4096 });
    await writer.append(session('later', now, true)[0]!);
    await writer.close();
    expect((await verify(dir)).code).toBe(0);
  });

  it('finds a tampered pruned segment: a changed leaf hash, a removed pruned line', async () => {
    const file = segments(dir).find((s) => readFileSync(join(dir, s), 'utf8').includes('"kind":"pruned"'))!;
    const original = readFileSync(join(dir, file), 'utf8');
    const lines = original.split('\n');
    const at = lines.findIndex((l) => l.includes('"kind":"pruned"'));
    try {
      const line = lines[at]!;
      const leafAt = line.indexOf('"leaf":"') + 8;
      const flipped = line[leafAt] === 'A' ? 'B' : 'A';
      writeFileSync(
        join(dir, file),
        [...lines.slice(0, at), line.slice(0, leafAt) + flipped + line.slice(leafAt + 1), ...lines.slice(at + 1)].join(
          '\n',
        ),
      );
      const changed = await verify(dir);
      expect(changed.code).toBe(1);
      expect(changed.stdout).toMatch(/"code":"JOURNAL_CHAIN_BROKEN"/);
      expect(changed.stdout).toMatch(/"code":"JOURNAL_ROOT_MISMATCH"/);

      writeFileSync(join(dir, file), [...lines.slice(0, at), ...lines.slice(at + 1)].join('\n'));
      const removed = await verify(dir);
      expect(removed.code).toBe(1);
      expect(removed.stdout).toMatch(/"code":"JOURNAL_INDEX_MISMATCH"|"code":"JOURNAL_SEGMENT_GAP"/);
    } finally {
      writeFileSync(join(dir, file), original);
    }
    expect((await verify(dir)).code).toBe(0);
  });

  it('leaves the segment a running writer appends to, and the held, alone', async () => {
    const live = join(root, 'live');
    const writer = await writeJournal(live, [...session('a', old, true), ...session('b', old + 5, true)], true);
    try {
      const last = segments(live).at(-1)!;
      const lastBefore = readFileSync(join(live, last));
      const pruned = await runCommand('prune', ['--journal', live, '--before', '30d', '--json']);
      expect(pruned.code, String(pruned.thrown)).toBe(0);
      const report = JSON.parse(pruned.stdout) as { pruned: number; inOpenSegment: number };
      expect(report.pruned).toBeGreaterThan(0);
      expect(report.inOpenSegment).toBeGreaterThan(0);
      expect(readFileSync(join(live, last)).equals(lastBefore)).toBe(true);
      // A hold placed while the writer runs waits beside the journal and is honoured at once.
      const held = await runCommand('hold', ['--journal', live, '--user', 'app']);
      expect(held.stdout).toContain('the running writer will record it');
    } finally {
      await writer.close();
    }
    expect((await verify(live)).code).toBe(0);
  });

  it('journal.retention prunes inside pgtrail start, and the running writer records a pending hold', async () => {
    const served = join(root, 'served');
    await writeJournal(served, [...session('s1', old, true), ...session('s2', old + 5, true)]);
    const config = join(root, 'retention.yaml');
    writeFileSync(config, 'log: { level: info }\njournal: { retention: { keepDays: 30, everyMinutes: 60 } }\n');
    const child = spawn(
      process.execPath,
      [pgtrailBin, 'start', '--config', config, '--journal', served, '--listen', `127.0.0.1:${await freePort()}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 500 && !out.includes('journal pruned'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain('journal pruned');
      const held = await runCommand('hold', ['--journal', served, 's2']);
      expect(held.stdout).toContain('the running writer will record it');
      for (let i = 0; i < 500 && !out.includes('legal holds recorded'); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain('legal holds recorded');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const summary = verifySummary((await verify(served)).stdout);
    expect(summary.intact).toBe(true);
    expect(summary.holds).toBe(1);
    expect(summary.prunedRecords).toBeGreaterThan(0);
    expect(readdirSync(join(served, 'holds-pending'))).toEqual([]);
  });
});
