// Statements of docs/journal-format.md (§1, §2, §4, §6, §9) that no other test pinned, each checked
// on a journal the writer made: how a journal starts, where segments end, what close leaves, what a
// recovery record says, what the writer refuses to repair, and that a reopened journal keeps its format.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, onTestFinished, test } from 'vitest';
import type { JournalConfig } from '../config/config.js';
import { defaultConfig } from '../config/defaults.js';
import { openJournalWriter } from './journal-writer.js';
import { createSigningKey } from './signing-key.js';
import { sampleSession } from './testing/sample-events.js';
import { verifyJournalDir } from './verify-journal-dir.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-spec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

const config = (overrides: Partial<JournalConfig> = {}): JournalConfig => ({
  ...defaultConfig.journal,
  dir,
  durability: 'strict',
  checkpointEveryMs: 600_000,
  ...overrides,
});

const segmentsOf = async (d: string) => (await readdir(d)).filter((f) => /^segment-\d{12}\.jsonl$/.test(f)).sort();
const linesOf = async (d: string, segment: string) =>
  (await readFile(join(d, segment), 'utf8')).split('\n').filter((l) => l !== '');
const leaf = (line: string) =>
  createHash('sha256')
    .update(Buffer.concat([Buffer.from([0]), Buffer.from(line)]))
    .digest('base64');

test('§2, §4: a new journal is journal.started at index 0 (prev all zeros, whole ts, format 4), then a checkpoint of size 1 over it', async () => {
  const vkey = await createSigningKey(dir);
  const writer = await openJournalWriter(config());
  await writer.close();
  const [first, second] = await linesOf(dir, 'segment-000000000000.jsonl');
  const started = JSON.parse(first!) as Record<string, unknown>;
  expect(Object.keys(started).slice(0, 3)).toEqual(['i', 'prev', 'kind']);
  expect(started).toMatchObject({
    i: 0,
    prev: `${'A'.repeat(43)}=`,
    kind: 'journal.started',
    vkey,
    origin: vkey.split('+')[0],
    format: 4,
  });
  expect(Number.isInteger(started['ts'])).toBe(true);
  const checkpoint = JSON.parse(second!) as { i: number; prev: string; kind: string; note: string };
  expect(checkpoint).toMatchObject({ i: 1, prev: leaf(first!), kind: 'checkpoint' });
  // Size 1, and the tree of one record has that record's leaf as its root (RFC 9162 §2.1.1).
  expect(checkpoint.note.split('\n').slice(0, 3)).toEqual([vkey.split('+')[0], '1', leaf(first!)]);
});

test('§1, §4: segments are named by their first index, each one the writer left ends in a checkpoint, and so does close', async () => {
  await createSigningKey(dir);
  const writer = await openJournalWriter(config({ segmentMaxBytes: 8192, checkpointEveryRecords: 1_000_000 }));
  for (const e of sampleSession('s1', 200)) writer.appendWithoutWaiting(e);
  await writer.close();
  const segments = await segmentsOf(dir);
  expect(segments.length).toBeGreaterThan(3);
  let index = 0;
  let lastLine = '';
  for (const segment of segments) {
    expect(segment).toBe(`segment-${String(index).padStart(12, '0')}.jsonl`);
    const lines = await linesOf(dir, segment);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(lines.map((_l, k) => index + k));
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'checkpoint', i: index + lines.length - 1 });
    index += lines.length;
    lastLine = lines.at(-1)!;
  }
  // The checkpoint file holds the note of the last checkpoint record exactly.
  expect(await readFile(join(dir, 'checkpoint'), 'utf8')).toBe((JSON.parse(lastLine) as { note: string }).note);
});

