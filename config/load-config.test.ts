import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { defaultConfig } from './defaults.js';
import { describeConfigError, loadConfig } from './load-config.js';
import { listenOverrides, upstreamUrlOverrides } from './parse-upstream-url.js';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pgtrail-config-')), 'pgtrail.yaml');
  writeFileSync(file, text);
  return file;
}

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults with no file, flags or environment', () => {
    const config = loadConfig({ file: null, env: {}, flags: [] });
    expect(config).toEqual(defaultConfig);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 6432 });
    expect(config.journal.durability).toBe('strict');
    expect(Object.isFrozen(config.journal)).toBe(true);
  });

  it('applies environment, then file, then flags, each overriding the one before', () => {
    const file = configFile('upstream:\n  port: 5555\njournal:\n  dir: /var/lib/pgtrail\n  durability: batched\n');
    const config = loadConfig({
      file,
      env: { PGHOST: 'db.internal', PGPORT: '5444' },
      flags: [{ key: 'journal.durability', value: 'strict', source: 'flag --durability' }],
    });
    expect(config.upstream.host).toBe('db.internal');
    expect(config.upstream.port).toBe(5555);
    expect(config.journal.dir).toBe('/var/lib/pgtrail');
    expect(config.journal.durability).toBe('strict');
  });

  it('names the key, the file and the line of a bad value', () => {
    const file = configFile('listen:\n  host: 127.0.0.1\n  port: 99999\n');
    const err = failure(() => loadConfig({ file, env: {}, flags: [] }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.key).toBe('listen.port');
    expect(err.file).toBe(file);
    expect(err.line).toBe(3);
    expect(err.message).toContain('from 1 to 65535');
  });

  it('rejects an unknown key with its line, so a typo never passes silently', () => {
    const file = configFile('journal:\n  durabilty: batched\n');
    const err = failure(() => loadConfig({ file, env: {}, flags: [] }));
    expect(err.key).toBe('journal.durabilty');
    expect(err.line).toBe(2);
  });

  it('reports YAML syntax errors with a line', () => {
    const file = configFile('listen:\n  port: [1,\n');
    const err = failure(() => loadConfig({ file, env: {}, flags: [] }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.line).toBeGreaterThanOrEqual(2);
  });

  it('says in words what is wrong with the YAML, with the line and column', () => {
    const file = configFile('listen:\n  host: a: b\n');
    const err = failure(() => loadConfig({ file, env: {}, flags: [] }));
    expect(err.message).toBe('not valid YAML: nested mappings are not allowed in compact mappings');
    expect([err.line, err.column]).toEqual([2, 9]);
    expect(describeConfigError(err)).toBe(
      `config error: not valid YAML: nested mappings are not allowed in compact mappings (${file}, line 2, column 9) [CONFIG_INVALID]`,
    );
  });

  it('validates redaction rules', () => {
    const good = configFile(
      'recording:\n  redaction:\n    - name: no-params\n      user: alice\n      action: drop-params\n',
    );
    expect(loadConfig({ file: good, env: {}, flags: [] }).recording.redaction).toEqual([
      { name: 'no-params', database: null, user: 'alice', action: 'drop-params' },
    ]);
    const bad = configFile('recording:\n  redaction:\n    - name: x\n      action: shred\n');
    const err = failure(() => loadConfig({ file: bad, env: {}, flags: [] }));
    expect(err.key).toBe('recording.redaction[0].action');
    expect(err.line).toBe(4);
  });

  it('reports an unreadable file without a stack', () => {
    const err = failure(() => loadConfig({ file: '/nonexistent/pgtrail.yaml', env: {}, flags: [] }));
    expect(err.code).toBe('CONFIG_UNREADABLE');
    expect(err.message).toBe('cannot read config file: it does not exist (ENOENT)');
  });
});

describe('flag parsing', () => {
  it('reads --upstream URLs with sslmode and refuses passwords, users and databases', () => {
    expect(
      upstreamUrlOverrides('postgres://db:5433/?sslmode=verify-full&sslrootcert=/ca.pem').map((o) => [o.key, o.value]),
    ).toEqual([
      ['upstream.host', 'db'],
      ['upstream.port', '5433'],
      ['upstream.tls.mode', 'verify-full'],
      ['upstream.tls.caFile', '/ca.pem'],
    ]);
    expect(() => upstreamUrlOverrides('postgres://u:secret@db/')).toThrow(/must not carry a password/);
    expect(() => upstreamUrlOverrides('postgres://u@db/')).toThrow(/must not carry a user or database/);
    expect(() => upstreamUrlOverrides('postgres://db:5432/prod')).toThrow(/must not carry a user or database/);
    expect(upstreamUrlOverrides('postgres://db:5432').map((o) => o.key)).toEqual(['upstream.host', 'upstream.port']);
    expect(() => upstreamUrlOverrides('mysql://db/')).toThrow(ConfigError);
  });

  it('reads --listen HOST:PORT including IPv6', () => {
    expect(listenOverrides('[::1]:7000', 'listen', '--listen').map((o) => o.value)).toEqual(['::1', '7000']);
    expect(() => listenOverrides('7000', 'listen', '--listen')).toThrow(/HOST:PORT/);
  });
});
