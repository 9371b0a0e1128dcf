import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import { defaultConfig } from './defaults.js';
import { listKeys, scalarKeys, type ListSpec } from './schema.js';

/** A value set from outside the file: a command-line flag or an environment variable. */
export interface Override {
  readonly key: string;
  readonly value: unknown;
  /** How to name it in an error, e.g. 'flag --listen' or 'environment PGPORT'. */
  readonly source: string;
}

/** Inputs to loadConfig; only bin/ reads argv and process.env and passes them here. */
export interface ConfigSources {
  readonly file: string | null;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: readonly Override[];
}

/** Largest config file accepted. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Builds the frozen Config: defaults, then environment, then the YAML file, then flags.
 * Throws ConfigError naming the key, file and line of the first problem.
 */
export function loadConfig(sources: ConfigSources): Config {
  const config = structuredClone(defaultConfig) as unknown as Record<string, unknown>;
  for (const o of envOverrides(sources.env)) apply(config, o.key, o.value, o.source, null, null);
  if (sources.file !== null) applyFile(config, sources.file);
  for (const o of sources.flags) apply(config, o.key, o.value, o.source, null, null);
  return deepFreeze(config) as unknown as Config;
}

/** The standard libpq variables pgtrail honours for its upstream. */
function envOverrides(env: Readonly<Record<string, string | undefined>>): Override[] {
  const out: Override[] = [];
  if (env.PGHOST && !env.PGHOST.startsWith('/'))
    out.push({ key: 'upstream.host', value: env.PGHOST, source: 'environment PGHOST' });
  if (env.PGPORT) out.push({ key: 'upstream.port', value: env.PGPORT, source: 'environment PGPORT' });
  if (env.PGSSLMODE && env.PGSSLMODE !== 'allow')
    out.push({ key: 'upstream.tls.mode', value: env.PGSSLMODE, source: 'environment PGSSLMODE' });
  if (env.PGSSLROOTCERT)
    out.push({ key: 'upstream.tls.caFile', value: env.PGSSLROOTCERT, source: 'environment PGSSLROOTCERT' });
  return out;
}

function applyFile(config: Record<string, unknown>, file: string): void {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        'CONFIG_UNREADABLE',
        `config file is larger than ${MAX_CONFIG_BYTES} bytes`,
        null,
        file,
        null,
      );
    }
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      null,
      file,
      null,
      { cause: err },
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lines.linePos(firstError.pos[0]).line;
    throw new ConfigError('CONFIG_INVALID', `not valid YAML: ${firstError.code.toLowerCase()}`, null, file, line);
  }
  const lineOf = (node: YamlNode | null | undefined): number | null =>
    node?.range ? lines.linePos(node.range[0]).line : null;
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'the top level must be a mapping of keys',
      null,
      file,
      lineOf(doc.contents),
    );
  }
  walk(doc.contents, '', config, file, lineOf);
}

function walk(
  node: YamlNode,
  prefix: string,
  config: Record<string, unknown>,
  file: string,
  lineOf: (n: YamlNode | null | undefined) => number | null,
): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const keyNode = pair.key as YamlNode | null;
    const keyName = isScalar(keyNode) ? String(keyNode.value) : null;
    const line = lineOf(keyNode);
    if (keyName === null)
      throw new ConfigError('CONFIG_INVALID', 'keys must be plain names', prefix || null, file, line);
    const key = prefix ? `${prefix}.${keyName}` : keyName;
    const value = pair.value as YamlNode | null;
    const list = listKeys[key];
    if (list) {
      setPath(config, key, listItems(key, list, value, file, lineOf));
      continue;
    }
    if (scalarKeys[key]) {
      if (isMap(value) || isSeq(value))
        throw new ConfigError('CONFIG_INVALID', `key ${key} takes a single value`, key, file, line);
      apply(config, key, isScalar(value) ? value.value : null, `config file`, file, lineOf(value) ?? line);
      continue;
    }
    const isSection = [...Object.keys(scalarKeys), ...Object.keys(listKeys)].some((k) => k.startsWith(`${key}.`));
    if (!isSection) throw new ConfigError('CONFIG_INVALID', `unknown key ${key}`, key, file, line);
    if (!isMap(value)) throw new ConfigError('CONFIG_INVALID', `key ${key} must be a mapping`, key, file, line);
    walk(value, key, config, file, lineOf);
  }
}

function listItems(
  key: string,
  spec: ListSpec,
  node: YamlNode | null,
  file: string,
  lineOf: (n: YamlNode | null | undefined) => number | null,
): unknown[] {
  if (!isSeq(node)) throw new ConfigError('CONFIG_INVALID', `key ${key} must be a list`, key, file, lineOf(node));
  return node.items.map((item, i) => {
    const at = `${key}[${i}]`;
    if (!isMap(item))
      throw new ConfigError('CONFIG_INVALID', `${at} must be a mapping`, at, file, lineOf(item as YamlNode));
    const entry: Record<string, unknown> = { ...spec.defaults };
    for (const pair of item.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      const check = spec.keys[k];
      const line = lineOf(pair.key as YamlNode);
      if (!check) throw new ConfigError('CONFIG_INVALID', `unknown key ${at}.${k}`, `${at}.${k}`, file, line);
      // A list of plain values (e.g. identities: [alice, bob]) is passed on as an array.
      const raw = isScalar(pair.value)
        ? pair.value.value
        : isSeq(pair.value) && pair.value.items.every(isScalar)
          ? pair.value.toJSON()
          : undefined;
      const result = check(raw);
      if (!result.ok)
        throw new ConfigError('CONFIG_INVALID', `${at}.${k} must be ${result.expected}`, `${at}.${k}`, file, line);
      entry[k] = result.value;
    }
    for (const required of spec.required) {
      if (entry[required] === undefined)
        throw new ConfigError('CONFIG_INVALID', `${at} needs ${required}`, at, file, lineOf(item));
    }
    return entry;
  });
}

function apply(
  config: Record<string, unknown>,
  key: string,
  raw: unknown,
  source: string,
  file: string | null,
  line: number | null,
): void {
  const check = scalarKeys[key];
  if (!check) throw new ConfigError('CONFIG_INVALID', `unknown key ${key} (${source})`, key, file, line);
  const result = check(raw);
  if (!result.ok) {
    const where = file === null ? ` (${source})` : '';
    throw new ConfigError(
      file === null ? 'CONFIG_FLAG_INVALID' : 'CONFIG_INVALID',
      `${key} must be ${result.expected}${where}`,
      key,
      file,
      line,
    );
  }
  setPath(config, key, result.value);
}

function setPath(config: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let target = config;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  target[parts[parts.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Formats a ConfigError as the one line pgtrail prints before exiting 2. */
export function describeConfigError(err: ConfigError): string {
  const where = [err.file, err.line === null ? null : `line ${err.line}`].filter((x) => x !== null).join(':');
  return `pgtrail: config error: ${err.message}${where ? ` (${where})` : ''}`;
}
