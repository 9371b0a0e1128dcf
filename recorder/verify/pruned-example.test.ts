// docs/journal-format.md §10: record 2 of the worked example, pruned as the document shows it,
// still verifies under the same signed checkpoints; a changed leaf in it is found.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { verifyJournal } from './journal-verifier.js';

const dir = join(import.meta.dirname, '..', 'testing', 'example-journal');
const vkey = 'pgtrail/5eed5eed5eed5eed+12273791+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs';
const documented =
  '{"i":2,"prev":"XUj6deySCRzegJqT7RJLpEszUGhFOys5vnphBjZ6HbE=","kind":"pruned","leaf":"j9SR/yiOIJ4v+x4p9wmqc3VohhF5CVoa0qK7+HStBc4=","was":{"type":"statement.started","ts":1764115200123,"session":"c0ffee01","statement":1}}';

async function verifyWithLine2(line: string) {
  const lines = (await readFile(join(dir, 'segment-000000000000.jsonl'), 'utf8')).split('\n');
  lines[2] = line;
  const segment = new TextEncoder().encode(lines.join('\n'));
  return verifyJournal({
    segments: [{ name: 'segment-000000000000.jsonl', read: async () => segment }],
    latestCheckpoint: await readFile(join(dir, 'checkpoint'), 'utf8'),
    pinnedKeys: [vkey],
    remembered: null,
  });
}

test('the documented pruned record 2 verifies with the documented root, and is reported as pruned', async () => {
  const report = await verifyWithLine2(documented);
  expect(report.findings).toEqual([]);
  expect(report.lastCheckpoint).toEqual({ size: 4, root: 'wCxEJKHmellwIBvDpKNG4FXsmvepxjTaHQ2EI/8JLD0=' });
  expect(report.pruned).toEqual({
    records: 1,
    ranges: [{ segment: 'segment-000000000000.jsonl', first: 2, last: 2 }],
  });
});

test('a pruned record with another leaf breaks the chain and the signed root', async () => {
  const report = await verifyWithLine2(documented.replace('"leaf":"j9SR', '"leaf":"j9SS'));
  expect(report.findings.map((f) => f.code)).toEqual(['JOURNAL_CHAIN_BROKEN', 'JOURNAL_ROOT_MISMATCH']);
  expect(report.findings[0]?.index).toBe(2);
});

test('a pruned line not in its exact form is malformed', async () => {
  const report = await verifyWithLine2(documented.replace('"statement":1}}', '"statement":1,"sql":"x"}}'));
  expect(report.findings.map((f) => f.code)).toContain('JOURNAL_RECORD_MALFORMED');
});
