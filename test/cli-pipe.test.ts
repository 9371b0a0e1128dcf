/** The command line behind a pipe whose reader goes away (`pgtrail search --json | head -1`). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { ensureSigningKey } from '../recorder/signing-key.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

describe('pgtrail behind a closed pipe', () => {
  const journal = mkdtempSync(join(tmpdir(), 'pgtrail-pipe-'));
  afterAll(() => {
    rmSync(journal, { recursive: true, force: true });
    rmSync(`${journal}.signing-key`, { force: true });
  });

  it('exits with its own code and no stack trace when the reader stops reading', async () => {
    await ensureSigningKey(journal);
    const writer = await openJournalWriter({ ...defaultConfig.journal, dir: journal, durability: 'batched' });
    const peer = { address: '127.0.0.1', port: 5432 };
    for (let i = 0; i < 5_000; i++) {
      writer.appendWithoutWaiting({
        type: 'session.opened',
        ts: Date.now(),
        session: `s${i}`,
        identity: { user: 'alice', method: { kind: 'passthrough' } },
        database: 'app',
        role: 'alice',
        client: peer,
        upstream: peer,
        application: 'psql',
        clientTls: null,
        upstreamTls: null,
        backendPid: i,
        serverVersion: '18.4',
      });
    }
    await writer.close();
    const child = spawn(process.execPath, [pgtrailBin, 'sessions', '--journal', journal, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read one chunk, then go away like `head -1`.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  });
});
