import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runProxy } from '../bin/run-proxy.js';
import { loadConfig } from '../config/load-config.js';
import { freePort } from '../embedded/postgres-server.js';
import { formatScramVerifier, makeScramVerifier } from '../proxy/identity/scram-verifier.js';
import type { JournalEvent } from '../recorder/events.js';
import { readJournal } from '../recorder/journal-reader.js';
import { viaPg } from './support/client-runs.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

const dir = mkdtempSync(join(tmpdir(), 'pgtrail-idstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const discard = () => new Writable({ write: (_c, _e, done) => done() });

describe('proxy-managed identity as pgtrail start runs it', () => {
  it('reads identity from the YAML file and the credential from the environment, and journals who and as which role', async () => {
    const server = inject('postgres');
    const port = await freePort();
    const file = join(dir, 'pgtrail.yaml');
    writeFileSync(
      file,
      `listen: { host: 127.0.0.1, port: ${port} }
upstream: { host: ${server.host}, port: ${server.port}, tls: { mode: require } }
journal: { dir: ${join(dir, 'journal')} }
identity:
  users:
    - name: alice
      verifier: "${formatScramVerifier(makeScramVerifier('alice-pw'))}"
  upstream:
    - name: app_rw
      role: ${testRoles.scram.user}
      passwordEnv: APP_PASSWORD
  policy:
    - identities: [alice]
      databases: [app]
      upstream: app_rw
`,
    );
    const config = loadConfig({ file, env: {}, flags: [] });
    const env = { APP_PASSWORD: testRoles.scram.password };
    const running = await runProxy(config, pino({ level: 'silent' }), {
      argv: [],
      env,
      stdout: discard(),
      stderr: discard(),
    });
    try {
      const at = { host: '127.0.0.1', port, database: 'app', tls: 'off' } as const;
      expect(await viaPg({ ...at, user: 'alice', password: 'alice-pw' })).toEqual({
        ok: true,
        currentUser: testRoles.scram.user,
      });
      expect(await viaPg({ ...at, user: 'alice', password: testRoles.scram.password })).toMatchObject({
        ok: false,
        code: '28P01',
      });
    } finally {
      await running.stop();
    }
    const events: JournalEvent[] = [];
    for await (const entry of readJournal(config.journal.dir)) if (entry.event) events.push(entry.event);
    expect(events.find((e) => e.type === 'session.opened')).toMatchObject({
      identity: { user: 'alice', method: { kind: 'password' } },
      role: testRoles.scram.user,
      database: 'app',
    });
    expect(events.find((e) => e.type === 'statement.started')).toMatchObject({
      user: 'alice',
      role: testRoles.scram.user,
    });
    expect(events.find((e) => e.type === 'session.auth_failed')).toMatchObject({
      user: 'alice',
      code: '28P01',
      reason: 'wrong password',
    });
  });

  it('refuses to start on an inconsistent identity section, naming the problem, before the journal exists', async () => {
    const file = join(dir, 'bad.yaml');
    const journal = join(dir, 'bad-journal');
    writeFileSync(
      file,
      `journal: { dir: ${journal} }\nidentity:\n  policy:\n    - { identities: [alice], databases: [app], upstream: app_rw }\n`,
    );
    const result = await runCommand('start', ['--config', file]);
    expect(result.code).toBe(2);
    expect(result.thrown).toMatchObject({
      code: 'IDENTITY_CONFIG_INVALID',
      message: expect.stringContaining('identity.policy'),
    });
    expect(existsSync(journal)).toBe(false);
  });
});
