// pgtrail proof over a journal the writer wrote: the printed proofs verify against the signed checkpoints.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalLeaves } from '../recorder/journal-leaves.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { nodeSha256 } from '../recorder/node-sha256.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { decodeBase64 } from '../recorder/format/base64.js';
import { parseCheckpoint } from '../recorder/format/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../recorder/format/merkle.js';
import { openNote, parseVerifierKey } from '../recorder/format/note.js';
import { runCommand } from './support/run-command.js';

let root: string;
let dir: string;
let vkey: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgtrail-proof-'));
  dir = join(root, 'journal');
  const { createSigningKey } = await import('../recorder/signing-key.js');
  vkey = await createSigningKey(dir, { rotate: false });
  const writer = await openJournalWriter({
    dir,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 7,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 8192,
  });
  for (const e of sampleSession('proof', 40)) writer.appendWithoutWaiting(e);
  await writer.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const b = (s: string) => decodeBase64(s)!;

function signedHead(note: string): { size: number; root: Uint8Array } {
  return parseCheckpoint(openNote(note, [parseVerifierKey(vkey)]).text);
}

test('an inclusion proof of every record verifies against the latest signed checkpoint', async () => {
  const first = JSON.parse((await runCommand('proof', ['--journal', dir, '--index', '0'])).stdout);
  const head = signedHead(first.checkpoint);
  expect(first.size).toBe(head.size);
  for (let index = 0; index < head.size; index++) {
    const r = await runCommand('proof', ['--journal', dir, '--index', String(index)]);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(verifyInclusion(nodeSha256, index, head.size, b(p.leaf), p.proof.map(b), head.root)).toBe(true);
    // The same proof does not place the record anywhere else.
    if (head.size > 1)
      expect(
        verifyInclusion(nodeSha256, (index + 1) % head.size, head.size, b(p.leaf), p.proof.map(b), head.root),
      ).toBe(false);
  }
});

test('a consistency proof between two checkpoints verifies against both signed heads', async () => {
  const sizes = [...(await readJournalLeaves(dir)).checkpoints.keys()];
  expect(sizes.length).toBeGreaterThan(4);
  const [a, c] = [sizes[1]!, sizes[sizes.length - 2]!];
  const r = await runCommand('proof', ['--journal', dir, '--consistency', String(a), String(c)]);
  expect(r.code).toBe(0);
  const p = JSON.parse(r.stdout);
  const [older, newer] = [signedHead(p.oldCheckpoint), signedHead(p.newCheckpoint)];
  expect([older.size, newer.size]).toEqual([a, c]);
  expect(verifyConsistency(nodeSha256, a, c, older.root, newer.root, p.proof.map(b))).toBe(true);
  expect(verifyConsistency(nodeSha256, a, c, newer.root, older.root, p.proof.map(b))).toBe(false);
});

test('an inclusion proof in an older tree (--size), and out-of-range requests exit 2 with a code', async () => {
  const size = [...(await readJournalLeaves(dir)).checkpoints.keys()][2]!;
  const r = await runCommand('proof', ['--journal', dir, '--index', '3', '--size', String(size)]);
  const p = JSON.parse(r.stdout);
  const head = signedHead(p.checkpoint);
  expect(verifyInclusion(nodeSha256, 3, size, b(p.leaf), p.proof.map(b), head.root)).toBe(true);
  expect(
    (await runCommand('proof', ['--journal', dir, '--index', String(size), '--size', String(size)])).thrown?.code,
  ).toBe('JOURNAL_PROOF_OUT_OF_RANGE');
  expect((await runCommand('proof', ['--journal', dir, '--consistency', '0', '5'])).thrown?.code).toBe(
    'JOURNAL_PROOF_OUT_OF_RANGE',
  );
  expect((await runCommand('proof', ['--journal', dir, '--index', 'x'])).thrown?.code).toBe('USAGE');
  expect((await runCommand('proof', ['--journal', dir])).thrown?.code).toBe('USAGE');
});
