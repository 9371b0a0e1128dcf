/**
 * Releasing legal holds: `pgtrail hold --release` records the release in the journal (so verify
 * checks it), prune then removes what the hold kept; `pgtrail hold --list [--json]` shows each hold
 * in force or released; beside a running writer both wait in holds-pending/ and are honoured at
 * once, and are recorded hold first; a release that names no hold is a finding.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import type { TrailEvent } from '../recorder/events.js';
import { openJournalWriter, type JournalWriter } from '../recorder/journal-writer.js';
import { ensureSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { runCommand } from './support/run-command.js';

const day = 86_400_000;
const old = Date.now() - 100 * day;

function session(id: string, ts: number): TrailEvent[] {
  return sampleSession(id, 12).map((e, i) => ({ ...e, ts: ts + i, session: id }) as TrailEvent);
}

async function writeJournal(dir: string, events: readonly TrailEvent[]): Promise<JournalWriter> {
  await ensureSigningKey(dir);
  const writer = await openJournalWriter({ ...defaultConfig.journal, dir, segmentMaxBytes: 4096 });
  for (const e of events) void writer.append(e);
  await writer.flush();
  return writer;
}

interface ListedHold {
  id: string;
  scope: Record<string, unknown>;
  reason: string | null;
  recorded: number | null;
  inForce: boolean;
  released: { ts: string; reason: string | null; recorded: number | null } | null;
}

async function listHolds(dir: string): Promise<ListedHold[]> {
  const listed = await runCommand('hold', ['--journal', dir, '--list', '--json']);
  expect(listed.code, String(listed.thrown)).toBe(0);
  return listed.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ListedHold);
}

async function verifySummary(dir: string): Promise<{ code: number; summary: Record<string, unknown>; out: string }> {
  const r = await runCommand('verify', ['--journal', dir, '--json']);
  return { code: r.code, summary: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}'), out: r.stdout };
}

const prune = async (dir: string) => {
  const r = await runCommand('prune', ['--journal', dir, '--before', '30d', '--json']);
  expect(r.code, String(r.thrown)).toBe(0);
  return JSON.parse(r.stdout) as { pruned: number; held: number };
};

describe('pgtrail hold --release and --list', () => {
  const root = mkdtempSync(join(tmpdir(), 'pgtrail-hold-release-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a released hold is recorded, listed as released, verified, and no longer keeps its records from prune', async () => {
    const dir = join(root, 'journal');
    await (await writeJournal(dir, [...session('kept', old), ...session('free', old + 1000)])).close();
    const placed = await runCommand('hold', ['--journal', dir, 'kept', '--reason', 'case 42']);
    expect(placed.code, String(placed.thrown)).toBe(0);
    const id = /^hold (hold-[a-z0-9-]+) recorded at index (\d+)$/m.exec(placed.stdout)?.[1];
    expect(id).toBeDefined();

    let holds = await listHolds(dir);
    expect(holds).toEqual([
      {
        id,
        ts: expect.stringMatching(/^\d{4}-/),
        scope: { session: 'kept' },
        reason: 'case 42',
        recorded: expect.any(Number),
        inForce: true,
        released: null,
      },
    ]);
    const first = await prune(dir);
    expect(first.held).toBe(12);
    expect(first.pruned).toBe(12);

    const released = await runCommand('hold', ['--journal', dir, '--release', id!, '--reason', 'case closed']);
    expect(released.code, String(released.thrown)).toBe(0);
    expect(released.stdout).toMatch(new RegExp(`^hold ${id} released recorded at index \\d+\\n$`));
    const text = readdirSync(dir)
      .filter((n) => n.startsWith('segment-'))
      .map((n) => readFileSync(join(dir, n), 'utf8'))
      .join('');
    expect(text).toMatch(new RegExp(`"kind":"hold.released","ts":\\d+,"hold":"${id}","reason":"case closed"`));

    holds = await listHolds(dir);
    expect(holds).toHaveLength(1);
    expect(holds[0]!.inForce).toBe(false);
    expect(holds[0]!.released).toEqual({ ts: expect.any(String), reason: 'case closed', recorded: expect.any(Number) });
    const table = await runCommand('hold', ['--journal', dir, '--list']);
    expect(table.stdout).toMatch(new RegExp(`${id} .* session kept .* released \\d{4}-`));
    expect(table.stdout).toMatch(/\(1 hold\)\n$/);

    const checked = await verifySummary(dir);
    expect(checked.code, checked.out).toBe(0);
    expect(checked.summary.holds).toBe(1);
    expect(checked.summary.holdReleases).toBe(1);
    expect((await runCommand('verify', ['--journal', dir])).stdout).toContain('legal holds: 1, 1 released');

    // What the hold kept is prunable now; the hold and its release stay whole.
    const second = await prune(dir);
    expect(second.pruned).toBe(12);
    expect(second.held).toBe(0);
    const after = await verifySummary(dir);
    expect(after.code, after.out).toBe(0);
    expect(after.summary.prunedRecords).toBe(24);
    expect(after.summary.holdReleases).toBe(1);
  });

  it('refuses to release a hold the journal does not have, or one released already (exit 2)', async () => {
    const dir = join(root, 'refusals');
    await (await writeJournal(dir, session('s', old))).close();
    const unknown = await runCommand('hold', ['--journal', dir, '--release', 'hold-nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.thrown?.message).toBe(`${dir} has no hold hold-nope`);
    const malformed = await runCommand('hold', ['--journal', dir, '--release', 'not a hold id']);
    expect(malformed.code).toBe(2);
    const placed = await runCommand('hold', ['--journal', dir, '--user', 'app']);
    const id = /^hold (\S+) recorded/.exec(placed.stdout)![1]!;
    expect((await runCommand('hold', ['--journal', dir, '--release', id])).code).toBe(0);
    const again = await runCommand('hold', ['--journal', dir, '--release', id]);
    expect(again.code).toBe(2);
    expect(again.thrown?.message).toBe(`hold ${id} was released already`);
    const both = await runCommand('hold', ['--journal', dir, '--list', '--release', id]);
    expect(both.code).toBe(2);
    expect((await listHolds(dir)).map((h) => h.inForce)).toEqual([false]);
  });

  it('beside a running writer, a hold and its release wait as pending files, are honoured at once, and are recorded hold first', async () => {
    const dir = join(root, 'pending');
    const writer = await writeJournal(dir, [
      ...session('a', old),
      ...session('b', old + 1000),
      ...session('c', old + 2000),
    ]);
    let id: string;
    try {
      const placed = await runCommand('hold', ['--journal', dir, 'a']);
      expect(placed.stdout).toContain('the running writer will record it');
      id = /^hold (\S+) placed/.exec(placed.stdout)![1]!;
      const released = await runCommand('hold', ['--journal', dir, '--release', id]);
      expect(released.stdout).toBe(`hold ${id} released placed; the running writer will record it in the journal\n`);
      const holds = await listHolds(dir);
      expect(holds).toHaveLength(1);
      expect(holds[0]).toMatchObject({ id, recorded: null, inForce: false, released: { recorded: null } });
      // Prune reads the pending release: session a is not kept (in the closed segments).
      expect((await prune(dir)).held).toBe(0);
    } finally {
      await writer.close();
    }
    // The writer stopped before it recorded them; the next writer (here `pgtrail hold`'s own) records them in order.
    expect(readdirSync(join(dir, 'holds-pending')).sort()).toEqual([`${id}.json`, `${id}.released.json`]);
    const another = await runCommand('hold', ['--journal', dir, '--user', 'app']);
    expect(another.code, String(another.thrown)).toBe(0);
    expect(readdirSync(join(dir, 'holds-pending'))).toEqual([]);
    const holds = await listHolds(dir);
    expect(holds.map((h) => [h.id === id, h.inForce, h.recorded !== null, h.released?.recorded != null])).toEqual([
      [true, false, true, true],
      [false, true, true, false],
    ]);
    const checked = await verifySummary(dir);
    expect(checked.code, checked.out).toBe(0);
    expect(checked.summary.holds).toBe(2);
    expect(checked.summary.holdReleases).toBe(1);
  });

  it('verify reports a release that names no hold recorded before it', async () => {
    const dir = join(root, 'forged');
    const writer = await writeJournal(dir, session('s', old));
    await writer.appendHold({ hold: 'hold-never-placed', ts: Date.now(), reason: null });
    await writer.close();
    const checked = await verifySummary(dir);
    expect(checked.code).toBe(1);
    expect(checked.out).toMatch(/"code":"JOURNAL_RECORD_MALFORMED".*hold\.released names no hold recorded before it/);
  });
});
