/**
 * Every configuration key, defined once: its place, its rule (type, validation and the words of its
 * error) and its default. Config (config.ts) is derived from this object, loadConfig (load-config.ts)
 * checks YAML, flags and the environment against it, and the defaults come from it; keys not listed
 * here are refused, so a typo never passes silently. docs/configuration.md says what each key means
 * (a test checks that it names every key and its default).
 *
 * To add a key: add one line to its section below, `name: key(rule, default)`, with a doc comment;
 * rules are in key-rules.ts (add one there if none fits). Add a section with `section({ ... })` and
 * a list of mappings with `list({ name: required(rule), other: key(rule, default) })`. Then add a row
 * to docs/configuration.md. Nothing else: the type, the defaults and the checks follow. Checks that
 * need more than one key (e.g. jwt needs client TLS) belong to the feature that reads them.
 */
import {
  boolean,
  booleanOrAuto,
  httpUrl,
  integer,
  oneOf,
  optionalHttpUrl,
  optionalInstanceName,
  optionalPath,
  optionalWsUrl,
  optionalText,
  port,
  text,
  textList,
} from './key-rules.js';
import { key, list, required, section } from './schema-nodes.js';

/** A host and port to listen on. */
function hostPort(host: string, defaultPort: number) {
  return section({ host: key(text, host), port: key(port, defaultPort) });
}

