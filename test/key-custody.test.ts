// Key custody as an operator meets it on the command line (issue 13, points 3 and 4): the private key
// lives outside the journal directory, retired keys are destroyed once their hand-over is durable, a
// key file others can read is refused, and a journal that still has its key inside keeps working
// with a warning that says how to move it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';

const bin = join(process.cwd(), 'dist/bin/pgtrail.js');
let root: string;

function pgtrail(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `pgtrail start` on the journal until it listens, then stops it with SIGTERM; returns its output and exit code. */
async function startAndStop(journal: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, 'start', '--journal', journal, '--listen', `127.0.0.1:${port}`, '--upstream', 'postgres://127.0.0.1:1/'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('listening on')) resolve();
    });
    void exited.then(() => resolve());
  });
  child.kill('SIGTERM');
  return { code: await exited, stdout, stderr };
}

function retiredKeys(names: readonly string[]): string[] {
  return names.filter((n) => n.includes('.retired-'));
}

beforeAll(async () => {
  // tsc emits even when work in progress elsewhere does not type-check; only the output matters here.
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  expect(existsSync(bin)).toBe(true);
  root = await mkdtemp(join(tmpdir(), 'pgtrail-custody-'));
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the signing key is kept beside the journal, never in it: a copy of the journal carries no private key', async () => {
  const journal = join(root, 'beside');
  const keygen = pgtrail('keygen', '--journal', journal);
  expect(keygen.code).toBe(0);
  const started = await startAndStop(journal);
  expect(started.code).toBe(0);
  expect(started.stdout).toContain(keygen.stdout.trim());
  for (const name of await readdir(journal)) {
    expect(await readFile(join(journal, name), 'utf8').catch(() => '')).not.toContain('PRIVATE+KEY');
  }
  expect(await readFile(`${journal}.signing-key`, 'utf8')).toMatch(/^PRIVATE\+KEY\+pgtrail\//);
});

test('retired keys are destroyed once the hand-over is durable; the journal still verifies with the first key', async () => {
  const journal = join(root, 'rotated');
  const first = pgtrail('keygen', '--journal', journal).stdout.trim();
  expect((await startAndStop(journal)).code).toBe(0);
  expect(pgtrail('keygen', '--journal', journal, '--rotate').code).toBe(0);
  const third = pgtrail('keygen', '--journal', journal, '--rotate').stdout.trim();
  // Until the writer has recorded the hand-over, the key it must sign with is kept.
  expect(retiredKeys(await readdir(root)).filter((n) => n.startsWith('rotated.'))).toHaveLength(2);

  const started = await startAndStop(journal);
  expect(started.code).toBe(0);
  expect(started.stdout).toContain(third);
  expect(retiredKeys(await readdir(root)).filter((n) => n.startsWith('rotated.'))).toEqual([]);
  expect(retiredKeys(await readdir(journal))).toEqual([]);

  const verified = pgtrail('verify', '--journal', journal, '--vkey', first);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toMatch(/, 1 key rotations,/);
});

test('start refuses a key file that group or others can read, with one line and exit 2', async () => {
  const journal = join(root, 'exposed');
  expect(pgtrail('keygen', '--journal', journal).code).toBe(0);
  await chmod(`${journal}.signing-key`, 0o640);
  const refused = await startAndStop(journal);
  expect(refused.code).toBe(2);
  expect(refused.stdout).not.toContain('listening on');
  expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  expect(refused.stderr).toMatch(/readable by group or others.*chmod 600.*\[JOURNAL_KEY_EXPOSED\]/);
  const rotate = pgtrail('keygen', '--journal', journal, '--rotate');
  expect(rotate.code).toBe(2);
  expect(rotate.stderr).toMatch(/JOURNAL_KEY_EXPOSED/);
});

test('a journal that has its key inside still opens, with a warning that says how to move the key out', async () => {
  const journal = join(root, 'legacy');
  const vkey = pgtrail('keygen', '--journal', journal).stdout.trim();
  // How journals were laid out before key custody: the key inside the journal directory.
  await rename(`${journal}.signing-key`, join(journal, 'signing-key'));
  const started = await startAndStop(journal);
  expect(started.code).toBe(0);
  expect(started.stdout).toContain(vkey);
  expect(started.stderr).toContain(
    `mv ${join(journal, 'signing-key')} ${journal}.signing-key), then rotate it (pgtrail keygen --rotate`,
  );
  expect(existsSync(`${journal}.signing-key`)).toBe(false);

  // Moved as the warning says, it is found beside the journal and the warning is gone.
  await rename(join(journal, 'signing-key'), `${journal}.signing-key`);
  const moved = await startAndStop(journal);
  expect(moved.code).toBe(0);
  expect(moved.stdout).toContain(vkey);
  expect(moved.stderr).not.toContain('inside the journal directory');
  expect(pgtrail('verify', '--journal', journal, '--vkey', vkey).code).toBe(0);
});
