/**
 * The shape of every configuration key: its dotted name and how a raw value (from YAML, a flag or the
 * environment) is checked and converted. Keys not listed here are rejected, so a typo never passes
 * silently.
 */

/** Converts a raw value or returns why it is not acceptable. */
export type KeyRule = (raw: unknown) => { ok: true; value: unknown } | { ok: false; expected: string };

const ok = (value: unknown) => ({ ok: true as const, value });
const bad = (expected: string) => ({ ok: false as const, expected });

/** A non-empty string. */
export const text: KeyRule = (raw) => (typeof raw === 'string' && raw.length > 0 ? ok(raw) : bad('a non-empty string'));

/** A file path, or null to unset it. */
export const optionalPath: KeyRule = (raw) =>
  raw === null ? ok(null) : typeof raw === 'string' && raw.length > 0 ? ok(raw) : bad('a file path or null');

/** An optional non-empty string (null matches everything where used as a filter). */
export const optionalText: KeyRule = optionalPath;

/** An integer within [min, max]; numeric strings (from flags and the environment) are accepted. */
export function integer(min: number, max: number): KeyRule {
  return (raw) => {
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
      ? ok(n)
      : bad(`an integer from ${min} to ${max}`);
  };
}

/** A TCP port. */
export const port: KeyRule = integer(1, 65535);

/** true or false; the strings 'true' and 'false' (from flags and the environment) are accepted. */
export const yesNo: KeyRule = (raw) =>
  raw === true || raw === 'true' ? ok(true) : raw === false || raw === 'false' ? ok(false) : bad('true or false');

/** One of a fixed set of strings. */
export function oneOf(...values: readonly string[]): KeyRule {
  return (raw) => (typeof raw === 'string' && values.includes(raw) ? ok(raw) : bad(`one of ${values.join(', ')}`));
}

/** An http(s) URL, or null to unset it. */
function optionalHttpUrl(): KeyRule {
  return (raw) => {
    if (raw === null) return ok(null);
    if (typeof raw === 'string' && URL.canParse(raw) && /^https?:$/.test(new URL(raw).protocol)) return ok(raw);
    return bad('an http or https URL or null');
  };
}

/** A list of non-empty strings; a single string stands for a list of one. */
export const textList: KeyRule = (raw) => {
  const items = typeof raw === 'string' ? [raw] : raw;
  return Array.isArray(items) && items.length > 0 && items.every((i) => typeof i === 'string' && i.length > 0)
    ? ok(items)
    : bad('a non-empty string or a list of them');
};

/** Every scalar key, by its dotted path. Lists (recording.redaction) are checked in their own rule. */
export const scalarKeys: Readonly<Record<string, KeyRule>> = {
  'listen.host': text,
  'listen.port': port,
  'upstream.host': text,
  'upstream.port': port,
  'upstream.connectTimeoutMs': integer(1, 600_000),
  'upstream.tls.mode': oneOf('disable', 'prefer', 'require', 'verify-ca', 'verify-full'),
  'upstream.tls.caFile': optionalPath,
  'upstream.tls.serverName': optionalText,
  'tls.mode': oneOf('disable', 'allow', 'require'),
  'tls.certFile': optionalPath,
  'tls.keyFile': optionalPath,
  'tls.caFile': optionalPath,
  'journal.dir': text,
  'journal.durability': oneOf('strict', 'batched'),
  'journal.batchWindowMs': integer(1, 10_000),
  'journal.checkpointEveryRecords': integer(1, 100_000_000),
  'journal.checkpointEveryMs': integer(10, 86_400_000),
  'journal.segmentMaxBytes': integer(4096, 2 ** 40),
  'journal.keyFile': optionalPath,
  'limits.maxMessageBytes': integer(1024, 1024 * 1024 * 1024),
  'limits.maxConnections': integer(1, 1_000_000),
  'limits.idleSessionTimeoutMs': integer(0, 2 ** 31 - 1),
  'limits.keepaliveMs': integer(0, 2 ** 31 - 1),
  'limits.startupTimeoutMs': integer(100, 600_000),
  'limits.shutdownGraceMs': integer(0, 600_000),
  'recording.captureRows': integer(0, 1_000_000),
  'recording.captureBytes': integer(0, 1024 * 1024 * 1024),
  'viewer.listen.host': text,
  // 0: any free port (the viewer prints the one it got).
  'viewer.listen.port': integer(0, 65535),
  'viewer.enabled': yesNo,
  'viewer.sessionTtlMs': integer(60_000, 7 * 86_400_000),
  'viewer.auditJournal': optionalPath,
  'log.level': oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  'identity.certificate.from': oneOf('off', 'cn', 'san-dns', 'san-email', 'san-uri'),
  'identity.jwt.issuer': optionalText,
  'identity.jwt.audience': optionalText,
  'identity.jwt.jwksFile': optionalPath,
  'identity.jwt.jwksUrl': optionalHttpUrl(),
  'identity.jwt.claim': text,
  'identity.jwt.clockSkewMs': integer(0, 3_600_000),
  'identity.jwt.jwksTimeoutMs': integer(100, 60_000),
  'identity.jwt.jwksCacheMs': integer(0, 86_400_000),
  'identity.rateLimit.maxFailures': integer(1, 1_000_000),
  'identity.rateLimit.windowMs': integer(1000, 86_400_000),
};

/** Keys of each redaction rule in recording.redaction. */
export const redactionKeys: Readonly<Record<string, KeyRule>> = {
  name: text,
  database: optionalText,
  user: optionalText,
  action: oneOf('drop-params', 'normalize-sql'),
};

/** How the items of one list key are checked: each item's keys, their defaults, and which are required. */
export interface ListSpec {
  readonly keys: Readonly<Record<string, KeyRule>>;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly required: readonly string[];
}

/** Every key whose value is a list of mappings, by its dotted path. */
export const listKeys: Readonly<Record<string, ListSpec>> = {
  'recording.redaction': {
    keys: redactionKeys,
    defaults: { database: null, user: null },
    required: ['name', 'action'],
  },
  'identity.users': { keys: { name: text, verifier: text }, defaults: {}, required: ['name', 'verifier'] },
  'identity.upstream': {
    keys: {
      name: text,
      role: text,
      passwordFile: optionalPath,
      passwordEnv: optionalText,
      certFile: optionalPath,
      keyFile: optionalPath,
      certEnv: optionalText,
      keyEnv: optionalText,
    },
    defaults: { passwordFile: null, passwordEnv: null, certFile: null, keyFile: null, certEnv: null, keyEnv: null },
    required: ['name', 'role'],
  },
  'identity.policy': {
    keys: { identities: textList, databases: textList, upstream: text },
    defaults: {},
    required: ['identities', 'databases', 'upstream'],
  },
};
