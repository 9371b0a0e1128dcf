// The schema is the one definition of every key: docs/configuration.md must name each key with the
// default the schema gives it, and its sample file must be exactly the defaults.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ConfigError } from './config-error.js';
import { defaultConfig } from './defaults.js';
import { loadConfig } from './load-config.js';
import { configSchema } from './schema.js';
import type { Fields } from './schema-nodes.js';

const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'configuration.md'), 'utf8');

/** Every key of a section with its default, by dotted path (a list key's default is []). */
function keysOf(fields: Fields, prefix = ''): [string, unknown][] {
  return Object.entries(fields).flatMap(([name, node]): [string, unknown][] => {
    const path = prefix + name;
    if (node.kind === 'section') return keysOf(node.fields, `${path}.`);
    return [[path, node.kind === 'list' ? [] : node.default]];
  });
}

test('docs/configuration.md has a row for every key, showing the schema default', () => {
  const keys = keysOf(configSchema.fields);
  expect(keys.length).toBeGreaterThan(40);
  for (const [path, value] of keys) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${path}\` `));
    expect(row, path).toBeDefined();
    const defaultCell = row?.split('|')[2] ?? '';
    expect(defaultCell, path).toContain(`\`${JSON.stringify(value).replace(/^"|"$/g, '')}\``);
  }
});

test('the sample file in docs/configuration.md loads to exactly the defaults', () => {
  const sample = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(sample).toBeDefined();
  const file = join(mkdtempSync(join(tmpdir(), 'pgtrail-config-')), 'pgtrail.yaml');
  writeFileSync(file, sample ?? '');
  expect(loadConfig({ file, env: {}, flags: [] })).toEqual(defaultConfig);
});

test('a name that only an object prototype has (toString) is an unknown key, not a section', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pgtrail-config-')), 'pgtrail.yaml');
  writeFileSync(file, 'listen:\n  toString: 1\n');
  const err = (() => {
    try {
      loadConfig({ file, env: {}, flags: [] });
    } catch (e) {
      return e;
    }
    return null;
  })();
  expect(err).toBeInstanceOf(ConfigError);
  expect(err).toMatchObject({ key: 'listen.toString', line: 2, message: 'unknown key listen.toString' });
});

test('the defaults are frozen all the way down', () => {
  expect(Object.isFrozen(defaultConfig.identity.jwt)).toBe(true);
  expect(Object.isFrozen(defaultConfig.recording.redaction)).toBe(true);
});
