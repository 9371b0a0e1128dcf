/**
 * `pgtrail recorder` with viewer.enabled serves the viewer of its own journal (issue 19): the
 * `viewer:` line, 401 without the login token, and a search run through it is a viewing record
 * written by the recorder's writer, listed by `pgtrail search --viewings`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { spawnPgtrail } from './support/pgtrail-child.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgtrail-recorder-viewer-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('pgtrail recorder with viewer.enabled', () => {
  it('serves the viewer of its journal behind the login token and records each viewing in that journal', async () => {
    const journal = join(dir, 'journal');
    const tokenFile = join(dir, 'tokens');
    writeFileSync(tokenFile, 'a-recorder-token-of-enough-length-0123456789\n', { mode: 0o600 });
    const configFile = join(dir, 'pgtrail.yaml');
    writeFileSync(configFile, 'viewer:\n  enabled: true\n  listen:\n    host: 127.0.0.1\n    port: 0\n');
    const port = await freePort();
    const recorder = spawnPgtrail([
      'recorder',
      '--config',
      configFile,
      '--listen',
      `127.0.0.1:${port}`,
      '--journal',
      journal,
      '--token-file',
      tokenFile,
    ]);
    try {
      const [, url] = (await recorder.waitFor(/viewer: (\S+)/)) as RegExpMatchArray & [string, string];
      const viewerUrl = new URL(url);
      const token = new URLSearchParams(viewerUrl.hash.slice(1)).get('login');
      expect(token).toBeTruthy();
      const base = viewerUrl.origin;
      expect((await fetch(`${base}/api/sessions`)).status).toBe(401);
      const auth = { Authorization: `Bearer ${token}` };
      expect((await fetch(`${base}/api/sessions`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${base}/api/search?user=alice`, { headers: auth })).status).toBe(200);
    } finally {
      expect(await recorder.stop('SIGTERM')).toBe(0);
    }
    const search = spawnPgtrail(['search', '--journal', journal, '--viewings', '--json']);
    expect(await search.exited).toBe(0);
    const viewings = search
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { action: string });
    expect(viewings.map((v) => v.action)).toContain('search');
    const verify = spawnPgtrail(['verify', '--journal', journal]);
    expect(await verify.exited).toBe(0);
  });
});
