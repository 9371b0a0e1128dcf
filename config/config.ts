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
  /** The Ed25519 signing key file; null (the default) means `<dir>/signing-key`. */
  readonly keyFile?: string | null;
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
  /** Whether `pgtrail start` serves the viewer over its own journal. */
  readonly enabled: boolean;
  /** How long a viewer session lasts after login. */
  readonly sessionTtlMs: number;
  /** Where `pgtrail serve` records viewings; null: the journal directory's sibling `<dir>-viewer-audit`. */
  readonly auditJournal: string | null;
}

/** Operational logging (pino JSON on stderr). */
export interface LogConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** A proxy-managed user who proves identity with a password, stored only as a SCRAM-SHA-256 verifier. */
export interface IdentityUser {
  readonly name: string;
  /** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as `pgtrail passwd` prints it. */
  readonly verifier: string;
}

/** Client certificates as identity: verified against tls.caFile; the identity is taken from `from`. */
export interface IdentityCertificateConfig {
  /** off: certificates prove nothing; cn: the subject CN; san-*: the first subjectAltName of that type. */
  readonly from: 'off' | 'cn' | 'san-dns' | 'san-email' | 'san-uri';
}

/** SSO tokens (JWT) presented as the password over TLS; on when issuer is set. */
export interface IdentityJwtConfig {
  readonly issuer: string | null;
  readonly audience: string | null;
  /** Exactly one of jwksFile and jwksUrl gives the issuer's public keys. */
  readonly jwksFile: string | null;
  readonly jwksUrl: string | null;
  /** The claim whose value is the identity (e.g. sub, email, preferred_username). */
  readonly claim: string;
  readonly clockSkewMs: number;
  /** A fetch of jwksUrl is abandoned after this long. */
  readonly jwksTimeoutMs: number;
  /** Fetched keys are reused for this long before they are fetched again. */
  readonly jwksCacheMs: number;
}

/** Credentials pgtrail uses upstream on behalf of identities; the user never sees them. */
export interface UpstreamCredential {
  readonly name: string;
  /** The database role pgtrail logs in as. */
  readonly role: string;
  /** The password, from a file (first line) or an environment variable named here; or neither. */
  readonly passwordFile: string | null;
  readonly passwordEnv: string | null;
  /** A client certificate and key (PEM) for the upstream TLS leg, instead of or besides a password ... */
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** ... or from environment variables named here. */
  readonly certEnv: string | null;
  readonly keyEnv: string | null;
}

/** One access rule: these identities may use these databases, upstream as this credential. */
export interface AccessRule {
  /** Identity names, or '*' for every authenticated identity. */
  readonly identities: readonly string[];
  /** Database names, or '*' for every database. */
  readonly databases: readonly string[];
  /** Name of an entry of identity.upstream. */
  readonly upstream: string;
}

/** Failed authentication attempts allowed per source address before it is refused for a while. */
export interface IdentityRateLimitConfig {
  readonly maxFailures: number;
  readonly windowMs: number;
}

/** Proxy-managed identity; with no users, certificates or jwt configured, identity is passthrough. */
export interface IdentityConfig {
  readonly users: readonly IdentityUser[];
  readonly certificate: IdentityCertificateConfig;
  readonly jwt: IdentityJwtConfig;
  readonly upstream: readonly UpstreamCredential[];
  /** Rules in order; the first that matches the identity and database decides. No match: refused. */
  readonly policy: readonly AccessRule[];
  readonly rateLimit: IdentityRateLimitConfig;
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
  readonly identity: IdentityConfig;
}
