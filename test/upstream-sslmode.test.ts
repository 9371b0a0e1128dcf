/**
 * Every upstream sslmode pgtrail accepts, against a server with TLS on and one with TLS off, on each
 * PostgreSQL major of the run. The TLS-off servers are started here, as the stock `postgres`
 * container image starts its server (`ssl = off`). The default, prefer, once hung against those:
 * the socket paused while pgtrail read the server's 'N' was never resumed, and the client saw
 * "canceling authentication due to timeout" 30 s later.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UpstreamTlsConfig } from '../config/config.js';
import { debianBinaries, embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres, type PostgresInfo, type PostgresServer } from '../embedded/postgres-server.js';
import type { SessionOpened } from '../recorder/events.js';
import { startTestProxy } from './support/test-proxy.js';
import { createTestRoles, testRoles } from './support/test-roles.js';

type Mode = UpstreamTlsConfig['mode'];
const modes: readonly Mode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** What libpq does with each mode: TLS used, plaintext used, or the connection refused. */
function expected(mode: Mode, serverSsl: boolean): 'tls' | 'plain' | 'refused' {
  if (mode === 'disable') return 'plain';
  if (mode === 'prefer') return serverSsl ? 'tls' : 'plain';
  return serverSsl ? 'tls' : 'refused';
}

/** psql (on its own default sslmode towards pgtrail, which offers no TLS here) as the SCRAM role. */
function psql(port: number): Promise<{ ok: true; ssl: string } | { ok: false; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      'psql',
      [
        `host=127.0.0.1 port=${port} user=${testRoles.scram.user} dbname=app connect_timeout=10`,
        '-X',
        '-A',
        '-t',
        '-w',
        '-c',
        'select coalesce((select ssl from pg_stat_ssl where pid = pg_backend_pid()), false)',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', PGPASSWORD: testRoles.scram.password } },
      (err, stdout, stderr) => resolve(err ? { ok: false, stderr } : { ok: true, ssl: stdout.trim() }),
    ),
  );
}

const tlsOn = inject('postgresMajors');
const tlsOff: PostgresServer[] = [];

beforeAll(async () => {
  for (const binaries of [embeddedBinaries(), ...debianBinaries()]) {
    const server = await startPostgres(binaries, { ssl: false });
    tlsOff.push(server);
    await createTestRoles(server);
  }
});
afterAll(async () => {
  await Promise.all(tlsOff.map((s) => s.stop()));
});

describe.each([
  ['on', () => tlsOn],
  ['off', () => tlsOff],
] as const)('upstream sslmode against servers with TLS %s', (_label, servers) => {
  it('has a server of every major of the run', () => {
    expect(servers().map((s) => s.major)).toEqual(tlsOn.map((s) => s.major));
  });

  for (const mode of modes) {
    it(`sslmode=${mode}: psql connects (or is refused with 08006) as libpq would, on every major`, async () => {
      for (const server of servers() as readonly PostgresInfo[]) {
        const p = await startTestProxy(server, {
          upstreamTls: { mode, caFile: mode.startsWith('verify') ? server.caFile : null },
        });
        try {
          const result = await psql(p.port);
          const want = expected(mode, server.ssl);
          if (want === 'refused') {
            expect(result.ok, `major ${server.major}`).toBe(false);
            expect(p.events).toContainEqual(
              expect.objectContaining({ type: 'session.auth_failed', code: '08006', user: testRoles.scram.user }),
            );
            continue;
          }
          expect(result, `major ${server.major}`).toEqual({ ok: true, ssl: want === 'tls' ? 't' : 'f' });
          const opened = p.events.find((e): e is SessionOpened => e.type === 'session.opened');
          expect(opened?.serverVersion.startsWith(String(server.major))).toBe(true);
          expect(opened?.upstreamTls === null).toBe(want === 'plain');
        } finally {
          await p.close();
        }
      }
    });
  }
});
