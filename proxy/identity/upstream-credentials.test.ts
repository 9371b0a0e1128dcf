import { describe, expect, it } from 'vitest';
import { resolveUpstreamCredentials } from './upstream-credentials.js';

describe('resolveUpstreamCredentials', () => {
  const base = { passwordFile: null, passwordEnv: null, certFile: null, keyFile: null, certEnv: null, keyEnv: null };
  const files: Record<string, string> = {
    '/run/secrets/app': 'file-secret\nignored\n',
    '/tls/c.crt': 'CERT',
    '/tls/c.key': 'KEY',
  };
  const sources = {
    readFile: (p: string) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return Buffer.from(f);
    },
    env: { APP_PASSWORD: 'env-secret', CERT_PEM: 'ENVCERT', KEY_PEM: 'ENVKEY' },
  };
  it('reads a password from a file (first line) or a named environment variable, and cert/key files', () => {
    const resolved = resolveUpstreamCredentials(
      [
        { ...base, name: 'a', role: 'app', passwordFile: '/run/secrets/app' },
        { ...base, name: 'b', role: 'app', passwordEnv: 'APP_PASSWORD' },
        { ...base, name: 'c', role: 'app', certFile: '/tls/c.crt', keyFile: '/tls/c.key' },
        { ...base, name: 'd', role: 'app', certEnv: 'CERT_PEM', keyEnv: 'KEY_PEM' },
      ],
      sources,
    );
    expect(resolved.get('a')?.password).toBe('file-secret');
    expect(resolved.get('b')?.password).toBe('env-secret');
    expect(resolved.get('c')).toEqual({
      name: 'c',
      role: 'app',
      password: null,
      tlsCert: Buffer.from('CERT'),
      tlsKey: Buffer.from('KEY'),
    });
    expect(resolved.get('d')).toMatchObject({ tlsCert: Buffer.from('ENVCERT'), tlsKey: Buffer.from('ENVKEY') });
  });
  it('names the credential and what is missing', () => {
    expect(() =>
      resolveUpstreamCredentials([{ ...base, name: 'x', role: 'app', passwordEnv: 'NOPE' }], sources),
    ).toThrow(/"x".*NOPE is not set/);
    expect(() =>
      resolveUpstreamCredentials([{ ...base, name: 'y', role: 'app', passwordFile: '/nope' }], sources),
    ).toThrow(expect.objectContaining({ code: 'IDENTITY_CREDENTIAL_UNREADABLE' }));
    expect(() =>
      resolveUpstreamCredentials([{ ...base, name: 'z', role: 'app', certFile: '/tls/c.crt' }], sources),
    ).toThrow(/certificate and its key go together/);
  });
});
