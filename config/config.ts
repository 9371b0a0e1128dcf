/**
 * The one frozen Config that every part of pgtrail reads. Built by loadConfig from, in order of
 * precedence: command-line flags, the YAML file, the environment (PGHOST/PGPORT), built-in defaults.
 * docs/configuration.md documents every key.
 */

/** A host and port to listen on or connect to. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** TLS towards clients: certificate and key files, and whether clients may or must use it. */
export interface ClientTlsConfig {
  /** disable: refuse SSLRequest; allow: TLS when the client asks; require: refuse plaintext sessions. */
  readonly mode: 'disable' | 'allow' | 'require';
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** CA bundle used to verify client certificates, when certificate identities are used. */
  readonly caFile: string | null;
}

/** TLS towards PostgreSQL, with libpq's sslmode meanings. */
export interface UpstreamTlsConfig {
  readonly mode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  readonly caFile: string | null;
  /** Name to verify in verify-full (defaults to the upstream host). */
  readonly serverName: string | null;
}

/** The PostgreSQL server behind pgtrail. */
export interface UpstreamConfig extends HostPort {
  readonly tls: UpstreamTlsConfig;
  readonly connectTimeoutMs: number;
}

/** Durability of journal records, as PRODUCT.md defines. */
export type Durability = 'strict' | 'batched';

/** Where and how the journal is written. */
export interface JournalConfig {
  readonly dir: string;
  readonly durability: Durability;
  /** batched: the longest a record may wait before it is made durable. */
  readonly batchWindowMs: number;
  /** A checkpoint is signed after this many records ... */
  readonly checkpointEveryRecords: number;
  /** ... or after this long, whichever comes first; also the idle heartbeat. */
  readonly checkpointEveryMs: number;
  /** A segment is rotated when it would exceed this size. */
  readonly segmentMaxBytes: number;
}

/** Bounds that protect pgtrail and every other session from one bad client. */
export interface LimitsConfig {
  /** Largest protocol message accepted from a client or the server (bytes, including the length word). */
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  /** Close a session that sends nothing for this long (0 disables). */
  readonly idleSessionTimeoutMs: number;
  /** TCP keepalive initial delay on both legs (0 disables). */
  readonly keepaliveMs: number;
  /** A client must finish startup and authentication within this time. */
  readonly startupTimeoutMs: number;
  /** On SIGTERM, sessions get this long to finish before they are closed with 57P01. */
  readonly shutdownGraceMs: number;
}

/** What is captured beyond the statement and its outcome. */
export interface RecordingConfig {
  /** Capture the first N rows of each result for the replay view (0: off, the default). */
  readonly captureRows: number;
  /** ...and at most this many bytes of them. */
  readonly captureBytes: number;
  readonly redaction: readonly RedactionRule[];
}

/** A redaction rule, applied before anything is written. */
export interface RedactionRule {
  readonly name: string;
  /** Match on database and/or identity; an absent field matches everything. */
  readonly database: string | null;
  readonly user: string | null;
  /** drop-params: parameter values become null; normalize-sql: literals in SQL become $n placeholders. */
  readonly action: 'drop-params' | 'normalize-sql';
}

/** The web viewer. */
export interface ViewerConfig {
  readonly listen: HostPort;
}

/** Operational logging (pino JSON on stderr). */
export interface LogConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Everything pgtrail reads at start. */
export interface Config {
  readonly listen: HostPort;
  readonly upstream: UpstreamConfig;
  readonly tls: ClientTlsConfig;
  readonly journal: JournalConfig;
  readonly limits: LimitsConfig;
  readonly recording: RecordingConfig;
  readonly viewer: ViewerConfig;
  readonly log: LogConfig;
}
