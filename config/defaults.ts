import type { Config } from './config.js';

/** The built-in defaults, as PRODUCT.md states them (listen 127.0.0.1:6432, journal ./pgtrail-journal, strict). */
export const defaultConfig: Config = {
  listen: { host: '127.0.0.1', port: 6432 },
  upstream: {
    host: '127.0.0.1',
    port: 5432,
    tls: { mode: 'prefer', caFile: null, serverName: null },
    connectTimeoutMs: 10_000,
  },
  tls: { mode: 'allow', certFile: null, keyFile: null, caFile: null },
  journal: {
    dir: './pgtrail-journal',
    durability: 'strict',
    batchWindowMs: 20,
    checkpointEveryRecords: 10_000,
    checkpointEveryMs: 10_000,
    segmentMaxBytes: 64 * 1024 * 1024,
    keyFile: null,
  },
  limits: {
    maxMessageBytes: 64 * 1024 * 1024,
    maxConnections: 1000,
    idleSessionTimeoutMs: 0,
    keepaliveMs: 60_000,
    startupTimeoutMs: 30_000,
    shutdownGraceMs: 10_000,
  },
  recording: { captureRows: 0, captureBytes: 64 * 1024, redaction: [] },
  viewer: {
    listen: { host: '127.0.0.1', port: 6480 },
    enabled: false,
    sessionTtlMs: 8 * 3_600_000,
    auditJournal: null,
  },
  log: { level: 'info' },
  identity: {
    users: [],
    certificate: { from: 'off' },
    jwt: {
      issuer: null,
      audience: null,
      jwksFile: null,
      jwksUrl: null,
      claim: 'sub',
      clockSkewMs: 30_000,
      jwksTimeoutMs: 5_000,
      jwksCacheMs: 600_000,
    },
    upstream: [],
    policy: [],
    rateLimit: { maxFailures: 10, windowMs: 60_000 },
  },
};
