/**
 * The pieces config/schema.ts is built from: a key (a rule and a default), a required key (in list
 * items), a section (a mapping of named pieces) and a list of mappings. Each piece knows its own
 * value type, so Config is derived from the schema (ValueOf) instead of being written beside it, and
 * each piece makes its own value from the settings that loadConfig collected (resolve).
 */
import type { KeyRule } from './key-rules.js';

/** One value set from outside the defaults, with where it came from for error messages. */
export interface Setting {
  readonly raw: unknown;
  /** How to name it in an error, e.g. 'config file', 'flag --listen' or 'environment PGPORT'. */
  readonly source: string;
  readonly file: string | null;
  readonly line: number | null;
}

/** The values collected for a configuration, by dotted path (list items as `path[i].key`). */
export interface SettingStore {
  /** The value set for a key, or undefined when it keeps its default. */
  setting(path: string): Setting | undefined;
  /** How many items a list key was given, or undefined when it keeps its default (none). */
  itemCount(path: string): number | undefined;
  /** Throws the error for a value its key's rule refuses. */
  refuse(path: string, setting: Setting, expected: string): never;
  /** Throws the error for a required key of a list item that was not given. */
  missing(path: string): never;
}

/** A key that takes one value, with its default. */
export interface Key<T> {
  readonly kind: 'key';
  readonly rule: KeyRule<T>;
  readonly default: T;
  resolve(path: string, store: SettingStore): T;
}

/** A key of a list item that has no default: each item must give it. */
export interface RequiredKey<T> {
  readonly kind: 'required';
  readonly rule: KeyRule<T>;
  resolve(path: string, store: SettingStore): T;
}

/** The pieces of a section, by name. */
export interface Fields {
  readonly [name: string]: Key<unknown> | Section<Fields> | ListKey<ItemFields>;
}

/** The keys of a list item, by name. */
export interface ItemFields {
  readonly [name: string]: Key<unknown> | RequiredKey<unknown>;
}

/** A mapping of named pieces. */
export interface Section<F extends Fields> {
  readonly kind: 'section';
  readonly fields: F;
  resolve(path: string, store: SettingStore): SectionValue<F>;
}

/** A key whose value is a list of mappings with the same keys; its default is the empty list. */
export interface ListKey<F extends ItemFields> {
  readonly kind: 'list';
  readonly item: F;
  resolve(path: string, store: SettingStore): readonly SectionValue<F>[];
}

/** Any piece of a schema. */
export type SchemaNode = Fields[string] | ItemFields[string];

/** The value type of a piece: what Config holds there. */
export type ValueOf<N> =
  N extends Key<infer T>
    ? T
    : N extends RequiredKey<infer T>
      ? T
      : N extends Section<infer F>
        ? SectionValue<F>
        : N extends ListKey<infer F>
          ? readonly SectionValue<F>[]
          : never;

/** The value of a section or list item: each field's value under its name, read-only. */
export type SectionValue<F> = { readonly [K in keyof F]: ValueOf<F[K]> };

/** A key with this rule and this default (the default is not checked by the rule: it is ours). */
export function key<T>(rule: KeyRule<T>, defaultValue: NoInfer<T>): Key<T> {
  return {
    kind: 'key',
    rule,
    default: defaultValue,
    resolve(path, store) {
      const setting = store.setting(path);
      if (setting === undefined) return defaultValue;
      const checked = rule(setting.raw);
      return checked.ok ? checked.value : store.refuse(path, setting, checked.expected);
    },
  };
}

/** A key that every item of a list must give. */
export function required<T>(rule: KeyRule<T>): RequiredKey<T> {
  return {
    kind: 'required',
    rule,
    resolve(path, store) {
      const setting = store.setting(path);
      if (setting === undefined) return store.missing(path);
      const checked = rule(setting.raw);
      return checked.ok ? checked.value : store.refuse(path, setting, checked.expected);
    },
  };
}

/** A section of named pieces. */
export function section<F extends Fields>(fields: F): Section<F> {
  return { kind: 'section', fields, resolve: (path, store) => resolveFields(fields, path, store) };
}

/** A list of mappings, each with these keys. */
export function list<F extends ItemFields>(item: F): ListKey<F> {
  return {
    kind: 'list',
    item,
    resolve(path, store) {
      const count = store.itemCount(path) ?? 0;
      return Object.freeze(Array.from({ length: count }, (_, i) => resolveFields(item, `${path}[${i}]`, store)));
    },
  };
}

function resolveFields<F extends Fields | ItemFields>(fields: F, path: string, store: SettingStore): SectionValue<F> {
  const value: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields))
    value[name] = field.resolve(path ? `${path}.${name}` : name, store);
  // The schema's one cast: TypeScript cannot follow a loop over the keys of F, but each member was
  // just made by its own field's typed resolve, which is what SectionValue<F> says it is.
  return Object.freeze(value) as SectionValue<F>;
}

/** The single-value key at a dotted path (e.g. 'upstream.tls.mode'), or undefined when there is none. */
export function keyAt(root: Section<Fields>, path: string): Key<unknown> | undefined {
  let fields: Fields = root.fields;
  const names = path.split('.');
  for (const [i, name] of names.entries()) {
    const node = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (node === undefined) return undefined;
    if (i === names.length - 1) return node.kind === 'key' ? node : undefined;
    if (node.kind !== 'section') return undefined;
    fields = node.fields;
  }
  return undefined;
}
