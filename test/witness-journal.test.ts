// Witnessed recording end to end: a journal writer sending its checkpoints to two real
// `pgtrail witness` processes, then `pgtrail verify --witness ... --quorum 2`.
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openJournalWriter, type JournalWriter } from '../recorder/journal-writer.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import { runCommand } from './support/run-command.js';
import { startWitnessProcess, type WitnessProcess } from './support/witness-process.js';

let root: string;
const running: WitnessProcess[] = [];

beforeAll(async () => {
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  root = await mkdtemp(join(tmpdir(), 'pgtrail-witnessed-'));
}, 180_000);

afterAll(async () => {
  for (const w of running) await w.stop();
  await rm(root, { recursive: true, force: true });
});

async function witness(name: string, vkey: string, port = 0): Promise<WitnessProcess> {
  const w = await startWitnessProcess(join(root, name), [vkey], port, `witness.test/${name}`);
  running.push(w);
  return w;
}

function open(dir: string, keyFile: string, witnesses: readonly WitnessProcess[]): Promise<JournalWriter> {
  return openJournalWriter({
    dir,
    keyFile,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 25,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 1 << 20,
    witnesses: witnesses.map((w) => ({ url: w.url, vkey: w.vkey })),
  });
}

/** Waits until every witness has cosigned the writer's latest checkpoint (or the time is up). */
async function cosignedAll(writer: JournalWriter, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const stats = writer.witnessStats;
    if (stats.length > 0 && stats.every((s) => s.size === writer.checkpoints.lastSize)) return;
    await sleep(50);
  }
  throw new Error(`witnesses did not catch up: ${JSON.stringify(writer.witnessStats)}`);
}

async function record(writer: JournalWriter, session: string, statements: number): Promise<void> {
  for (const e of sampleSession(session, statements)) writer.appendWithoutWaiting(e);
  await writer.checkpoint();
}

const verify = (dir: string, ...args: string[]) => runCommand('verify', ['--journal', dir, '--json', ...args]);
const lastLine = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

test('two witnesses cosign every checkpoint; one down while recording catches up; verify --quorum 2 passes', async () => {
  const dir = join(root, 'journal');
  const keyFile = join(root, 'journal.signing-key');
  const vkey = await createSigningKey(dir, { keyFile });
  const [w1, w2] = [await witness('w1', vkey), await witness('w2', vkey)];
  const writer = await open(dir, keyFile, [w1, w2]);
  await record(writer, 'a', 30);
  await cosignedAll(writer);
  expect(writer.witnessStats.map((s) => s.cosigned)).toEqual([expect.any(Number), expect.any(Number)]);

  // w2 goes down; recording goes on without waiting for it.
  const port = Number(new URL(w2.url).port);
  await w2.stop();
  await record(writer, 'b', 40);
  await writer.flush();
  const until = Date.now() + 20_000;
  while (writer.witnessStats[1]!.failures === 0 && Date.now() < until) await sleep(50);
  expect(writer.witnessStats[1]!.failures).toBeGreaterThan(0);
  expect(writer.witnessStats[1]!.size).toBeLessThan(writer.checkpoints.lastSize);
  // Back on the same port and state: it is brought up to date from the size it cosigned before.
  const w2again = await witness('w2', vkey, port);
  await cosignedAll(writer, 90_000);
  expect(writer.witnessStats.map((s) => s.alarms)).toEqual([0, 0]);
  await writer.flush();
  // Both cosignatures are merged into the checkpoint file, after the journal's own signature.
  const file = await readFile(join(dir, 'checkpoint'), 'utf8');
  expect(file.split('\n').filter((l) => l.startsWith('\u2014 witness.test/'))).toHaveLength(2);
  await writer.close();
  const ok = await verify(dir, '--vkey', vkey, '--witness', w1.vkey, '--witness', w2again.vkey, '--quorum', '2');
  expect(ok.stdout).toContain('"intact":true');
  expect(lastLine(ok.stdout)).toMatchObject({ notWitnessed: null, witnessing: { quorum: 2, unwitnessedRecords: 0 } });
  expect(ok.code).toBe(0);
  // A witness key the journal never saw: nothing is witnessed, --quorum fails.
  const other = await verify(
    dir,
    '--vkey',
    vkey,
    '--witness',
    w1.vkey,
    '--witness',
    (await witness('w3', vkey)).vkey,
    '--quorum',
    '2',
  );
  expect(other.code).toBe(1);
}, 180_000);

test('a journal rolled back and rewritten after the witnesses cosigned it: refused, alarmed, and verify --quorum 2 fails', async () => {
  const dir = join(root, 'honest');
  const keyFile = join(root, 'honest.signing-key');
  const vkey = await createSigningKey(dir, { keyFile });
  const [w1, w2] = [await witness('r1', vkey), await witness('r2', vkey)];
  let writer = await open(dir, keyFile, [w1, w2]);
  await record(writer, 'early', 20);
  await cosignedAll(writer);
  await writer.close();
  const copy = join(root, 'rolled-back');
  await cp(dir, copy, { recursive: true });
  writer = await open(dir, keyFile, [w1, w2]);
  await record(writer, 'late', 60);
  await cosignedAll(writer);
  await writer.close();

  // Root on the journal's host: put the old copy back and record something else, signed with the same key.
  await rm(dir, { recursive: true });
  await cp(copy, dir, { recursive: true });
  writer = await open(dir, keyFile, [w1, w2]);
  // 200 events: about 100 records, its statements being one record each (batched, format 4).
  await record(writer, 'forged', 200);
  const until = Date.now() + 30_000;
  while (writer.witnessStats.some((s) => s.alarms === 0) && Date.now() < until) await sleep(50);
  expect(writer.witnessStats.map((s) => s.alarms)).toEqual([1, 1]);
  expect(writer.witnessStats.map((s) => s.size === writer.checkpoints.lastSize)).toEqual([false, false]);
  await writer.close();

  const refused = await verify(dir, '--vkey', vkey, '--witness', w1.vkey, '--witness', w2.vkey, '--quorum', '2');
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain('JOURNAL_WITNESS_ALARM');
  // Even with the alarm records cut out the rewritten records carry no cosignature: still not witnessed.
  const summary = lastLine(refused.stdout);
  expect(summary.witnessing.unwitnessedRecords).toBeGreaterThan(90);
  expect(summary.notWitnessed).toMatch(/not yet witnessed/);
}, 180_000);
