// The worked example of docs/journal-format.md §8 verifies, with the hashes the document states.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { nodeSha256 } from '../node-sha256.js';
import { encodeBase64 } from '../format/base64.js';
import { verifyJournal } from './journal-verifier.js';
import { leafHash, nodeHash } from '../format/merkle.js';

const dir = join(import.meta.dirname, '..', 'testing', 'example-journal');
const vkey = 'pgtrail/5eed5eed5eed5eed+12273791+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs';

test('the documented example journal verifies with the documented key, leaves and root', async () => {
  const segment = await readFile(join(dir, 'segment-000000000000.jsonl'));
  const report = await verifyJournal({
    segments: [{ name: 'segment-000000000000.jsonl', read: async () => segment }],
    latestCheckpoint: await readFile(join(dir, 'checkpoint'), 'utf8'),
    pinnedKeys: [vkey],
    remembered: null,
  });
  expect(report.findings).toEqual([]);
  expect(report).toMatchObject({
    records: 5,
    checkpoints: 2,
    lastCheckpoint: { size: 4, root: 'wCxEJKHmellwIBvDpKNG4FXsmvepxjTaHQ2EI/8JLD0=' },
  });

  const leaves = segment
    .toString('utf8')
    .split('\n')
    .slice(0, 4)
    .map((line) => leafHash(nodeSha256, Buffer.from(line)));
  expect(leaves.map(encodeBase64)).toEqual([
    'dkQ8I9PKLZOMm1B5yr++lcAKo1pcu/IL6s71THw2XAw=',
    'XUj6deySCRzegJqT7RJLpEszUGhFOys5vnphBjZ6HbE=',
    'j9SR/yiOIJ4v+x4p9wmqc3VohhF5CVoa0qK7+HStBc4=',
    'HJtISSbu1X2rPnp0v5equG5pX6jiRcCjYKZDVYu9y+Y=',
  ]);
  const left = nodeHash(nodeSha256, leaves[0]!, leaves[1]!);
  const right = nodeHash(nodeSha256, leaves[2]!, leaves[3]!);
  expect(encodeBase64(left)).toBe('mV9WTpjLyXEn99QY2PRdQnCw/2DzchL96EIv7QyzoMQ=');
  expect(encodeBase64(right)).toBe('bcuh9J4WOQEXj1dova0EkeeIi2gjLb+J2aVOub0S8nc=');
  expect(encodeBase64(nodeHash(nodeSha256, left, right))).toBe('wCxEJKHmellwIBvDpKNG4FXsmvepxjTaHQ2EI/8JLD0=');
});

test('the example verifies with the portable SHA-256 too, as in a browser', async () => {
  const segment = await readFile(join(dir, 'segment-000000000000.jsonl'));
  const report = await verifyJournal({
    segments: [{ name: 'segment-000000000000.jsonl', read: async () => new Uint8Array(segment) }],
    latestCheckpoint: await readFile(join(dir, 'checkpoint'), 'utf8'),
    pinnedKeys: [vkey],
    remembered: null,
  });
  expect(report.intact).toBe(true);
});
