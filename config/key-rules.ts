/**
 * How one raw configuration value (from YAML, a flag or the environment) is checked and converted.
 * A rule's type parameter is the key's type in Config, so a key's type and its validation are one
 * definition; `expected` is the end of the error message ("listen.port must be <expected>").
 */

/** What a raw value became, or what was expected instead. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

/** Converts a raw value or says what it should have been. */
export type KeyRule<T> = (raw: unknown) => Checked<T>;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = (expected: string) => ({ ok: false as const, expected });

/** A non-empty string. */
export const text: KeyRule<string> = (raw) =>
  typeof raw === 'string' && raw.length > 0 ? ok(raw) : bad('a non-empty string');

/** A file path, or null to unset it. */
export const optionalPath: KeyRule<string | null> = (raw) =>
  raw === null ? ok(null) : typeof raw === 'string' && raw.length > 0 ? ok(raw) : bad('a file path or null');

/** An optional non-empty string (null matches everything where used as a filter). */
export const optionalText: KeyRule<string | null> = optionalPath;

/** An integer within [min, max]; numeric strings (from flags and the environment) are accepted. */
export function integer(min: number, max: number): KeyRule<number> {
  return (raw) => {
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
      ? ok(n)
      : bad(`an integer from ${min} to ${max}`);
  };
}

/** A TCP port. */
export const port: KeyRule<number> = integer(1, 65535);

/** true or false; the strings 'true' and 'false' (from flags and the environment) are accepted. */
export const boolean: KeyRule<boolean> = (raw) =>
  raw === true || raw === 'true' ? ok(true) : raw === false || raw === 'false' ? ok(false) : bad('true or false');

/** true, false or 'auto' (decided where it applies); the strings 'true' and 'false' are accepted too. */
export const booleanOrAuto: KeyRule<boolean | 'auto'> = (raw) =>
  raw === 'auto' ? ok('auto') : boolean(raw).ok ? boolean(raw) : bad('true, false or auto');

/** One of a fixed set of strings; the key's type is their union. */
export function oneOf<const V extends string>(...values: readonly V[]): KeyRule<V> {
  const isOne = (raw: unknown): raw is V => typeof raw === 'string' && (values as readonly string[]).includes(raw);
  return (raw) => (isOne(raw) ? ok(raw) : bad(`one of ${values.join(', ')}`));
}

/** An http(s) URL, or null to unset it. */
export const optionalHttpUrl: KeyRule<string | null> = (raw) => {
  if (raw === null) return ok(null);
  if (typeof raw === 'string' && URL.canParse(raw) && /^https?:$/.test(new URL(raw).protocol)) return ok(raw);
  return bad('an http or https URL or null');
};

/** An http(s) URL. */
export const httpUrl: KeyRule<string> = (raw) =>
  typeof raw === 'string' && URL.canParse(raw) && /^https?:$/.test(new URL(raw).protocol)
    ? ok(raw)
    : bad('an http or https URL');

/** A ws:// or wss:// URL (a recorder service), or null to unset it. */
export const optionalWsUrl: KeyRule<string | null> = (raw) => {
  if (raw === null) return ok(null);
  if (typeof raw === 'string' && URL.canParse(raw) && /^wss?:$/.test(new URL(raw).protocol)) return ok(raw);
  return bad('a ws:// or wss:// URL or null');
};

/** A proxy's instance name (1 to 128 of A-Z a-z 0-9 . _ : @ -), or null for the default. */
export const optionalInstanceName: KeyRule<string | null> = (raw) =>
  raw === null
    ? ok(null)
    : typeof raw === 'string' && /^[A-Za-z0-9._:@-]{1,128}$/.test(raw)
      ? ok(raw)
      : bad('1 to 128 characters of A-Z a-z 0-9 . _ : @ - or null');

/** A list of non-empty strings; a single string stands for a list of one. */
export const textList: KeyRule<readonly string[]> = (raw) => {
  const items: unknown = typeof raw === 'string' ? [raw] : raw;
  return Array.isArray(items) &&
    items.length > 0 &&
    items.every((i): i is string => typeof i === 'string' && i.length > 0)
    ? ok(items)
    : bad('a non-empty string or a list of them');
};
