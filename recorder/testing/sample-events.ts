/**
 * Builders of realistic TrailEvents for the journal's tests and benchmark: a session that opens,
 * runs statements (some with parameters and non-UTF-8 text) and closes.
 */
import type { StatementFinished, StatementStarted, TrailEvent } from '../events.js';

/** A statement.started event for statement `n` of `session`. */
export function statementStarted(session: string, n: number): StatementStarted {
  return {
    type: 'statement.started',
    ts: 1_764_115_200_000 + n,
    session,
    statement: n,
    user: 'app',
    role: 'app',
    protocol: 'extended',
    sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
    params: [String(n * 7919)],
    preparedName: 'P_1',
    portal: '',
    redaction: null,
  };
}

/** A statement.finished event for statement `n` of `session`. */
export function statementFinished(session: string, n: number): StatementFinished {
  return {
    type: 'statement.finished',
    ts: 1_764_115_200_001 + n,
    session,
    statement: n,
    command: 'SELECT 1',
    rows: 1,
    error: null,
    durationMs: 0.173,
    txStatus: 'I',
    resultDigest: 'f1945cd6c19e56b3c1c78943ef5ec18116907a4ca1efc40a57d48ab1db7adfc5',
    notExecuted: false,
    copy: null,
    capturedRows: null,
  };
}

/** `count` events of one session: opened, then started/finished pairs (one with invalid UTF-8 SQL), then closed. */
export function sampleSession(session: string, count: number): TrailEvent[] {
  const events: TrailEvent[] = [
    {
      type: 'session.opened',
      ts: 1_764_115_200_000,
      session,
      identity: { user: 'app', method: { kind: 'passthrough' } },
      database: 'app',
      role: 'app',
      client: { address: '127.0.0.1', port: 50432 },
      upstream: { address: '127.0.0.1', port: 5432 },
      application: 'psql',
      clientTls: null,
      upstreamTls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', clientCertSubject: null },
      backendPid: 4242,
      serverVersion: '18.1',
    },
  ];
  for (let n = 1; events.length < count - 1; n++) {
    const started = statementStarted(session, n);
    events.push(
      n === 2
        ? { ...started, sql: { base64: Buffer.from([0x53, 0x45, 0x4c, 0xff, 0xfe]).toString('base64') } }
        : started,
    );
    if (events.length < count - 1) events.push(statementFinished(session, n));
  }
  events.push({
    type: 'session.closed',
    ts: 1_764_115_300_000,
    session,
    reason: 'client_quit',
    durationMs: 100_000,
    statements: count,
  });
  return events.slice(0, count);
}
