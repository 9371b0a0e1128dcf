// pgtrail keygen and pgtrail verify as a user runs them: the built binary, its output and exit codes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

beforeAll(async () => {
  // tsc emits even when work in progress elsewhere does not type-check; only the output matters here.
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  expect(existsSync(bin)).toBe(true);
  root = await mkdtemp(join(tmpdir(), 'pgtrail-cli-'));
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('keygen prints a vkey, refuses to overwrite, and verify exits 0, 1 and 2', async () => {
  const dir = join(root, 'journal');
  const keygen = pgtrail('keygen', '--journal', dir);
  expect(keygen.code).toBe(0);
  const vkey = keygen.stdout.trim();
  expect(vkey).toMatch(/^pgtrail\/[0-9a-f]{16}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  expect((await stat(`${dir}.signing-key`)).mode & 0o777).toBe(0o600);
  expect(existsSync(join(dir, 'signing-key'))).toBe(false);
  expect((await readFile(join(dir, 'verifier-key'), 'utf8')).trim()).toBe(vkey);

  const again = pgtrail('keygen', '--journal', dir);
  expect(again.code).toBe(2);
  expect(again.stderr.trim().split('\n')).toHaveLength(1);
  expect(again.stderr).toMatch(/JOURNAL_KEY_EXISTS/);

  const writer = await openJournalWriter({
    dir,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 10,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 1 << 20,
  });
  for (const e of sampleSession('cli', 30)) writer.appendWithoutWaiting(e);
  await writer.close();

  const state = join(root, 'state.json');
  const ok = pgtrail('verify', '--journal', dir, '--vkey', vkey, '--state', state);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/^intact: \d+ records in 1 segments/m);
  expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({
    size: expect.any(Number),
    root: expect.any(String),
  });

  const segment = join(dir, 'segment-000000000000.jsonl');
  const text = await readFile(segment, 'utf8');
  await writeFile(segment, text.replace('"rows":1', '"rows":9'));
  const bad = pgtrail('verify', '--journal', dir, '--vkey', vkey, '--json');
  expect(bad.code).toBe(1);
  const findings = bad.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; code?: string });
  expect(findings.some((f) => f.code === 'JOURNAL_CHAIN_BROKEN')).toBe(true);

  const usage = pgtrail('verify', '--journal', dir, '--vkey', 'nonsense');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/VERIFY_VKEY_MALFORMED/);
  expect(pgtrail('verify', '--bogus').code).toBe(2);
  expect(pgtrail('verify', '--journal', join(root, 'absent')).code).toBe(2);
});