test('§6: a torn final write is cut and kept, and its recovery record says where, how many bytes and their SHA-256', async () => {
  await createSigningKey(dir);
  const writer = await openJournalWriter(config());
  for (const e of sampleSession('s2', 3)) await writer.append(e);
  await writer.close();
  const segment = 'segment-000000000000.jsonl';
  const bytes = await readFile(join(dir, segment));
  const torn = Buffer.from('{"i":99,"prev":"half a rec');
  await writeFile(join(dir, segment), Buffer.concat([bytes, torn]));
  await (await openJournalWriter(config())).close();
  const recovery = (await linesOf(dir, segment)).map((l) => JSON.parse(l) as Record<string, unknown>);
  const record = recovery.find((r) => r['kind'] === 'recovery');
  expect(record).toMatchObject({
    segment,
    offset: bytes.length,
    bytes: torn.length,
    sha256: createHash('sha256').update(torn).digest('hex'),
    keptAs: `${segment}.torn-${bytes.length}`,
  });
  expect(Number.isInteger(record?.['ts'])).toBe(true);
  expect(await readFile(join(dir, `${segment}.torn-${bytes.length}`))).toEqual(torn);
  expect((await verifyJournalDir(dir, { pinnedKeys: null, stateFile: null })).findings).toEqual([]);
});

test('§6: the only damage repaired is a torn write of the last segment; a missing segment or an unfinished earlier one refuses to open', async () => {
  await createSigningKey(dir);
  const writer = await openJournalWriter(config({ segmentMaxBytes: 4096, checkpointEveryRecords: 1_000_000 }));
  for (const e of sampleSession('s3', 60)) writer.appendWithoutWaiting(e);
  await writer.close();
  const segments = await segmentsOf(dir);
  expect(segments.length).toBeGreaterThan(2);
  const copies: string[] = [];
  const copy = async (name: string) => {
    const d = `${dir}-${name}`;
    copies.push(d);
    await cp(dir, d, { recursive: true });
    await cp(`${dir}.signing-key`, `${d}.signing-key`);
    return d;
  };
  onTestFinished(async () => {
    for (const d of copies) {
      await rm(d, { recursive: true, force: true });
      await rm(`${d}.signing-key`, { force: true });
    }
  });
  const gap = await copy('gap');
  await unlink(join(gap, segments[1]!));
  await expect(openJournalWriter({ ...config(), dir: gap })).rejects.toMatchObject({ code: 'JOURNAL_SEGMENT_GAP' });
  const cut = await copy('cut');
  const size = (await readFile(join(cut, segments[0]!))).length;
  await truncate(join(cut, segments[0]!), size - 5);
  await expect(openJournalWriter({ ...config(), dir: cut })).rejects.toMatchObject({
    code: 'JOURNAL_RECORD_MALFORMED',
    segment: segments[0],
  });
  // Refused, not repaired: nothing was cut away or kept aside.
  expect((await readdir(cut)).filter((f) => f.includes('.torn-'))).toEqual([]);
  expect((await readFile(join(cut, segments[0]!))).length).toBe(size - 5);
});

test('§9: a journal keeps the format it started with when reopened: the format 1 example gets events without a session chain', async () => {
  const example = join(import.meta.dirname, 'testing', 'example-journal');
  await cp(example, dir, { recursive: true });
  // The example's test key: seed 32 x 0x07, in the private key format of §5.
  const seed = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]).toString('base64');
  await writeFile(`${dir}.signing-key`, `PRIVATE+KEY+pgtrail/5eed5eed5eed5eed+12273791+${seed}\n`, { mode: 0o600 });
  const vkey = 'pgtrail/5eed5eed5eed5eed+12273791+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs';
  const writer = await openJournalWriter(config());
  for (const e of sampleSession('c0ffee02', 2)) await writer.append(e);
  await writer.close();
  const lines = (await linesOf(dir, 'segment-000000000000.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines[0]).toMatchObject({ kind: 'journal.started', format: 1 });
  const events = lines.slice(5).filter((r) => r['kind'] === 'event');
  expect(events.length).toBeGreaterThan(0);
  for (const r of events) expect(Object.keys(r['event'] as object)).not.toContain('sn');
  expect(lines.some((r) => r['kind'] === 'cosignature')).toBe(false);
  const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
  expect(report.findings).toEqual([]);
});
