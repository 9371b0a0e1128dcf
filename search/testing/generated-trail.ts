import type { TrailEvent } from '../../recorder/events.js';

/** Shape of a generated journal: how many sessions, statements per session, and the time it spans. */
export interface TrailShape {
  readonly sessions: number;
  readonly statementsPerSession: number;
  readonly startMs: number;
  /** Time between consecutive statements of the whole journal. */
  readonly stepMs: number;
  /** Sessions that run at the same time (their records interleave). */
  readonly concurrent: number;
}

const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const databases = ['app', 'billing', 'reporting'];

/**
 * A deterministic, realistic-looking stream of session and statement events for tests and the
 * search benchmark: `concurrent` sessions interleave, every 50th statement fails with 23505, and the
 * statements cycle through selects, inserts, updates, deletes and the odd DDL.
 */
export function* generateTrail(shape: TrailShape): Generator<TrailEvent> {
  let clock = shape.startMs;
  const session = (n: number) => `s${String(n).padStart(7, '0')}`;
  for (let group = 0; group < shape.sessions; group += shape.concurrent) {
    const members = Array.from({ length: Math.min(shape.concurrent, shape.sessions - group) }, (_, i) => group + i);
    for (const n of members) {
      yield {
        type: 'session.opened',
        ts: clock,
        session: session(n),
        identity: { user: users[n % users.length] as string, method: { kind: 'passthrough' } },
        database: databases[n % databases.length] as string,
        role: users[n % users.length] as string,
        client: { address: `10.0.0.${String((n % 250) + 1)}`, port: 40_000 + (n % 20_000) },
        upstream: { address: '127.0.0.1', port: 5432 },
        application: n % 2 === 0 ? 'psql' : 'billing-worker',
        clientTls: null,
        upstreamTls: null,
        backendPid: 1000 + n,
        serverVersion: '18.0',
      };
    }
    for (let k = 1; k <= shape.statementsPerSession; k++) {
      for (const n of members) {
        clock += shape.stepMs;
        const user = users[n % users.length] as string;
        const { sql, params, command, rows } = statement(n * shape.statementsPerSession + k);
        const failed = (n * shape.statementsPerSession + k) % 50 === 0;
        yield {
          type: 'statement.started',
          ts: clock,
          session: session(n),
          statement: k,
          user,
          role: user,
          protocol: params ? 'extended' : 'simple',
          sql,
          params,
          preparedName: params ? '' : null,
          portal: params ? '' : null,
          redaction: null,
        };
        yield {
          type: 'statement.finished',
          ts: clock + 0.5,
          session: session(n),
          statement: k,
          command: failed ? null : command,
          rows: failed ? null : rows,
          error: failed
            ? { code: '23505', message: 'duplicate key value violates unique constraint "orders_pkey"' }
            : null,
          durationMs: 0.5,
          txStatus: 'I',
          resultDigest: rows > 0 && !failed ? 'ab'.repeat(32) : null,
          notExecuted: false,
          copy: null,
          capturedRows: null,
        };
      }
    }
    for (const n of members) {
      clock += shape.stepMs;
      yield {
        type: 'session.closed',
        ts: clock,
        session: session(n),
        reason: 'client_quit',
        durationMs: 0,
        statements: shape.statementsPerSession,
      };
    }
  }
}

function statement(i: number): { sql: string; params: string[] | null; command: string; rows: number } {
  switch (i % 10) {
    case 0:
      return {
        sql: `insert into orders (id, customer, total) values ($1, $2, $3)`,
        params: [String(i), `c${i % 977}`, '12.50'],
        command: 'INSERT 0 1',
        rows: 1,
      };
    case 1:
      return {
        sql: `update accounts set balance = balance - $1 where id = $2`,
        params: ['5', String(i % 1000)],
        command: 'UPDATE 1',
        rows: 1,
      };
    case 2:
      return {
        sql: `delete from sessions where expires_at < now() - interval '1 day'`,
        params: null,
        command: 'DELETE 3',
        rows: 3,
      };
    case 3:
      return i % 1000 === 3
        ? {
            sql: `create index concurrently if not exists orders_c${i} on orders (customer)`,
            params: null,
            command: 'CREATE INDEX',
            rows: 0,
          }
        : {
            sql: `select count(*) from orders where customer = 'c${i % 977}'`,
            params: null,
            command: 'SELECT 1',
            rows: 1,
          };
    default:
      return {
        sql: `select id, total from orders where customer = $1 order by id limit 20`,
        params: [`c${i % 977}`],
        command: 'SELECT 20',
        rows: 20,
      };
  }
}
