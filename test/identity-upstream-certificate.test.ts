import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTlsFiles } from '../embedded/tls-files.js';
import type { SessionOpened } from '../recorder/events.js';
import { viaPg } from './support/client-runs.js';
import {
  identityProxyConfig,
  makeIdentityFixture,
  passwordUser,
  standardIdentity,
  startIdentityProxy,
  type IdentityFixture,
} from './support/identity-fixture.js';
import { testRoles } from './support/test-roles.js';

/** A role that PostgreSQL lets in only with a client certificate (pg_hba method cert). */
const CERT_ROLE = 'pgtrail_cert_role';
const HBA_LINE = `hostssl all ${CERT_ROLE} 127.0.0.1/32 cert`;

describe('upstream credential with a client certificate', () => {
  const server = inject('postgres');
  const hbaFile = join(server.dataDir, 'pg_hba.conf');
  let fx: IdentityFixture;
  let dir: string;
  let admin: pg.Client;

  beforeAll(async () => {
    fx = await makeIdentityFixture();
    dir = mkdtempSync(join(tmpdir(), 'pgtrail-upcert-'));
    // A certificate for the role, signed by the CA of the test server (its key lies beside it).
    makeTlsFiles(dir, CERT_ROLE, { certFile: server.caFile, keyFile: join(dirname(server.caFile), 'ca.key') });
    chmodSync(join(dir, `${CERT_ROLE}.key`), 0o600);
    admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query(`CREATE ROLE ${CERT_ROLE} LOGIN`);
    // The rule goes first so that it wins over the catch-all scram line; other roles are unaffected.
    writeFileSync(hbaFile, `${HBA_LINE}\n${readFileSync(hbaFile, 'utf8')}`);
    await admin.query(`ALTER SYSTEM SET ssl_ca_file = '${server.caFile}'`);
    await admin.query('SELECT pg_reload_conf()');
  });
  afterAll(async () => {
    writeFileSync(hbaFile, readFileSync(hbaFile, 'utf8').replace(`${HBA_LINE}\n`, ''));
    await admin.query('ALTER SYSTEM RESET ssl_ca_file');
    await admin.query('SELECT pg_reload_conf()');
    await admin.query(`DROP ROLE IF EXISTS ${CERT_ROLE}`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
    await fx?.cleanup();
  });

  it('logs in upstream with the certificate alone; the user proved itself with a password', async () => {
    const identity = {
      ...standardIdentity(fx, testRoles.scram.user),
      upstream: [
        {
          name: 'by_cert',
          role: CERT_ROLE,
          passwordFile: null,
          passwordEnv: null,
          certFile: null,
          keyFile: join(dir, `${CERT_ROLE}.key`),
          certEnv: 'UPSTREAM_CERT_PEM',
          keyEnv: null,
        },
      ],
      policy: [{ identities: [passwordUser.name], databases: ['app'], upstream: 'by_cert' }],
    };
    // The certificate comes from an environment variable, the key from a file.
    const proxy = await startIdentityProxy(identityProxyConfig(server, fx, identity), {
      UPSTREAM_CERT_PEM: readFileSync(join(dir, `${CERT_ROLE}.crt`), 'utf8'),
    });
    try {
      const result = await viaPg({
        host: proxy.host,
        port: proxy.port,
        user: passwordUser.name,
        password: passwordUser.password,
        database: 'app',
        tls: 'off',
      });
      expect(result).toEqual({ ok: true, currentUser: CERT_ROLE });
      const opened = proxy.events.filter((e): e is SessionOpened => e.type === 'session.opened');
      expect(opened.map((o) => [o.identity.user, o.role])).toEqual([[passwordUser.name, CERT_ROLE]]);
    } finally {
      await proxy.close();
    }
  });
});
