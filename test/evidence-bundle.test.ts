// Evidence bundles end to end: `pgtrail bundle` over journals the writer wrote, `pgtrail verify --bundle`
// on what it wrote and on bundles with a record removed, reordered or edited, a tampered checkpoint,
// a wrong key; a bundle cosigned by two real `pgtrail witness` processes passes --quorum 2.
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';
import type { EvidenceBundle } from '../recorder/verify/bundle-check.js';
import { runCommand } from './support/run-command.js';
import { startWitnessProcess, type WitnessProcess } from './support/witness-process.js';

let root: string;
let dir: string;
let vkey: string;
const running: WitnessProcess[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgtrail-bundle-'));
  dir = join(root, 'journal');
  vkey = await createSigningKey(dir, { rotate: false });
  const writer = await openJournalWriter({
    dir,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 9,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 8192,
  });
  const closed = sampleSession('closed-0123456789', 30);
  const other = sampleSession('other-0123456789', 20);
  const open = sampleSession('open-0123456789', 12).filter((e) => e.type !== 'session.closed');
  for (let k = 0; k < 32; k++)
    for (const list of [closed, other, open]) if (list[k] !== undefined) writer.appendWithoutWaiting(list[k]!);
  await writer.close();
}, 60_000);

afterAll(async () => {
  for (const w of running) await w.stop();
  await rm(root, { recursive: true, force: true });
});

const bundleOf = async (session: string, journal = dir): Promise<{ file: string; bundle: EvidenceBundle }> => {
  const file = join(root, `${session}-${Math.random().toString(36).slice(2)}.json`);
  const made = await runCommand('bundle', [session, '--journal', journal, '--out', file]);
  expect(made.thrown).toBeNull();
  expect(made.code).toBe(0);
  return { file, bundle: JSON.parse(await readFile(file, 'utf8')) as EvidenceBundle };
};

const verifyBundle = (file: string, ...args: string[]) => runCommand('verify', ['--bundle', file, ...args]);

