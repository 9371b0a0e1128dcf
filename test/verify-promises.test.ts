// pgtrail verify as an auditor runs it (issue 13, points 1 and 2): a wiped journal is a finding, the
// summary says what verify alone cannot catch, and after keygen --rotate either key may be pinned.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { sampleSession } from '../recorder/testing/sample-events.js';

const bin = join(process.cwd(), 'dist/bin/pgtrail.js');
let root: string;

function pgtrail(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Records a short session into the journal, as a running pgtrail would. */
async function record(dir: string, session: string): Promise<void> {
  const writer = await openJournalWriter({
    dir,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 10,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 1 << 20,
  });
  for (const e of sampleSession(session, 20)) writer.appendWithoutWaiting(e);
  await writer.close();
}

beforeAll(async () => {
  // tsc emits even when work in progress elsewhere does not type-check; only the output matters here.
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  expect(existsSync(bin)).toBe(true);
  root = await mkdtemp(join(tmpdir(), 'pgtrail-verify-promises-'));
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a wiped or empty journal with a pinned key is a finding that says nothing is there to verify', async () => {
  const dir = join(root, 'wiped');
  const vkey = pgtrail('keygen', '--journal', dir).stdout.trim();
  await record(dir, 'w');
  expect(pgtrail('verify', '--journal', dir, '--vkey', vkey).code).toBe(0);
  for (const name of await readdir(dir))
    if (name.startsWith('segment-') || name === 'checkpoint') await rm(join(dir, name));

  const wiped = pgtrail('verify', '--journal', dir, '--vkey', vkey);
  expect(wiped.code).toBe(1);
  expect(wiped.stdout).toMatch(/^JOURNAL_EMPTY at journal: .*nothing is there to verify/m);
  expect(wiped.stdout).toMatch(/^NOT INTACT: 0 records/m);

  const empty = join(root, 'empty');
  await mkdir(empty);
  const json = pgtrail('verify', '--journal', empty, '--vkey', vkey, '--json');
  expect(json.code).toBe(1);
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; code?: string; intact?: boolean });
  expect(lines.filter((l) => l.kind === 'finding').map((l) => l.code)).toEqual(['JOURNAL_EMPTY']);
  expect(lines.at(-1)).toMatchObject({ kind: 'summary', intact: false });
});

test("verify's summary says what it cannot catch alone, and where to look", async () => {
  const dir = join(root, 'summary');
  const vkey = pgtrail('keygen', '--journal', dir).stdout.trim();
  await record(dir, 's');
  const text = pgtrail('verify', '--journal', dir, '--vkey', vkey);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(
    /^not caught by verify alone: a journal cut back at one of its checkpoints .*--state FILE.*witnesses/m,
  );
  const json = pgtrail('verify', '--journal', dir, '--vkey', vkey, '--json');
  expect(JSON.parse(json.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
    kind: 'summary',
    notCaught: expect.stringContaining('--state'),
  });
});

test('after keygen --rotate the new key alone can be pinned, the old one still works, and an unrelated key is refused', async () => {
  const dir = join(root, 'rotated');
  const first = pgtrail('keygen', '--journal', dir).stdout.trim();
  await record(dir, 'before');
  const rotated = pgtrail('keygen', '--journal', dir, '--rotate');
  expect(rotated.code).toBe(0);
  const second = rotated.stdout.trim();
  await record(dir, 'after');

  const withNew = pgtrail('verify', '--journal', dir, '--vkey', second);
  expect(withNew.code, withNew.stdout).toBe(0);
  expect(withNew.stdout).toMatch(/^intact: .* 1 key rotations, 0 recoveries, 0 findings$/m);
  expect(withNew.stdout).toMatch(/^\d+ checkpoints signed by a key that was not pinned, before the hand-over/m);
  const json = pgtrail('verify', '--journal', dir, '--vkey', second, '--json');
  expect(JSON.parse(json.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
    intact: true,
    keys: [first, second],
    unpinnedCheckpoints: expect.any(Number),
  });

  const withOld = pgtrail('verify', '--journal', dir, '--vkey', first);
  expect(withOld.code).toBe(0);
  expect(withOld.stdout).not.toMatch(/not pinned/);

  const other = join(root, 'other');
  const unrelated = pgtrail('keygen', '--journal', other).stdout.trim();
  const refused = pgtrail('verify', '--journal', dir, '--vkey', unrelated);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/^JOURNAL_KEY_MISMATCH at segment-000000000000\.jsonl line 1 .*index 0: /m);
});
