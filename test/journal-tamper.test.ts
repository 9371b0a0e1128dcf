/**
 * The tamper matrix of issue 3: each way of changing a journal after the fact is detected by the
 * verifier, with the finding at the right place.
 */
import { cp, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyCommand } from '../bin/commands/verify.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { signNote } from '../recorder/note-signer.js';
import { createSigningKey, generateSigningKey, loadSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { verifyJournalDir } from '../recorder/verify-journal-dir.js';
import { parseCheckpoint } from '../recorder/format/checkpoint.js';
import type { Finding } from '../recorder/verify/journal-finding.js';
import { parseNoteUnverified } from '../recorder/format/note.js';

let root: string;
let pristine: string;
let vkey: string;
let n = 0;

interface Line {
  readonly segment: string;
  readonly text: string;
}

async function journalLines(dir: string): Promise<Line[]> {
  const segments = (await readdir(dir)).filter((f) => /^segment-\d+\.jsonl$/.test(f)).sort();
  const lines: Line[] = [];
  for (const segment of segments) {
    const text = await readFile(join(dir, segment), 'utf8');
    for (const line of text.split('\n').slice(0, -1)) lines.push({ segment, text: line });
  }
  return lines;
}

async function writeLines(dir: string, lines: readonly Line[]): Promise<void> {
  const bySegment = new Map<string, string[]>();
  for (const segment of (await readdir(dir)).filter((f) => f.startsWith('segment-'))) bySegment.set(segment, []);
  for (const l of lines) bySegment.get(l.segment)!.push(`${l.text}\n`);
  // A segment left without records is removed, as a truncation would.
  for (const [segment, texts] of bySegment) {
    if (texts.length === 0) await unlink(join(dir, segment));
    else await writeFile(join(dir, segment), texts.join(''));
  }
}

async function copyOfPristine(): Promise<string> {
  const dir = join(root, `case-${n++}`);
  await cp(pristine, dir, { recursive: true });
  return dir;
}

async function verify(dir: string, options: { state?: string; pinned?: boolean } = {}) {
  return verifyJournalDir(dir, {
    pinnedKeys: options.pinned === false ? null : [vkey],
    stateFile: options.state ?? null,
  });
}

function codes(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.code))].sort();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgtrail-tamper-'));
  pristine = join(root, 'pristine');
  vkey = await createSigningKey(pristine);
  const writer = await openJournalWriter({
    dir: pristine,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 25,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 8192,
  });
  for (const e of sampleSession('tamper', 120)) writer.appendWithoutWaiting(e);
  await writer.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tamper matrix', () => {
  test('the untouched journal is intact', async () => {
    const report = await verify(pristine);
    expect(report.findings).toEqual([]);
    expect(report.segments).toBeGreaterThan(3);
    // Batched: its statements are `statement` records (format 4), so every tamper test below covers them.
    expect(
      (await journalLines(pristine)).filter((l) => l.text.includes('"event":{"type":"statement",')).length,
    ).toBeGreaterThan(40);
    expect(report.checkpoints).toBeGreaterThan(5);
  });

  test('a flipped byte in any record is found at that record', async () => {
    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    for (let k = 0; k < lines.length; k++) {
      for (const at of [Math.floor(lines[k]!.text.length / 2), 7, lines[k]!.text.length - 3]) {
        const text = lines[k]!.text;
        const flipped = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 0x01) + text.slice(at + 1);
        await writeLines(
          dir,
          lines.map((l, i) => (i === k ? { ...l, text: flipped } : l)),
        );
        const report = await verify(dir);
        expect(report.intact, `flip at record ${k} offset ${at}`).toBe(false);
        const here = report.findings.filter((f) => f.index === k);
        expect(here.length, `flip at record ${k} offset ${at}: ${JSON.stringify(report.findings)}`).toBeGreaterThan(0);
        expect(here[0]!.segment).toBe(lines[k]!.segment);
        // Nothing far from the flip is blamed, except the first checkpoint after it, whose root now differs.
        const nextCheckpoint = lines.findIndex((l, i) => i > k && l.text.includes('"kind":"checkpoint"'));
        for (const f of report.findings) {
          if (f.code === 'JOURNAL_ROOT_MISMATCH') expect(f.index).toBe(nextCheckpoint);
          else if (f.index !== null)
            expect(Math.abs(f.index - k), `${k}@${at}: ${JSON.stringify(f)}`).toBeLessThanOrEqual(1);
        }
      }
    }
  }, 240_000);

  test('a deleted record is found where it was', async () => {
    const lines = await journalLines(pristine);
    for (const k of [0, 1, 40, lines.length - 2, lines.length - 1]) {
      const dir = await copyOfPristine();
      await writeLines(
        dir,
        lines.filter((_, i) => i !== k),
      );
      const report = await verify(dir);
      expect(report.intact).toBe(false);
      const expected = k === lines.length - 1 ? 'JOURNAL_TRUNCATED' : 'JOURNAL_INDEX_MISMATCH';
      const finding = report.findings.find((f) => f.code === expected);
      expect(finding, JSON.stringify(report.findings)).toBeDefined();
      expect(finding!.index).toBe(k);
    }
  });

  test('two swapped records are both found', async () => {
    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    const swapped = [...lines];
    [swapped[30], swapped[31]] = [
      { ...lines[31]!, segment: lines[30]!.segment },
      { ...lines[30]!, segment: lines[31]!.segment },
    ];
    await writeLines(dir, swapped);
    const report = await verify(dir);
    const mismatches = report.findings.filter((f) => f.code === 'JOURNAL_INDEX_MISMATCH').map((f) => f.index);
    expect(mismatches).toEqual([30, 31]);
  });

  test('a truncated tail is found, with its last checkpoint still named by the checkpoint file', async () => {
    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    await writeLines(dir, lines.slice(0, lines.length - 10));
    const report = await verify(dir);
    expect(codes(report.findings)).toEqual(['JOURNAL_TRUNCATED']);
    expect(report.findings[0]!.index).toBe(lines.length - 10);
  });

  test('a tail cut in the middle of a record is found as a torn tail and a truncation', async () => {
    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    const last = lines[lines.length - 1]!;
    const body = (await readFile(join(dir, last.segment), 'utf8')).slice(0, -20);
    await writeFile(join(dir, last.segment), body);
    const report = await verify(dir);
    expect(codes(report.findings)).toEqual(['JOURNAL_TORN_TAIL', 'JOURNAL_TRUNCATED']);
    expect(report.findings.find((f) => f.code === 'JOURNAL_TORN_TAIL')!.index).toBe(lines.length - 1);
  });

  test('an unfinished last record is a write in progress while a writer runs, and a torn tail when none does', async () => {
    const dir = await copyOfPristine();
    const lines = await journalLines(pristine);
    const last = lines[lines.length - 1]!.segment;
    await writeFile(join(dir, last), `${await readFile(join(dir, last), 'utf8')}{"i":${lines.length},"prev":"`);
    await writeFile(join(dir, 'lock'), `${process.pid}\n`); // a running process holds the lock
    const live = await verify(dir);
    expect(live.findings).toEqual([]);
    expect(live.inProgressBytes).toBeGreaterThan(0);
    await unlink(join(dir, 'lock'));
    expect(codes((await verify(dir)).findings)).toEqual(['JOURNAL_TORN_TAIL']);
  });

  test('a truncated tail without its checkpoint file is found', async () => {
    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    await writeLines(dir, lines.slice(0, lines.length - 10));
    await unlink(join(dir, 'checkpoint'));
    expect(codes((await verify(dir)).findings)).toEqual(['JOURNAL_CHECKPOINT_MISSING']);
  });

  test('a tail truncated back to an earlier checkpoint, with the checkpoint file rolled back too, is caught by --state', async () => {
    const state = join(root, `state-${n++}.json`);
    expect((await verify(pristine, { state })).intact).toBe(true);
    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    // Cut right after an earlier checkpoint record and make the file name that one.
    const k = lines.findIndex((l, i) => i > 40 && l.text.includes('"kind":"checkpoint"'));
    const note = (JSON.parse(lines[k]!.text) as { note: string }).note;
    await writeLines(dir, lines.slice(0, k + 1));
    await writeFile(join(dir, 'checkpoint'), note);
    expect((await verify(dir)).findings).toEqual([]); // consistent on its own ...
    const report = await verify(dir, { state }); // ... but not with what was verified before
    expect(codes(report.findings)).toEqual(['JOURNAL_ROLLED_BACK']);
  });

  test('a deleted segment is found by name', async () => {
    const dir = await copyOfPristine();
    const segments = (await readdir(dir)).filter((f) => f.startsWith('segment-')).sort();
    await unlink(join(dir, segments[1]!));
    const report = await verify(dir);
    const gap = report.findings.find((f) => f.code === 'JOURNAL_SEGMENT_GAP');
    expect(gap?.segment).toBe(segments[2]);
    expect(gap?.message).toMatch(/missing/);
    const dir2 = await copyOfPristine();
    await unlink(join(dir2, segments[segments.length - 1]!));
    expect(codes((await verify(dir2)).findings)).toContain('JOURNAL_TRUNCATED');
  });

  test('an altered checkpoint is found at that checkpoint', async () => {
    const lines = await journalLines(pristine);
    const k = lines.findIndex((l, i) => i > 20 && l.text.includes('"kind":"checkpoint"'));
    const record = JSON.parse(lines[k]!.text) as { i: number; prev: string; note: string };
    const { text } = parseNoteUnverified(record.note);
    const checkpoint = parseCheckpoint(text);
    const otherRoot = Buffer.from(checkpoint.root).fill(7).toString('base64');
    const alteredBody = text.replace(Buffer.from(checkpoint.root).toString('base64'), otherRoot);
    const key = await loadSigningKey(`${pristine}.signing-key`);
    const line = (note: string) =>
      `{"i":${record.i},"prev":"${record.prev}","kind":"checkpoint","note":${JSON.stringify(note)}}`;

    // The root changed but the old signature kept: the signature fails.
    const dir = await copyOfPristine();
    await writeLines(
      dir,
      lines.map((l, i) => (i === k ? { ...l, text: line(record.note.replace(text, alteredBody)) } : l)),
    );
    let report = await verify(dir);
    expect(report.findings.find((f) => f.code === 'JOURNAL_SIGNATURE_INVALID')?.index).toBe(k);

    // Re-signed by the real key over a wrong root: the root does not match the records.
    const dir2 = await copyOfPristine();
    await writeLines(
      dir2,
      lines.map((l, i) => (i === k ? { ...l, text: line(signNote(alteredBody, key)) } : l)),
    );
    report = await verify(dir2);
    expect(report.findings.find((f) => f.code === 'JOURNAL_ROOT_MISMATCH')?.index).toBe(k);
  });

  test('a checkpoint signed with another key is found', async () => {
    const lines = await journalLines(pristine);
    const k = lines.findIndex((l, i) => i > 20 && l.text.includes('"kind":"checkpoint"'));
    const record = JSON.parse(lines[k]!.text) as { i: number; prev: string; note: string };
    const { text } = parseNoteUnverified(record.note);
    const impostor = generateSigningKey(parseCheckpoint(text).origin).key;
    const dir = await copyOfPristine();
    const forged = `{"i":${record.i},"prev":"${record.prev}","kind":"checkpoint","note":${JSON.stringify(signNote(text, impostor))}}`;
    await writeLines(
      dir,
      lines.map((l, i) => (i === k ? { ...l, text: forged } : l)),
    );
    const report = await verify(dir);
    expect(report.findings.find((f) => f.code === 'JOURNAL_SIGNATURE_INVALID')?.index).toBe(k);
  });

  test('a journal rebuilt and signed by another key fails against the pinned key', async () => {
    const dir = join(root, `other-key-${n++}`);
    await createSigningKey(dir);
    const writer = await openJournalWriter({
      dir,
      durability: 'strict',
      batchWindowMs: 5,
      checkpointEveryRecords: 25,
      checkpointEveryMs: 600_000,
      segmentMaxBytes: 8192,
    });
    for (const e of sampleSession('tamper', 120)) writer.appendWithoutWaiting(e);
    await writer.close();
    expect((await verify(dir, { pinned: false })).intact).toBe(true);
    const report = await verify(dir);
    expect(codes(report.findings)).toEqual(['JOURNAL_KEY_MISMATCH']);
    expect(report.findings[0]).toMatchObject({ code: 'JOURNAL_KEY_MISMATCH', index: 0, line: 1 });
  });

  test('a rollback to an older copy and a re-signed rewrite are caught with --state', async () => {
    const dir = join(root, `rollback-${n++}`);
    const older = join(root, `rollback-older-${n++}`);
    const state = join(root, `rollback-state-${n++}.json`);
    const pinned = await createSigningKey(dir);
    const options = {
      dir,
      durability: 'strict',
      batchWindowMs: 5,
      checkpointEveryRecords: 10,
      checkpointEveryMs: 600_000,
      segmentMaxBytes: 1 << 20,
    } as const;
    let writer = await openJournalWriter(options);
    for (const e of sampleSession('a', 20)) writer.appendWithoutWaiting(e);
    await writer.close();
    await cp(dir, older, { recursive: true });
    writer = await openJournalWriter(options);
    for (const e of sampleSession('b', 20)) writer.appendWithoutWaiting(e);
    await writer.close();
    expect((await verifyJournalDir(dir, { pinnedKeys: [pinned], stateFile: state })).intact).toBe(true);

    const rolledBack = await verifyJournalDir(older, { pinnedKeys: [pinned], stateFile: state });
    expect(codes(rolledBack.findings)).toEqual(['JOURNAL_ROLLED_BACK']);

    // Same key, history rewritten from scratch with more records: consistent and signed, but a fork.
    const rewritten = join(root, `rewritten-${n++}`);
    await cp(`${dir}.signing-key`, `${rewritten}.signing-key`).catch(async () => {
      await cp(dir, rewritten, {
        recursive: true,
        filter: (src) => !src.includes('segment-') && !src.endsWith('checkpoint'),
      });
    });
    writer = await openJournalWriter({ ...options, dir: rewritten });
    for (const e of sampleSession('forged', 60)) writer.appendWithoutWaiting(e);
    await writer.close();
    const forked = await verifyJournalDir(rewritten, { pinnedKeys: [pinned], stateFile: state });
    expect(codes(forked.findings)).toEqual(['JOURNAL_FORKED']);
  });
});

