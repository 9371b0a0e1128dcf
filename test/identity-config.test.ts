import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'pgtrail-idconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function load(yaml: string) {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ file, env: {}, flags: [] });
}
function failure(yaml: string): ConfigError {
  try {
    load(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('the identity section of the config', () => {
  it('loads users, certificate, jwt, upstream credentials, policy and rate limit', () => {
    const config = load(`
identity:
  users:
    - name: alice
      verifier: "SCRAM-SHA-256$4096:c2FsdA==$a:b"
  certificate:
    from: san-email
  jwt:
    issuer: https://sso.example.test
    audience: pgtrail
    jwksUrl: https://sso.example.test/jwks.json
    claim: email
    clockSkewMs: 5000
  upstream:
    - name: app_rw
      role: app
      passwordEnv: APP_PASSWORD
  policy:
    - identities: [alice, bob]
      databases: "*"
      upstream: app_rw
  rateLimit:
    maxFailures: 3
`);
    expect(config.identity.users).toEqual([{ name: 'alice', verifier: 'SCRAM-SHA-256$4096:c2FsdA==$a:b' }]);
    expect(config.identity.certificate.from).toBe('san-email');
    expect(config.identity.jwt).toMatchObject({
      issuer: 'https://sso.example.test',
      audience: 'pgtrail',
      jwksFile: null,
      claim: 'email',
      clockSkewMs: 5000,
      jwksTimeoutMs: 5000,
    });
    expect(config.identity.upstream).toEqual([
      {
        name: 'app_rw',
        role: 'app',
        passwordFile: null,
        passwordEnv: 'APP_PASSWORD',
        certFile: null,
        keyFile: null,
        certEnv: null,
        keyEnv: null,
      },
    ]);
    expect(config.identity.policy).toEqual([{ identities: ['alice', 'bob'], databases: ['*'], upstream: 'app_rw' }]);
    expect(config.identity.rateLimit).toEqual({ maxFailures: 3, windowMs: 60_000 });
  });

  it('names the key and line of a bad list entry', () => {
    const err = failure('identity:\n  policy:\n    - identities: [alice]\n      databases: []\n      upstream: x\n');
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', key: 'identity.policy[0].databases', line: 4 });
    expect(failure('identity:\n  upstream:\n    - name: x\n').message).toBe('identity.upstream[0] needs role');
    expect(failure('identity:\n  users:\n    - name: a\n      verifier: v\n      password: p\n').key).toBe(
      'identity.users[0].password',
    );
    expect(failure('identity:\n  jwt:\n    jwksUrl: file:///etc/jwks\n').key).toBe('identity.jwt.jwksUrl');
  });
});
