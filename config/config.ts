/**
 * The one frozen Config that every part of pgtrail reads, and the names of its parts. The types are
 * derived from the schema (schema.ts), where each key and its meaning is written once. Built by
 * loadConfig from, in order of precedence: command-line flags, the YAML file, the environment
 * (PGHOST/PGPORT/PGSSLMODE/PGSSLROOTCERT), the schema's defaults. docs/configuration.md documents
 * every key.
 */
import type { configSchema } from './schema.js';
import type { ValueOf } from './schema-nodes.js';

/** Everything pgtrail reads at start. */
export type Config = ValueOf<typeof configSchema>;

/** A host and port to listen on. */
export type HostPort = Config['listen'];

/** The PostgreSQL server behind pgtrail. */
export type UpstreamConfig = Config['upstream'];

/** TLS towards PostgreSQL, with libpq's sslmode meanings. */
export type UpstreamTlsConfig = UpstreamConfig['tls'];

/** TLS towards clients: certificate and key files, and whether clients may or must use it. */
export type ClientTlsConfig = Config['tls'];

/** Where and how the journal is written. */
export type JournalConfig = Config['journal'];

/** Durability of journal records, as PRODUCT.md defines. */
export type Durability = JournalConfig['durability'];

/** Scheduled pruning: records older than keepDays lose their content (0: never), checked every everyMinutes. */
export type RetentionConfig = JournalConfig['retention'];

/** Bounds that protect pgtrail and every other session from one bad client. */
export type LimitsConfig = Config['limits'];

/** What is captured beyond the statement and its outcome. */
export type RecordingConfig = Config['recording'];

/** A redaction rule, applied before anything is written. */
export type RedactionRule = RecordingConfig['redaction'][number];

/** The Prometheus endpoint (docs/metrics.md): GET /metrics on `listen` when enabled. */
export type MetricsConfig = Config['metrics'];

/** Operational logging (pino JSON on stderr). */
export type LogConfig = Config['log'];

/** Proxy-managed identity; with no users, certificates or jwt configured, identity is passthrough. */
export type IdentityConfig = Config['identity'];

/** A proxy-managed user who proves identity with a password, stored only as a SCRAM-SHA-256 verifier. */
export type IdentityUser = IdentityConfig['users'][number];

/** Client certificates as identity: verified against tls.caFile; the identity is taken from `from`. */
export type IdentityCertificateConfig = IdentityConfig['certificate'];

/** SSO tokens (JWT) presented as the password over TLS; on when issuer is set. */
export type IdentityJwtConfig = IdentityConfig['jwt'];

/** Credentials pgtrail uses upstream on behalf of identities; the user never sees them. */
export type UpstreamCredential = IdentityConfig['upstream'][number];

/** One access rule: these identities may use these databases, upstream as this credential. */
export type AccessRule = IdentityConfig['policy'][number];

/** Failed authentication attempts allowed per source address before it is refused for a while. */
export type IdentityRateLimitConfig = IdentityConfig['rateLimit'];
