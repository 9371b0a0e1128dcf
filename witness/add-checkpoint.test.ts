// C2SP tlog-witness add-checkpoint: every answer the specification defines, and the state it keeps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { nodeSha256 } from '../recorder/node-sha256.js';
import { generateSigningKey } from '../recorder/signing-key.js';
import { encodeBase64 } from '../recorder/format/base64.js';
import { parseCosignerKey, verifiedCosignatures } from '../recorder/format/cosignature.js';
import { parseVerifierKey } from '../recorder/format/note.js';
import { addCheckpoint, type AddCheckpointContext } from './add-checkpoint.js';
import { TestLog } from './testing/test-log.js';
import { loadOrCreateWitnessKey } from './witness-key.js';
import { WitnessState } from './witness-state.js';

let dir: string;
let ctx: AddCheckpointContext;
const log = new TestLog(300);
const bytes = (s: string) => new TextEncoder().encode(s);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-witness-'));
  const state = new WitnessState(dir);
  await state.open();
  ctx = {
    logs: new Map([[log.origin, [parseVerifierKey(log.key.verifierKey)]]]),
    state,
    key: await loadOrCreateWitnessKey(dir, 'witness.test/w1'),
    now: () => 1_764_115_200n,
    sha256: nodeSha256,
  };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const post = (body: string) => addCheckpoint(ctx, bytes(body));

test('a first checkpoint (old 0, no proof) is cosigned with a cosignature/v1 line that verifies', async () => {
  const r = await post(log.request(0, 10));
  expect(r.status).toBe(200);
  expect(r.body).toMatch(/^\u2014 witness\.test\/w1 [A-Za-z0-9+/]{102}==\n$/);
  const cosigned = log.checkpoint(10) + r.body;
  const [found, ...more] = verifiedCosignatures(cosigned, [ctx.key.key]);
  expect(more).toEqual([]);
  expect(found?.timestamp).toBe(1_764_115_200n);
  // The cosignature is over this checkpoint only.
  expect(verifiedCosignatures(log.checkpoint(11) + r.body, [ctx.key.key])).toEqual([]);
  expect((await ctx.state.read(log.origin))?.size).toBe(10);
});

test('each next checkpoint with a consistency proof from the cosigned size is cosigned', async () => {
  expect((await post(log.request(0, 1))).status).toBe(200);
  let old = 1;
  for (const size of [2, 3, 7, 8, 64, 65, 200, 200, 299]) {
    const r = await post(log.request(old, size));
    expect(r.status, `${old} -> ${size}`).toBe(200);
    old = size;
  }
  // The state survives a restart: a new WitnessState on the same directory.
  const reopened = new WitnessState(dir);
  const reread = await reopened.read(log.origin);
  expect(reread?.size).toBe(299);
  expect(Buffer.from(reread!.root).equals(log.root(299))).toBe(true);
});

test('409 with its size as text/x.tlog.size when old is not the cosigned size', async () => {
  await post(log.request(0, 20));
  for (const old of [0, 10, 21]) {
    const r = await post(log.request(old, 30));
    expect(r).toMatchObject({ status: 409, contentType: 'text/x.tlog.size', body: '20\n' });
  }
  expect((await ctx.state.read(log.origin))?.size).toBe(20);
});

test('422 for a proof that does not verify, a different history, or a proof from 0', async () => {
  await post(log.request(0, 20));
  const other = new TestLog(300, 1, log.key);
  // A rewritten history signed by the same key: no proof can make it consistent.
  expect((await post(other.request(20, 40))).status).toBe(422);
  const proof = [...(await import('../recorder/tree-prover.js')).consistencyPath((_lo, hi) => log.root(hi), 20, 40)];
  expect((await post(log.request(20, 40, proof))).status).toBe(422);
  // The same size with another root.
  expect((await post(other.request(20, 20, []))).status).toBe(422);
  expect((await post(log.request(20, 40, []))).status).toBe(422);
  const fresh = new TestLog(10, 2, generateSigningKey('pgtrail/cdcdcdcdcdcdcdcd').key);
  ctx = { ...ctx, logs: new Map([[fresh.origin, [parseVerifierKey(fresh.key.verifierKey)]]]) };
  expect((await post(fresh.request(0, 5, [fresh.root(1)]))).status).toBe(422);
  expect((await ctx.state.read(log.origin))?.size).toBe(20);
});

test('404 unknown origin, 403 unknown or failing signature, 400 malformed or old above size', async () => {
  const stranger = new TestLog(10, 0, generateSigningKey('pgtrail/0123456789abcdef').key);
  expect((await post(stranger.request(0, 5))).status).toBe(404);
  // Same origin, another key: no signature by a trusted key.
  const impostor = new TestLog(10, 0, generateSigningKey(log.origin).key);
  expect((await post(impostor.request(0, 5))).status).toBe(403);
  // A trusted key's name and ID with a signature over other bytes.
  const body = log.request(0, 5);
  const forged = body.replace(/ ([A-Za-z0-9+/]{8})[A-Za-z0-9+/]{8}/, ' $1AAAAAAAA');
  expect((await post(forged)).status).toBe(403);
  for (const bad of [
    '',
    'old 5',
    `old -1\n\n${log.checkpoint(5)}`,
    `old 01\n\n${log.checkpoint(5)}`,
    `old 0\n${log.checkpoint(5)}`,
    `old 0\nnot-base64\n\n${log.checkpoint(5)}`,
    `old 0\n${encodeBase64(new Uint8Array(31))}\n\n${log.checkpoint(5)}`,
    `old 0\n${`${encodeBase64(new Uint8Array(32))}\n`.repeat(64)}\n${log.checkpoint(5)}`,
    'old 0\n\nnot a note\n',
    `old 6\n\n${log.checkpoint(5)}`,
  ]) {
    expect((await post(bad)).status, JSON.stringify(bad.slice(0, 20))).toBe(400);
  }
  expect((await addCheckpoint(ctx, new Uint8Array([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a]))).status).toBe(400);
  expect(await ctx.state.read(log.origin)).toBeNull();
});

test('two requests from the same old size at once: one is cosigned, the other gets 409 (no rollback race)', async () => {
  await post(log.request(0, 10));
  const answers = await Promise.all([post(log.request(10, 50)), post(log.request(10, 20))]);
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  const winner = answers[0]!.status === 200 ? 50 : 20;
  expect((await ctx.state.read(log.origin))?.size).toBe(winner);
});

test('the cosigner key is type 0x04 and its key id is over the type byte', () => {
  const key = parseCosignerKey(ctx.key.key.text);
  expect(Buffer.from(key.text.split('+')[2]!, 'base64')[0]).toBe(0x04);
  expect(() => parseVerifierKey(key.text)).toThrow();
});
