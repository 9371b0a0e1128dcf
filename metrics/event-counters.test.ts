import { describe, expect, it } from 'vitest';
import type { TrailEvent } from '../recorder/events.js';
import { EventCounters, otherLabel } from './event-counters.js';

const peer = { address: '127.0.0.1', port: 1 };
function opened(session: string, user: string, database: string): TrailEvent {
  return {
    type: 'session.opened',
    ts: 1,
    session,
    identity: { user, method: { kind: 'password' } },
    database,
    role: user,
    client: peer,
    upstream: peer,
    application: '',
    clientTls: null,
    upstreamTls: null,
    backendPid: 1,
    serverVersion: '18',
  };
}
function started(session: string, sql: string): TrailEvent {
  return {
    type: 'statement.started',
    ts: 1,
    session,
    statement: 1,
    user: 'u',
    role: 'u',
    protocol: 'simple',
    sql,
    params: null,
    preparedName: null,
    portal: null,
    redaction: null,
  };
}
function finished(session: string, command: string | null, error = false): TrailEvent {
  return {
    type: 'statement.finished',
    ts: 2,
    session,
    statement: 1,
    command,
    rows: null,
    error: error ? { code: '42P01', message: 'x' } : null,
    durationMs: 1.5,
    txStatus: 'I',
    resultDigest: null,
    notExecuted: false,
    copy: null,
    capturedRows: null,
  };
}

describe('EventCounters', () => {
  it('takes the kind from the tag, else from the SQL of the statement started in that session', () => {
    const seconds: number[] = [];
    const c = new EventCounters(10, (s) => seconds.push(s));
    c.observe(opened('s1', 'alice', 'db'));
    c.observe(started('s1', 'DELETE FROM t'));
    c.observe(finished('s1', null, true));
    c.observe(started('s1', 'select 1'));
    c.observe(finished('s1', 'UPDATE 3'));
    expect(c.statementCount('delete', 'error')).toBe(1);
    expect(c.statementCount('update', 'ok')).toBe(1);
    expect(c.statements.reduce((a, b) => a + b)).toBe(2);
    expect(seconds).toEqual([0.0015, 0.0015]);
    expect(c.sessions.get('password\tok')).toBe(1);
    expect(c.openSessions).toBe(1);
    c.observe(started('s1', 'prepare transaction $$x$$'));
    c.observe(finished('s1', 'PREPARE TRANSACTION'));
    c.observe(started('s1', 'prepare q as select 1'));
    c.observe(finished('s1', 'PREPARE'));
    expect(c.statementCount('transaction', 'ok')).toBe(1);
    expect(c.statementCount('other', 'ok')).toBe(1);
    c.observe({ type: 'session.closed', ts: 3, session: 's1', reason: 'client_quit', durationMs: 2, statements: 2 });
    expect(c.openSessions).toBe(0);
  });

  it('gives at most maxUserLabels (user, database) pairs their own labels; the rest share _other', () => {
    const c = new EventCounters(2, () => {});
    for (const [i, user] of ['a', 'b', 'c', 'd', 'a'].entries()) {
      c.observe(opened(`s${i}`, user, 'db'));
      c.observe(started(`s${i}`, 'select 1'));
      c.observe(finished(`s${i}`, 'SELECT 1'));
    }
    expect(c.userSlots).toEqual([
      { user: 'a', database: 'db', statements: 2 },
      { user: 'b', database: 'db', statements: 1 },
      { user: otherLabel, database: otherLabel, statements: 2 },
    ]);
  });

  it('counts a failed authentication by SQLSTATE class: 28 failed, anything else refused', () => {
    const c = new EventCounters(2, () => {});
    for (const code of ['28P01', '53300']) {
      c.observe({
        type: 'session.auth_failed',
        ts: 1,
        session: 's',
        user: 'u',
        database: 'd',
        client: peer,
        application: '',
        code,
        reason: 'r',
        method: code === '53300' ? null : 'passthrough',
      });
    }
    expect([...c.sessions]).toEqual([
      ['unknown\tfailed', 1],
      ['unknown\trefused', 1],
    ]);
  });
});
