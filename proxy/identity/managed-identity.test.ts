import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Config, IdentityConfig } from '../../config/config.js';
import { defaultConfig } from '../../config/defaults.js';
import { ManagedIdentity, type ClientAuthChannel } from './managed-identity.js';
import { formatScramVerifier, makeScramVerifier } from './scram-verifier.js';

interface PgSasl {
  startSession(mechanisms: string[]): { mechanism: string; response: string };
  continueSession(session: object, password: string, serverData: string): Promise<void>;
  finalizeSession(session: object, serverData: string): void;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as PgSasl;

/**
 * A client that answers the server's Authentication* requests as node-postgres would, in memory:
 * the decision logic is tested without sockets (the real clients are in test/identity-*.test.ts).
 */
function scramClient(password: string): ClientAuthChannel & { serverFinalChecked: boolean; serverFirst: string } {
  const pending: Promise<Buffer>[] = [];
  let session: { mechanism: string; response: string } | null = null;
  const client = {
    serverFinalChecked: false,
    serverFirst: '',
    write(bytes: Buffer) {
      const request = bytes.readInt32BE(5);
      const data = bytes.subarray(9);
      if (request === 10) {
        const mechanisms = data
          .toString('utf8')
          .split('\0')
          .filter((m) => m.length > 0);
        const s = sasl.startSession(mechanisms);
        session = s;
        const len = Buffer.alloc(4);
        len.writeInt32BE(Buffer.byteLength(s.response), 0);
        pending.push(Promise.resolve(Buffer.concat([Buffer.from(`${s.mechanism}\0`), len, Buffer.from(s.response)])));
      } else if (request === 11 && session) {
        const s = session;
        client.serverFirst = data.toString('utf8');
        pending.push(sasl.continueSession(s, password, data.toString('utf8')).then(() => Buffer.from(s.response)));
      } else if (request === 12 && session) {
        sasl.finalizeSession(session, data.toString('utf8'));
        client.serverFinalChecked = true;
      }
    },
    async readMessage() {
      const next = pending.shift();
      if (!next) throw new Error('the server waited for a message the client had no reason to send');
      return { code: 0x70, body: await next };
    },
  };
  return client;
}

function config(identity: Partial<IdentityConfig>): Config {
  return {
    ...defaultConfig,
    tls: { ...defaultConfig.tls, mode: 'disable' },
    identity: {
      ...defaultConfig.identity,
      users: [{ name: 'alice', verifier: formatScramVerifier(makeScramVerifier('alice-pw')) }],
      upstream: [
        {
          name: 'app_rw',
          role: 'app',
          passwordFile: null,
          passwordEnv: 'APP_PW',
          certFile: null,
          keyFile: null,
          certEnv: null,
          keyEnv: null,
        },
      ],
      policy: [{ identities: ['alice'], databases: ['app'], upstream: 'app_rw' }],
      ...identity,
    },
  };
}
const sources = { readFile: (): Buffer => Buffer.alloc(0), env: { APP_PW: 'app-secret' } };
const from = (address: string) => ({ address, port: 50000 });

describe('ManagedIdentity', () => {
  it('is null (passthrough) when no method is configured', () => {
    expect(ManagedIdentity.fromConfig(defaultConfig, sources)).toBeNull();
  });

  it('lets a configured user in with the right password and returns the policy credential', async () => {
    const identity = ManagedIdentity.fromConfig(config({}), sources) as ManagedIdentity;
    const client = scramClient('alice-pw');
    const outcome = await identity.authenticate(
      { user: 'alice', database: 'app', client: from('10.0.0.1'), tls: null },
      client,
    );
    expect(outcome).toEqual({
      ok: true,
      identity: { user: 'alice', method: { kind: 'password' } },
      credential: { name: 'app_rw', role: 'app', password: 'app-secret', tlsCert: null, tlsKey: null },
    });
    expect(client.serverFinalChecked).toBe(true);
  });

  it('refuses a wrong password and an unknown user alike to the client, and tells them apart in the reason', async () => {
    const identity = ManagedIdentity.fromConfig(config({}), sources) as ManagedIdentity;
    const wrong = await identity.authenticate(
      { user: 'alice', database: 'app', client: from('10.0.0.2'), tls: null },
      scramClient('nope'),
    );
    const unknown = await identity.authenticate(
      { user: 'bob', database: 'app', client: from('10.0.0.3'), tls: null },
      scramClient('nope'),
    );
    expect(wrong).toEqual({
      ok: false,
      refusal: {
        code: '28P01',
        message: 'password authentication failed for user "alice"',
        reason: 'wrong password',
        method: 'password',
      },
    });
    expect(unknown).toEqual({
      ok: false,
      refusal: {
        code: '28P01',
        message: 'password authentication failed for user "bob"',
        reason: 'unknown user',
        method: 'password',
      },
    });
  });

  it('shows unknown users the iteration count of the configured users', async () => {
    const users = [{ name: 'alice', verifier: formatScramVerifier(makeScramVerifier('alice-pw', 5000)) }];
    const identity = ManagedIdentity.fromConfig(config({ users }), sources) as ManagedIdentity;
    const client = scramClient('nope');
    await identity.authenticate({ user: 'bob', database: 'app', client: from('10.0.0.7'), tls: null }, client);
    expect(client.serverFirst).toMatch(/,i=5000$/);
  });

  it('denies a database the policy does not grant, with 28000', async () => {
    const identity = ManagedIdentity.fromConfig(config({}), sources) as ManagedIdentity;
    const outcome = await identity.authenticate(
      { user: 'alice', database: 'postgres', client: from('10.0.0.4'), tls: null },
      scramClient('alice-pw'),
    );
    expect(outcome).toEqual({
      ok: false,
      refusal: {
        code: '28000',
        message: 'access to database "postgres" denied for "alice"',
        reason: 'denied by access policy',
        method: 'password',
      },
    });
  });

  it('refuses an address after maxFailures failed proofs, even with the right password, but not another address', async () => {
    const identity = ManagedIdentity.fromConfig(
      config({ rateLimit: { maxFailures: 2, windowMs: 60_000 } }),
      sources,
    ) as ManagedIdentity;
    const ctx = { user: 'alice', database: 'app', client: from('10.0.0.5'), tls: null };
    for (let i = 0; i < 2; i++) expect((await identity.authenticate(ctx, scramClient('nope'), 1000)).ok).toBe(false);
    const blocked = await identity.authenticate(ctx, scramClient('alice-pw'), 2000);
    expect(blocked).toEqual({
      ok: false,
      refusal: { code: '28000', message: 'too many failed authentication attempts', reason: 'rate limited' },
    });
    expect((await identity.authenticate({ ...ctx, client: from('10.0.0.6') }, scramClient('alice-pw'), 2000)).ok).toBe(
      true,
    );
    expect((await identity.authenticate(ctx, scramClient('alice-pw'), 61_001)).ok).toBe(true);
  });

  it('refuses inconsistent configurations at start', () => {
    const invalid = expect.objectContaining({ code: 'IDENTITY_CONFIG_INVALID' });
    expect(() => ManagedIdentity.fromConfig(config({ policy: [] }), sources)).toThrow(invalid);
    expect(() =>
      ManagedIdentity.fromConfig(
        config({ policy: [{ identities: ['*'], databases: ['*'], upstream: 'nope' }] }),
        sources,
      ),
    ).toThrow(invalid);
    expect(() => ManagedIdentity.fromConfig(config({ users: [], certificate: { from: 'off' } }), sources)).toThrow(
      invalid,
    );
    expect(() => ManagedIdentity.fromConfig(config({ certificate: { from: 'cn' } }), sources)).toThrow(/tls.caFile/);
    expect(() =>
      ManagedIdentity.fromConfig(
        config({ jwt: { ...defaultConfig.identity.jwt, issuer: 'https://sso.test' } }),
        sources,
      ),
    ).toThrow(/only over TLS/);
    expect(() => ManagedIdentity.fromConfig(config({}), { ...sources, env: {} })).toThrow(
      expect.objectContaining({ code: 'IDENTITY_CREDENTIAL_UNREADABLE' }),
    );
  });
});