describe('pgtrail verify', () => {
  async function runVerify(argv: string[]) {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      ({ write: (s: string) => (append(s), true) }) as unknown as NodeJS.WritableStream;
    const code = await verifyCommand.run({
      argv,
      env: {},
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
    });
    return { code, out, err };
  }

  test('exit 0 when intact, 1 with findings (one JSON object per line), 2 on usage errors', async () => {
    const ok = await runVerify(['--journal', pristine, '--vkey', vkey]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^intact: \d+ records/m);

    const lines = await journalLines(pristine);
    const dir = await copyOfPristine();
    // A record in the middle of its segment (removing a segment's last one is a gap between segments).
    const k = lines.findIndex(
      (l, i) => i >= 12 && lines[i - 1]?.segment === l.segment && lines[i + 1]?.segment === l.segment,
    );
    await writeLines(
      dir,
      lines.filter((_, i) => i !== k),
    );
    const bad = await runVerify(['--journal', dir, '--vkey', vkey, '--json']);
    expect(bad.code).toBe(1);
    const objects = bad.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects[0]).toMatchObject({
      kind: 'finding',
      code: 'JOURNAL_INDEX_MISMATCH',
      index: k,
      segment: lines[k + 1]!.segment,
    });
    expect(objects.at(-1)).toMatchObject({ kind: 'summary', intact: false });

    await expect(runVerify(['--journal', join(root, 'no-such-dir')])).rejects.toThrow(/no journal directory/);
    await expect(runVerify(['--journal', pristine, '--vkey', 'not-a-key'])).rejects.toMatchObject({
      code: 'VERIFY_VKEY_MALFORMED',
    });
  });
});
