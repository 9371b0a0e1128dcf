// pgtrail witness as a real process: the HTTP surface of C2SP tlog-witness, its limits, and state and
// key that survive a restart.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseCosignerKey, verifiedCosignatures } from '../recorder/format/cosignature.js';
import { TestLog } from '../witness/testing/test-log.js';
import { startWitnessProcess } from './support/witness-process.js';

let root: string;
const log = new TestLog(100);

beforeAll(async () => {
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  root = await mkdtemp(join(tmpdir(), 'pgtrail-witness-proc-'));
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const post = (url: string, body: string | Uint8Array) =>
  fetch(`${url}/add-checkpoint`, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body) });

test('cosigns over HTTP, answers 409 with text/x.tlog.size, keeps key and state across a restart', async () => {
  const state = join(root, 'w1');
  const first = await startWitnessProcess(state, [log.key.verifierKey], 0, 'witness.test/one');
  expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const key = parseCosignerKey(first.vkey);
  expect(key.name).toBe('witness.test/one');
  expect((await stat(join(state, 'witness-key'))).mode & 0o777).toBe(0o600);

  const ok = await post(first.url, log.request(0, 10));
  expect(ok.status).toBe(200);
  const cosignature = await ok.text();
  expect(verifiedCosignatures(log.checkpoint(10) + cosignature, [key])).toHaveLength(1);
  expect((await post(first.url, log.request(10, 40))).status).toBe(200);
  expect(await first.stop()).toBe(0);

  const second = await startWitnessProcess(state, [log.key.verifierKey]);
  expect(second.vkey).toBe(first.vkey);
  const conflict = await post(second.url, log.request(10, 50));
  expect(conflict.status).toBe(409);
  expect(conflict.headers.get('content-type')).toBe('text/x.tlog.size');
  expect(await conflict.text()).toBe('40\n');
  expect((await post(second.url, log.request(40, 50))).status).toBe(200);
  expect(await second.stop()).toBe(0);
  const [stateFile, ...others] = await readdir(join(state, 'logs'));
  expect(others).toEqual([]);
  expect(JSON.parse(await readFile(join(state, 'logs', stateFile!), 'utf8'))).toMatchObject({
    origin: log.origin,
    size: 50,
  });
});

test('refuses other paths and methods, bodies over 64 KiB, and logs it was not given', async () => {
  const w = await startWitnessProcess(join(root, 'w2'), []);
  expect((await fetch(`${w.url}/`)).status).toBe(404);
  expect((await fetch(`${w.url}/add-checkpoint`)).status).toBe(405);
  expect((await post(w.url, new Uint8Array(65 * 1024))).status).toBe(413);
  expect((await post(w.url, log.request(0, 3))).status).toBe(404);
  expect((await post(w.url, 'old x\n')).status).toBe(400);
  expect(await w.stop()).toBe(0);
});
