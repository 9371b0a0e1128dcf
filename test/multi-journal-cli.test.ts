// search, sessions, replay and verify over several journals (one per recorder): merged in time order.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEvent } from '../recorder/events.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { ensureSigningKey, defaultSigningKeyPath } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { runCommand } from './support/run-command.js';

let root: string;
let a: string;
let b: string;

/** A session of sample events, every timestamp moved by `offsetMs`. */
function shifted(session: string, offsetMs: number): TrailEvent[] {
  return sampleSession(session, 8).map((e) => ({ ...e, ts: e.ts + offsetMs }));
}

async function writeJournal(dir: string, events: readonly TrailEvent[]): Promise<void> {
  const keyFile = defaultSigningKeyPath(dir);
  await ensureSigningKey(dir, keyFile);
  const writer = await openJournalWriter({
    dir,
    keyFile,
    durability: 'strict',
    batchWindowMs: 20,
    checkpointEveryRecords: 1000,
    checkpointEveryMs: 60_000,
    segmentMaxBytes: 1 << 20,
  });
  for (const e of events) await writer.append(e);
  await writer.close();
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgtrail-multi-journal-'));
  a = join(root, 'recorder-a');
  b = join(root, 'recorder-b');
  await writeJournal(a, [...shifted('aaaa1111', 0), ...shifted('aaaa2222', 200_000)]);
  await writeJournal(b, shifted('bbbb1111', 100_000));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('several --journal directories', () => {
  it('search merges statements of every journal in time order, each saying which journal it came from', async () => {
    const r = await runCommand('search', ['--journal', a, '--journal', b, '--json']);
    expect(r.thrown).toBeNull();
    const rows = jsonLines(r.stdout);
    expect(rows.map((row) => row.session)).toEqual([
      ...Array(3).fill('aaaa1111'),
      ...Array(3).fill('bbbb1111'),
      ...Array(3).fill('aaaa2222'),
    ]);
    expect(rows.map((row) => row.journal)).toEqual([...Array(3).fill(a), ...Array(3).fill(b), ...Array(3).fill(a)]);
    const times = rows.map((row) => String(row.ts));
    expect([...times].sort()).toEqual(times);

    const newest = jsonLines(
      (await runCommand('search', ['--journal', a, '--journal', b, '--json', '--order', 'desc', '--limit', '4']))
        .stdout,
    );
    expect(newest.map((row) => row.session)).toEqual(['aaaa2222', 'aaaa2222', 'aaaa2222', 'bbbb1111']);
    const table = await runCommand('search', ['--journal', a, '--journal', b]);
    expect(table.stdout).toContain('bbbb1111#1');
    expect(table.stdout).toContain('(9 statements)');
  });

  it('sessions merges sessions in the order they opened; one journal alone has no journal member', async () => {
    const rows = jsonLines((await runCommand('sessions', ['--journal', b, '--journal', a, '--json'])).stdout);
    expect(rows.map((row) => [row.session, row.journal])).toEqual([
      ['aaaa1111', a],
      ['bbbb1111', b],
      ['aaaa2222', a],
    ]);
    const one = jsonLines((await runCommand('sessions', ['--journal', b, '--json'])).stdout);
    expect(one).toHaveLength(1);
    expect(one[0]).not.toHaveProperty('journal');
  });

  it('replay finds the session in whichever journal holds it', async () => {
    const r = await runCommand('replay', ['bbbb1111', '--journal', a, '--journal', b, '--json']);
    expect(r.thrown).toBeNull();
    expect(jsonLines(r.stdout).map((row) => row.session)).toEqual(['bbbb1111', 'bbbb1111', 'bbbb1111']);
    const missing = await runCommand('replay', ['cccc', '--journal', a, '--journal', b]);
    expect(missing.thrown?.code).toBe('REPLAY_SESSION_NOT_FOUND');
  });

  it('verify checks each journal and fails when any one of them is damaged', async () => {
    const ok = await runCommand('verify', ['--journal', a, '--journal', b, '--json']);
    expect(ok.code).toBe(0);
    const summaries = jsonLines(ok.stdout).filter((l) => l.kind === 'summary');
    expect(summaries.map((s) => [s.journal, s.intact])).toEqual([
      [a, true],
      [b, true],
    ]);
    const [segment] = (await readdir(b)).filter((n) => n.startsWith('segment-'));
    const path = join(b, segment!);
    await writeFile(path, (await readFile(path, 'utf8')).replace('"statement":2', '"statement":9'));
    const bad = await runCommand('verify', ['--journal', a, '--journal', b]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`journal ${b}\\n[^]*NOT INTACT`));
    expect(bad.stdout).toMatch(new RegExp(`journal ${a}\\nintact`));
  });
});
