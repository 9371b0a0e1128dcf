import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap, type Node as YamlNode } from 'yaml';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import { configSchema } from './schema.js';
import { type Fields, type ItemFields, keyAt } from './schema-nodes.js';
import { Settings } from './settings.js';

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
  const settings = new Settings();
  for (const o of envOverrides(sources.env)) applyOverride(settings, o);
  if (sources.file !== null) applyFile(settings, sources.file);
  for (const o of sources.flags) applyOverride(settings, o);
  return configSchema.resolve('', settings);
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

function applyOverride(settings: Settings, o: Override): void {
  const key = keyAt(configSchema, o.key);
  if (key === undefined)
    throw new ConfigError('CONFIG_INVALID', `unknown key ${o.key} (${o.source})`, o.key, null, null);
  settings.set(o.key, key.rule, { raw: o.value, source: o.source, file: null, line: null });
}

function applyFile(settings: Settings, file: string): void {
  const text = readConfigFile(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    // The yaml package says what is wrong in words ("Nested mappings are not allowed in compact
    // mappings"); its code (BLOCK_AS_IMPLICIT_KEY) means nothing to someone editing the file.
    const { line, col } = lines.linePos(firstError.pos[0]);
    const words = firstError.message.split('\n')[0] ?? firstError.code;
    const message = `not valid YAML: ${words.charAt(0).toLowerCase()}${words.slice(1)}`;
    throw new ConfigError('CONFIG_INVALID', message, null, file, line, { column: col });
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
  new FileWalk(settings, file, lineOf).section(doc.contents, configSchema.fields, '');
}

function readConfigFile(file: string): string {
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
    return buf.toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const words = unreadableWords[code];
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `cannot read config file: ${words === undefined ? code : `${words} (${code})`}`,
      null,
      file,
      null,
      { cause: err },
    );
  }
}

/** Why a config file cannot be read, for the errno codes a person can act on. */
const unreadableWords: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of its path is not a directory',
};

/** Walks the YAML mapping beside the schema, in file order, so the first problem reported is the first in the file. */
class FileWalk {
  constructor(
    private readonly settings: Settings,
    private readonly file: string,
    private readonly lineOf: (n: YamlNode | null | undefined) => number | null,
  ) {}

  section(node: YAMLMap, fields: Fields, prefix: string): void {
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const keyName = isScalar(keyNode) ? String(keyNode.value) : null;
      const line = this.lineOf(keyNode);
      if (keyName === null) throw this.invalid('keys must be plain names', prefix || null, line);
      const path = prefix ? `${prefix}.${keyName}` : keyName;
      const value = pair.value as YamlNode | null;
      const field = Object.hasOwn(fields, keyName) ? fields[keyName] : undefined;
      if (field === undefined) throw this.invalid(`unknown key ${path}`, path, line);
      if (field.kind === 'list') {
        this.list(value, field.item, path);
      } else if (field.kind === 'key') {
        if (isMap(value) || isSeq(value)) throw this.invalid(`key ${path} takes a single value`, path, line);
        const raw = isScalar(value) ? value.value : null;
        this.settings.set(path, field.rule, {
          raw,
          source: 'config file',
          file: this.file,
          line: this.lineOf(value) ?? line,
        });
      } else {
        if (!isMap(value)) throw this.invalid(`key ${path} must be a mapping`, path, line);
        this.section(value, field.fields, path);
      }
    }
  }

  private list(node: YamlNode | null, item: ItemFields, path: string): void {
    if (!isSeq(node)) throw this.invalid(`key ${path} must be a list`, path, this.lineOf(node));
    node.items.forEach((entry, i) => {
      const at = `${path}[${i}]`;
      if (!isMap(entry)) throw this.invalid(`${at} must be a mapping`, at, this.lineOf(entry as YamlNode));
      for (const pair of entry.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : '';
        const field = Object.hasOwn(item, k) ? item[k] : undefined;
        const line = this.lineOf(pair.key as YamlNode);
        if (field === undefined) throw this.invalid(`unknown key ${at}.${k}`, `${at}.${k}`, line);
        // A list of plain values (e.g. identities: [alice, bob]) is passed on as an array.
        const raw = isScalar(pair.value)
          ? pair.value.value
          : isSeq(pair.value) && pair.value.items.every(isScalar)
            ? pair.value.toJSON()
            : undefined;
        this.settings.set(`${at}.${k}`, field.rule, { raw, source: 'config file', file: this.file, line });
      }
      for (const [k, field] of Object.entries(item)) {
        if (field.kind === 'required' && this.settings.setting(`${at}.${k}`) === undefined)
          throw this.invalid(`${at} needs ${k}`, at, this.lineOf(entry));
      }
    });
    this.settings.setItemCount(path, node.items.length);
  }

  private invalid(message: string, key: string | null, line: number | null): ConfigError {
    return new ConfigError('CONFIG_INVALID', message, key, this.file, line);
  }
}

/**
 * A ConfigError as the line pgtrail prints before exiting 2, after `pgtrail COMMAND: `:
 * `config error: MESSAGE (FILE, line L, column C) [CODE]`.
 */
export function describeConfigError(err: ConfigError): string {
  const where = [
    err.file,
    err.line === null ? null : `line ${err.line}`,
    err.line === null || err.column === null ? null : `column ${err.column}`,
  ].filter((x) => x !== null);
  return `config error: ${err.message}${where.length > 0 ? ` (${where.join(', ')})` : ''} [${err.code}]`;
}
