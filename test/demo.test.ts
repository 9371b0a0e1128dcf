/** `pgtrail demo` as a newcomer runs it: connect with the printed URL, then the printed commands find the statement. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

describe('pgtrail demo', () => {
  const work = mkdtempSync(join(tmpdir(), 'pgtrail-demo-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('prints a working connection URL and the commands that show what was recorded', { timeout: 240_000 }, async () => {
    const port = await freePort();
    // No --journal: the default is ./pgtrail-demo, the path README's tour names.
    const journal = join(work, 'pgtrail-demo');
    const child = spawn(
      process.execPath,
      [pgtrailBin, 'demo', '--listen', `127.0.0.1:${port}`, '--viewer', '127.0.0.1:0'],
      {
        cwd: work,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not come up: ${out}`)), 150_000);
      child.stdout.on('data', () => {
        if (out.includes('Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const url = /psql "([^"]+)"/.exec(out)?.[1];
    expect(url).toBe(`postgres://demo:demo@127.0.0.1:${port}/demo`);
    // The demo prints its web viewer's URL, with the login token in the fragment.
    expect(out).toMatch(/^viewer: http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]{43}$/m);
    const psql = spawnSync(
      'psql',
      [url as string, '-X', '-A', '-t', '-c', "select 'hello from the demo' as greeting"],
      { encoding: 'utf8' },
    );
    expect(psql.stdout.trim()).toBe('hello from the demo');

    child.kill('SIGINT');
    expect(await exited).toBe(0);

    expect(out).toContain(`npx pgtrail sessions --journal ${journal}\n`);
    const vkey = /--vkey (\S+)/.exec(out)?.[1] as string;
    const verify = spawnSync(process.execPath, [pgtrailBin, 'verify', '--journal', journal, '--vkey', vkey], {
      encoding: 'utf8',
    });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const search = spawnSync(
      process.execPath,
      [pgtrailBin, 'search', '--journal', 'pgtrail-demo', '--json', '--grep', 'hello from'],
      { encoding: 'utf8', cwd: work },
    );
    const rows = search.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      user: 'demo',
      database: 'demo',
      command: 'SELECT 1',
      rows: 1,
      error: null,
      application: 'psql',
    });
  });

  it('--journal a directory that cannot be made: exit 2 at once, one line, no PostgreSQL started', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    const r = spawnSync(process.execPath, [pgtrailBin, 'demo', '--listen', listen, '--journal', '/proc/nope'], {
      encoding: 'utf8',
      cwd: work,
      timeout: 20_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['pgtrail demo: cannot create directory /proc/nope [ENOENT]']);
    expect(r.stdout).not.toContain('starting PostgreSQL');
  });
});
