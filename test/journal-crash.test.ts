/**
 * Crash safety of the journal (issue 3): a torn final write is cut, kept and recorded on reopen;
 * any other damage refuses to open; a writer killed with -9 under load loses nothing it acknowledged.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JournalConfig } from '../config/config.js';
import { readJournal } from '../recorder/journal-reader.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { verifyJournalDir } from '../recorder/verify-journal-dir.js';

let root: string;
let vkey: string;
let snapshot: string;
let n = 0;

// Every copy of the journal is opened with the one key, which lives beside the live journal.
const config = (dir: string): JournalConfig => ({
  dir,
  retention: { keepDays: 0, everyMinutes: 60, keepSessionsOpen: true },
  keyFile: join(root, 'live.signing-key'),
  durability: 'strict',
  batchWindowMs: 10,
  checkpointEveryRecords: 1000,
  checkpointEveryMs: 600_000,
  segmentMaxBytes: 1 << 20,
  witnesses: [],
});

async function lastSegment(dir: string): Promise<string> {
  return (await readdir(dir))
    .filter((f) => /^segment-\d+\.jsonl$/.test(f))
    .sort()
    .at(-1)!;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgtrail-crash-'));
  const live = join(root, 'live');
  vkey = await createSigningKey(live);
  const writer = await openJournalWriter(config(live));
  for (const e of sampleSession('crash', 40)) await writer.append(e);
  // A crash leaves the journal as it is now: the last record is an event, after the last checkpoint.
  snapshot = join(root, 'snapshot');
  await cp(live, snapshot, { recursive: true });
  await unlink(join(snapshot, 'lock'));
  await writer.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('crash recovery on open', () => {
  test('cutting the last segment at every byte offset of its final record: reopen cuts, keeps and records the torn bytes', async () => {
    const segment = await lastSegment(snapshot);
    const bytes = await readFile(join(snapshot, segment));
    const start = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
    expect(bytes.length - start).toBeGreaterThan(200);
    const events = [];
    for await (const e of readJournal(snapshot)) if (e.event !== null) events.push(e.event);

    for (let cut = start; cut < bytes.length; cut++) {
      const dir = join(root, `cut-${n++}`);
      await cp(snapshot, dir, { recursive: true });
      await truncate(join(dir, segment), cut);
      const writer = await openJournalWriter(config(dir));
      await writer.close();

      const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
      expect(report.findings, `cut at ${cut}`).toEqual([]);
      const torn = (await readdir(dir)).filter((f) => f.includes('.torn-'));
      if (cut === start) {
        expect(report.recoveries).toBe(0);
        expect(torn).toEqual([]);
      } else {
        expect(report.recoveries, `cut at ${cut}`).toBe(1);
        expect(torn).toEqual([`${segment}.torn-${start}`]);
        expect(await readFile(join(dir, torn[0]!))).toEqual(bytes.subarray(start, cut));
        const recovery = (await readFile(join(dir, segment), 'utf8'))
          .split('\n')
          .find((l) => l.includes('"kind":"recovery"'));
        expect(JSON.parse(recovery!)).toMatchObject({ segment, offset: start, bytes: cut - start, keptAs: torn[0] });
      }
      // Every record before the torn one is still there.
      const after = [];
      for await (const e of readJournal(dir)) if (e.event !== null) after.push(e.event);
      expect(after).toEqual(events.slice(0, -1));
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  test('a bad record followed by good ones refuses to open and says where', async () => {
    const dir = join(root, `bad-${n++}`);
    await cp(snapshot, dir, { recursive: true });
    const segment = await lastSegment(dir);
    const text = await readFile(join(dir, segment), 'utf8');
    const lines = text.split('\n');
    lines[10] = lines[10]!.replace('"kind":"event"', '"kind":"evnet"');
    await writeFile(join(dir, segment), lines.join('\n'));
    await expect(openJournalWriter(config(dir))).rejects.toMatchObject({
      code: 'JOURNAL_RECORD_MALFORMED',
      segment,
      line: 11,
    });
    // The refusal leaves the journal as it was and releases the lock.
    expect(await readFile(join(dir, segment), 'utf8')).toBe(lines.join('\n'));
    await expect(stat(join(dir, 'lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a changed byte inside an event, or in its prev, refuses to open at the record whose chain it breaks', async () => {
    for (const [tamper, brokenLine] of [
      // A byte of the event's JSON: its own envelope still reads, the next record's prev no longer matches.
      [(line: string) => line.replace('"type":"statement', '"type":"Statement'), 12],
      // Its prev: this very record does not chain.
      [(line: string) => line.replace(/"prev":"(.)/, (_m, c: string) => `"prev":"${c === 'A' ? 'B' : 'A'}`), 11],
    ] as const) {
      const dir = join(root, `chain-${n++}`);
      await cp(snapshot, dir, { recursive: true });
      const segment = await lastSegment(dir);
      const lines = (await readFile(join(dir, segment), 'utf8')).split('\n');
      expect(lines[10]).toContain('"kind":"event"');
      lines[10] = tamper(lines[10]!);
      await writeFile(join(dir, segment), lines.join('\n'));
      await expect(openJournalWriter(config(dir))).rejects.toMatchObject({
        code: 'JOURNAL_CHAIN_BROKEN',
        segment,
        line: brokenLine,
      });
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a journal shorter than its last signed checkpoint refuses to open', async () => {
    const dir = join(root, `short-${n++}`);
    await cp(snapshot, dir, { recursive: true });
    const segment = await lastSegment(dir);
    const lines = (await readFile(join(dir, segment), 'utf8')).split('\n');
    // Cut back to before the open checkpoint (record 1), which the checkpoint file names.
    await writeFile(join(dir, segment), `${lines[0]}\n`);
    await expect(openJournalWriter(config(dir))).rejects.toMatchObject({ code: 'JOURNAL_SHORTER_THAN_CHECKPOINT' });
  });
});

describe('kill -9 under load', () => {
  const script = join(process.cwd(), 'dist/recorder/testing/crash-writer.js');

  beforeAll(() => {
    // The child runs compiled code; `npm test` builds first, a lone vitest run may not have.
    // tsc emits even when files of work in progress elsewhere do not type-check; only the output matters here.
    spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      stdio: 'ignore',
    });
    expect(existsSync(script)).toBe(true);
  }, 180_000);

  test.each(['strict', 'batched'] as const)(
    '%s: every acknowledged record survives and the journal verifies',
    async (durability) => {
      const dir = join(root, `kill-${durability}-${n++}`);
      const pinned = await createSigningKey(dir);
      const child = spawn(process.execPath, [script, dir, durability], { stdio: ['ignore', 'pipe', 'inherit'] });
      let acked = 0;
      const lines = createInterface({ input: child.stdout });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
        lines.on('line', (line) => {
          const m = /^ack (\d+)$/.exec(line);
          if (m !== null) acked = Number(m[1]);
          // Kill well into the run: many batches, checkpoints and segment rotations behind us.
          if (acked >= 3000) {
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      await exited;
      lines.close();

      // Its own key, beside it; takes over the stale lock, cuts any torn write.
      const writer = await openJournalWriter({ ...config(dir), keyFile: null });
      await writer.close();
      const statements = new Set<number>();
      for await (const e of readJournal(dir))
        if (e.event?.type === 'statement.started') statements.add(e.event.statement);
      for (let s = 1; s <= acked; s++) expect(statements.has(s), `acknowledged statement ${s}`).toBe(true);
      const report = await verifyJournalDir(dir, { pinnedKeys: [pinned], stateFile: null });
      expect(report.findings).toEqual([]);
      expect(report.segments).toBeGreaterThan(1);
    },
  );
});