/** The schema of pgtrail's configuration (docs/configuration.md). */
export const configSchema = section({
  /** Where clients connect. */
  listen: hostPort('127.0.0.1', 6432),
  /** The PostgreSQL server behind pgtrail. */
  upstream: section({
    host: key(text, '127.0.0.1'),
    port: key(port, 5432),
    /** TLS towards PostgreSQL, with libpq's sslmode meanings. */
    tls: section({
      mode: key(oneOf('disable', 'prefer', 'require', 'verify-ca', 'verify-full'), 'prefer'),
      caFile: key(optionalPath, null),
      /** Name to verify in verify-full (defaults to the upstream host). */
      serverName: key(optionalText, null),
    }),
    connectTimeoutMs: key(integer(1, 600_000), 10_000),
  }),
  /** TLS towards clients: certificate and key files, and whether clients may or must use it. */
  tls: section({
    /** disable: refuse SSLRequest; allow: TLS when the client asks; require: refuse plaintext sessions. */
    mode: key(oneOf('disable', 'allow', 'require'), 'allow'),
    certFile: key(optionalPath, null),
    keyFile: key(optionalPath, null),
    /** CA bundle used to verify client certificates, when certificate identities are used. */
    caFile: key(optionalPath, null),
  }),
  /** Where and how the journal is written. */
  journal: section({
    dir: key(text, './pgtrail-journal'),
    /** Durability of journal records, as PRODUCT.md defines. */
    durability: key(oneOf('strict', 'batched'), 'strict'),
    /** batched: the longest a record may wait before it is made durable. */
    batchWindowMs: key(integer(1, 10_000), 20),
    /** A checkpoint is signed after this many records ... */
    checkpointEveryRecords: key(integer(1, 100_000_000), 10_000),
    /** ... or after this long, whichever comes first; also the idle heartbeat. */
    checkpointEveryMs: key(integer(10, 86_400_000), 10_000),
    /** A segment is rotated when it would exceed this size. */
    segmentMaxBytes: key(integer(4096, 2 ** 40), 64 * 1024 * 1024),
    /** The Ed25519 signing key file; null (the default) means `<dir>/signing-key`. */
    keyFile: key(optionalPath, null),
    /** C2SP tlog-witnesses that cosign every checkpoint (docs/witnesses.md): where, and the vkey they cosign with. */
    witnesses: list({
      url: required(httpUrl),
      vkey: required(text),
    }),
    /** Scheduled pruning inside `pgtrail start` (docs/retention.md). */
    retention: section({
      /** Records older than this many days lose their content (0: never). */
      keepDays: key(integer(0, 36_500), 0),
      /** How often the schedule runs. */
      everyMinutes: key(integer(1, 10_080), 60),
      /** Keep every record of a session that had not closed by the cut-off. */
      keepSessionsOpen: key(boolean, true),
    }),
  }),
  /** Bounds that protect pgtrail and every other session from one bad client. */
  limits: section({
    /** Largest protocol message accepted from a client or the server (bytes, including the length word). */
    maxMessageBytes: key(integer(1024, 1024 * 1024 * 1024), 64 * 1024 * 1024),
    maxConnections: key(integer(1, 1_000_000), 1000),
    /** Close a session that sends nothing for this long (0 disables). */
    idleSessionTimeoutMs: key(integer(0, 2 ** 31 - 1), 0),
    /** TCP keepalive initial delay on both legs (0 disables). */
    keepaliveMs: key(integer(0, 2 ** 31 - 1), 60_000),
    /** A client must finish startup and authentication within this time. */
    startupTimeoutMs: key(integer(100, 600_000), 30_000),
    /** On SIGTERM, sessions get this long to finish before they are closed with 57P01. */
    shutdownGraceMs: key(integer(0, 600_000), 10_000),
  }),
  /** What is captured beyond the statement and its outcome. */
  recording: section({
    /** Capture the first N rows of each result for the replay view (0: off, the default). */
    captureRows: key(integer(0, 1_000_000), 0),
    /** ...and at most this many bytes of them. */
    captureBytes: key(integer(0, 1024 * 1024 * 1024), 64 * 1024),
    /**
     * Record on a worker thread: the forwarding thread only checks and copies each chunk to it
     * (docs/recording-thread.md). auto: with batched durability, local or remote journal; true: the
     * same, and refused with strict durability; false: on the forwarding thread.
     */
    thread: key(booleanOrAuto, 'auto'),
    /**
     * The recording thread's nice value (Linux: that thread's alone). Its work is off every client's
     * path with batched durability, so by default the scheduler runs forwarding, clients and
     * PostgreSQL first; it never falls more than a batch window behind (docs/recording-thread.md).
     */
    threadNice: key(integer(0, 19), 19),
    /** Redaction rules, applied before anything is written. */
    redaction: list({
      name: required(text),
      /** Match on database and/or identity; an absent field matches everything. */
      database: key(optionalText, null),
      user: key(optionalText, null),
      /** drop-params: parameter values become null; normalize-sql: literals in SQL become $n placeholders. */
      action: required(oneOf('drop-params', 'normalize-sql')),
    }),
  }),
  /** This proxy's name in session records (docs/recorder-service.md); null: its listen host:port. */
  instance: key(optionalInstanceName, null),
  /** A proxy's remote journal: the recorder service it streams its events to, instead of journal.dir. */
  recorder: section({
    /** ws:// or wss:// of `pgtrail recorder`; null: record into the local journal. */
    url: key(optionalWsUrl, null),
    /** File whose first line is the bearer token. */
    tokenFile: key(optionalPath, null),
    /** Spool of events not yet acknowledged (required with batched durability). */
    spoolDir: key(optionalPath, null),
    /** Unacknowledged bytes kept (spool or memory) before statements wait for the recorder as strict does. */
    spoolMaxBytes: key(integer(1024 * 1024, 2 ** 40), 256 * 1024 * 1024),
    /** wss: the CA of the recorder's certificate; a client certificate and key when it requires one. */
    tls: section({
      caFile: key(optionalPath, null),
      certFile: key(optionalPath, null),
      keyFile: key(optionalPath, null),
    }),
  }),
  /** `pgtrail recorder`: the journal writer as a service (docs/recorder-service.md). */
  recorderService: section({
    /** Port 0: any free port (the `recorder listening on` line names the one taken). */
    listen: section({ host: key(text, '127.0.0.1'), port: key(integer(0, 65535), 6433) }),
    /** Accepted bearer tokens, one per line. */
    tokenFile: key(optionalPath, null),
    /** wss: certificate and key (PEM); with clientCaFile, proxies must present a certificate it signed. */
    tls: section({
      certFile: key(optionalPath, null),
      keyFile: key(optionalPath, null),
      clientCaFile: key(optionalPath, null),
    }),
    /** Instance names that get their own label value in the recorder's metrics; later ones are counted as `_other`. */
    maxInstanceLabels: key(integer(0, 10_000), 100),
  }),
  /** The web viewer (docs/viewer.md): `pgtrail serve`, and the viewer of `pgtrail start` when enabled. */
  viewer: section({
    enabled: key(boolean, false),
    /** Port 0: any free port (the `viewer:` line names the one taken). */
    listen: section({ host: key(text, '127.0.0.1'), port: key(integer(0, 65535), 6480) }),
    /** A viewer session (the cookie a login token or SSO token is exchanged for) expires this long after login. */
    sessionTtlMs: key(integer(60_000, 7 * 86_400_000), 8 * 3_600_000),
    /** Where `pgtrail serve` records viewings; null: the sibling directory `<journal.dir>-viewer-audit`. */
    auditJournal: key(optionalPath, null),
  }),
  /** The Prometheus endpoint (docs/metrics.md): GET /metrics on `listen` when enabled. */
  metrics: section({
    enabled: key(boolean, false),
    listen: hostPort('127.0.0.1', 9187),
    /** Distinct (user, database) pairs that get their own label values; later ones are counted as `_other`. */
    maxUserLabels: key(integer(0, 10_000), 100),
  }),
  /** Operational logging (pino JSON on stderr). */
  log: section({
    level: key(oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'info'),
  }),
  /** Proxy-managed identity; with no users, certificates or jwt configured, identity is passthrough. */
  identity: section({
    /** Proxy-managed users who prove identity with a password, stored only as a SCRAM-SHA-256 verifier. */
    users: list({
      name: required(text),
      /** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as `pgtrail passwd` prints it. */
      verifier: required(text),
    }),
    /** Client certificates as identity: verified against tls.caFile; the identity is taken from `from`. */
    certificate: section({
      /** off: certificates prove nothing; cn: the subject CN; san-*: the first subjectAltName of that type. */
      from: key(oneOf('off', 'cn', 'san-dns', 'san-email', 'san-uri'), 'off'),
    }),
    /** SSO tokens (JWT) presented as the password over TLS; on when issuer is set. */
    jwt: section({
      issuer: key(optionalText, null),
      audience: key(optionalText, null),
      /** Exactly one of jwksFile and jwksUrl gives the issuer's public keys. */
      jwksFile: key(optionalPath, null),
      jwksUrl: key(optionalHttpUrl, null),
      /** The claim whose value is the identity (e.g. sub, email, preferred_username). */
      claim: key(text, 'sub'),
      clockSkewMs: key(integer(0, 3_600_000), 30_000),
      /** A fetch of jwksUrl is abandoned after this long. */
      jwksTimeoutMs: key(integer(100, 60_000), 5_000),
      /** Fetched keys are reused for this long before they are fetched again. */
      jwksCacheMs: key(integer(0, 86_400_000), 600_000),
    }),
    /** Credentials pgtrail uses upstream on behalf of identities; the user never sees them. */
    upstream: list({
      name: required(text),
      /** The database role pgtrail logs in as. */
      role: required(text),
      /** The password, from a file (first line) or an environment variable named here; or neither. */
      passwordFile: key(optionalPath, null),
      passwordEnv: key(optionalText, null),
      /** A client certificate and key (PEM) for the upstream TLS leg, instead of or besides a password ... */
      certFile: key(optionalPath, null),
      keyFile: key(optionalPath, null),
      /** ... or from environment variables named here. */
      certEnv: key(optionalText, null),
      keyEnv: key(optionalText, null),
    }),
    /** Access rules in order; the first that matches the identity and database decides. No match: refused. */
    policy: list({
      /** Identity names, or '*' for every authenticated identity. */
      identities: required(textList),
      /** Database names, or '*' for every database. */
      databases: required(textList),
      /** Name of an entry of identity.upstream. */
      upstream: required(text),
    }),
    /** Failed authentication attempts allowed per source address before it is refused for a while. */
    rateLimit: section({
      maxFailures: key(integer(1, 1_000_000), 10),
      windowMs: key(integer(1000, 86_400_000), 60_000),
    }),
  }),
});