async function tampered(
  bundle: EvidenceBundle,
  change: (b: { -readonly [K in keyof EvidenceBundle]: EvidenceBundle[K] }) => void,
) {
  const copy = JSON.parse(JSON.stringify(bundle)) as { -readonly [K in keyof EvidenceBundle]: EvidenceBundle[K] };
  change(copy);
  const file = join(root, `tampered-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(copy));
  return verifyBundle(file, '--vkey', vkey);
}

describe('pgtrail bundle and verify --bundle', () => {
  test('a closed session named by a prefix: every record, proofs, the chain; verify says intact and complete', async () => {
    const { file, bundle } = await bundleOf('closed-');
    expect(bundle.session).toBe('closed-0123456789');
    // 30 events: the opening, 14 statements as one record each (batched, format 4), the close.
    expect(bundle.records).toHaveLength(16);
    expect(bundle.closed).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const ok = await verifyBundle(file, '--vkey', vkey);
    expect(ok.stdout).toMatch(/^intact: bundle of session closed-0123456789, 16 records/m);
    expect(ok.stdout).toContain('complete: 16 records, opening to close');
    expect(ok.code).toBe(0);
    const json = await verifyBundle(file, '--vkey', vkey, '--json');
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ kind: 'summary', intact: true, closed: true, upTo: 16 });
  });

  test('a session still open: bundled up to the checkpoint, verify says complete up to its last record', async () => {
    const { file, bundle } = await bundleOf('open-');
    expect(bundle.closed).toBe(false);
    // 11 events: the opening and 5 statements, one record each.
    expect(bundle.records).toHaveLength(6);
    const ok = await verifyBundle(file, '--vkey', vkey);
    expect(ok.stdout).toContain('complete up to record 6 of the session: it was still open at the checkpoint');
    expect(ok.code).toBe(0);
  });

  test('a record removed, reordered or edited, a tampered checkpoint, a wrong key: each fails with exit 1', async () => {
    const { bundle } = await bundleOf('closed-0123456789');
    const removed = await tampered(bundle, (b) => {
      b.records = b.records.filter((_, k) => k !== 10);
    });
    expect(removed.stdout).toMatch(/BUNDLE_INCOMPLETE at index \d+: record \d+: the record says it is record 12/);
    expect(removed.code).toBe(1);

    const reordered = await tampered(bundle, (b) => {
      const r = [...b.records];
      [r[4], r[5]] = [r[5]!, r[4]!];
      b.records = r;
    });
    expect(reordered.stdout).toContain('BUNDLE_OUT_OF_ORDER');
    expect(reordered.code).toBe(1);

    const edited = await tampered(bundle, (b) => {
      b.records = b.records.map((r, k) => (k === 3 ? { ...r, line: r.line.replace('"ts":17', '"ts":18') } : r));
    });
    expect(edited.stdout).toMatch(/BUNDLE_PROOF_MISMATCH at index \d+: record \d+ is not in the signed tree/);
    expect(edited.code).toBe(1);

    // The tail cut off, the close with it: the bundle claims to be closed, the chain says otherwise.
    const cut = await tampered(bundle, (b) => {
      b.records = b.records.slice(0, -1);
    });
    expect(cut.stdout).toContain('the bundle says the session closed but holds no valid close');
    expect(cut.code).toBe(1);

    const checkpoint = await tampered(bundle, (b) => {
      const lines = b.checkpoint.split('\n');
      lines[1] = String(Number(lines[1]) + 1);
      b.checkpoint = lines.join('\n');
    });
    expect(checkpoint.stdout).toContain('BUNDLE_SIGNATURE_INVALID');
    expect(checkpoint.code).toBe(1);

    const { file } = await bundleOf('closed-0123456789');
    const otherKey = await createSigningKey(join(root, 'other-journal'), { rotate: false });
    const wrongKey = await verifyBundle(file, '--vkey', otherKey);
    expect(wrongKey.stdout).toContain('BUNDLE_SIGNATURE_INVALID');
    expect(wrongKey.code).toBe(1);
  });

  test('unreadable input, an unknown session and a missing --vkey are exit 2 with one line', async () => {
    const garbage = join(root, 'garbage.json');
    await writeFile(garbage, '{"bundle":"something else"}');
    const bad = await verifyBundle(garbage, '--vkey', vkey);
    expect(bad.code).toBe(2);
    expect(bad.thrown?.code).toBe('BUNDLE_UNREADABLE');
    const unknown = await runCommand('bundle', ['nobody', '--journal', dir, '--out', join(root, 'x.json')]);
    expect(unknown.code).toBe(2);
    expect(unknown.thrown?.code).toBe('BUNDLE_SESSION_UNKNOWN');
    const { file } = await bundleOf('other-');
    expect((await verifyBundle(file)).code).toBe(2);
  });

  test('an old-format journal still verifies, and bundling it is refused (it has no session chain)', async () => {
    const old = join(root, 'old');
    await cp(join(process.cwd(), 'recorder', 'testing', 'example-journal'), old, { recursive: true });
    const verified = await runCommand('verify', [
      '--journal',
      old,
      '--vkey',
      'pgtrail/5eed5eed5eed5eed+12273791+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs',
    ]);
    expect(verified.code).toBe(0);
    const refused = await runCommand('bundle', ['c0ffee01', '--journal', old, '--out', join(root, 'old.json')]);
    expect(refused.code).toBe(2);
    expect(refused.thrown?.code).toBe('BUNDLE_SESSION_UNKNOWN');
  });
});

test('a bundle whose checkpoint two real witnesses cosigned passes --quorum 2; an unknown witness does not', async () => {
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  const wdir = join(root, 'witnessed');
  const keyFile = join(root, 'witnessed.signing-key');
  const wkey = await createSigningKey(wdir, { keyFile });
  const witnesses: WitnessProcess[] = [];
  for (const name of ['b1', 'b2', 'b3']) {
    const w = await startWitnessProcess(join(root, name), [wkey], 0, `bundle.test/${name}`);
    running.push(w);
    witnesses.push(w);
  }
  const writer = await openJournalWriter({
    dir: wdir,
    keyFile,
    durability: 'batched',
    batchWindowMs: 5,
    checkpointEveryRecords: 1000,
    checkpointEveryMs: 600_000,
    segmentMaxBytes: 1 << 20,
    witnesses: witnesses.slice(0, 2).map((w) => ({ url: w.url, vkey: w.vkey })),
  });
  for (const e of sampleSession('witnessed-0123', 16)) writer.appendWithoutWaiting(e);
  await writer.checkpoint();
  const until = Date.now() + 30_000;
  while (!writer.witnessStats.every((s) => s.size === writer.checkpoints.lastSize) && Date.now() < until)
    await sleep(50);
  await writer.flush();
  // The bundle is made while the writer runs: its latest checkpoint is the cosigned one.
  const { file, bundle } = await bundleOf('witnessed-', wdir);
  await writer.close();
  expect(bundle.checkpoint.split('\n').filter((l) => l.startsWith('\u2014 bundle.test/'))).toHaveLength(2);
  const [w1, w2, w3] = witnesses as [WitnessProcess, WitnessProcess, WitnessProcess];
  const ok = await verifyBundle(file, '--vkey', wkey, '--witness', w1.vkey, '--witness', w2.vkey, '--quorum', '2');
  expect(ok.stdout).toContain('witnessed: 2 of 2 given witnesses cosigned the checkpoint');
  expect(ok.code).toBe(0);
  // After the writer stopped, its closing checkpoint is the latest and no witness cosigned it:
  // --cosigned bundles against the cosigned one (from the journal's cosignature records).
  const stopped = join(root, 'stopped.json');
  expect((await runCommand('bundle', ['witnessed-', '--journal', wdir, '--out', stopped])).code).toBe(0);
  const latest = await verifyBundle(
    stopped,
    '--vkey',
    wkey,
    '--witness',
    w1.vkey,
    '--witness',
    w2.vkey,
    '--quorum',
    '2',
  );
  expect(latest.stdout).toContain('BUNDLE_NOT_WITNESSED');
  expect(latest.code).toBe(1);
  expect((await runCommand('bundle', ['witnessed-', '--journal', wdir, '--out', stopped, '--cosigned'])).code).toBe(0);
  const again = await verifyBundle(
    stopped,
    '--vkey',
    wkey,
    '--witness',
    w1.vkey,
    '--witness',
    w2.vkey,
    '--quorum',
    '2',
  );
  expect(again.stdout).toContain('complete: 9 records, opening to close');
  expect(again.code).toBe(0);
  const short = await verifyBundle(file, '--vkey', wkey, '--witness', w1.vkey, '--witness', w3.vkey, '--quorum', '2');
  expect(short.stdout).toContain('BUNDLE_NOT_WITNESSED');
  expect(short.code).toBe(1);
}, 180_000);
