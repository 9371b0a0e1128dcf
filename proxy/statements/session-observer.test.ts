import { createHash } from 'node:crypto';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import type { StatementFinished, StatementStarted, TrailEvent } from '../../recorder/events.js';
import { observe } from './testing/observer-harness.js';
import { BackendCode as T } from '../protocol/message-codes.js';
import { serverBody as b } from './testing/server-frames.js';

const sha256 = (...bodies: Buffer[]): string => {
  const h = createHash('sha256');
  for (const body of bodies) h.update(body);
  return h.digest('hex');
};

const started = (events: TrailEvent[]): StatementStarted[] =>
  events.filter((e): e is StatementStarted => e.type === 'statement.started');
const finished = (events: TrailEvent[]): StatementFinished[] =>
  events.filter((e): e is StatementFinished => e.type === 'statement.finished');

describe('simple Query', () => {
  it('records one statement with its tag, rows, digest, duration and transaction status', () => {
    const o = observe();
    const row1 = b.dataRow(['1', 'a']);
    const row2 = b.dataRow([null, 'b']);
    expect(o.client(serialize.query('SELECT * FROM t'))).toEqual([null]);
    o.server(
      T.RowDescription,
      b.rowDescription([
        { name: 'x', typeOid: 23 },
        { name: 'y', typeOid: 25 },
      ]),
    );
    o.dataRow(row1);
    o.dataRow(row2);
    o.server(T.CommandComplete, b.commandComplete('SELECT 2'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(o.sink.events).toEqual([
      {
        type: 'statement.started',
        ts: 1000,
        session: 's1',
        statement: 1,
        user: 'alice',
        role: 'alice',
        protocol: 'simple',
        sql: 'SELECT * FROM t',
        params: null,
        preparedName: null,
        portal: null,
        redaction: null,
      },
      {
        type: 'statement.finished',
        ts: 1001,
        session: 's1',
        statement: 1,
        command: 'SELECT 2',
        rows: 2,
        error: null,
        durationMs: 1,
        txStatus: 'I',
        resultDigest: sha256(row1, row2),
        notExecuted: false,
        copy: null,
        capturedRows: null,
      },
    ]);
    expect(o.observer.statementCount).toBe(1);
    expect(o.errors).toEqual([]);
  });

  it('gives each statement of a multi-statement string its own record; after an error the rest are not executed', () => {
    const o = observe();
    o.client(serialize.query("INSERT INTO t VALUES (1); SELECT 'x;y'; SELECT 1/0; UPDATE t SET a = 2"));
    o.server(T.CommandComplete, b.commandComplete('INSERT 0 1'));
    o.server(T.RowDescription, b.rowDescription([{ name: '?column?', typeOid: 25 }]));
    const row = b.dataRow(['x;y']);
    o.dataRow(row);
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ErrorResponse, b.error('22012', 'division by zero'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events).map((e) => [e.statement, e.sql])).toEqual([
      [1, 'INSERT INTO t VALUES (1)'],
      [2, "SELECT 'x;y'"],
      [3, 'SELECT 1/0'],
      [4, 'UPDATE t SET a = 2'],
    ]);
    expect(
      finished(o.sink.events).map((e) => [
        e.statement,
        e.command,
        e.rows,
        e.error,
        e.notExecuted,
        e.txStatus,
        e.resultDigest,
      ]),
    ).toEqual([
      [1, 'INSERT 0 1', 1, null, false, 'I', null],
      [2, 'SELECT 1', 1, null, false, 'I', sha256(row)],
      [3, null, null, { code: '22012', message: 'division by zero' }, false, 'I', null],
      [4, null, null, null, true, 'I', null],
    ]);
  });

  it('splits by the standard_conforming_strings the server reported', () => {
    const o = observe();
    o.server(T.ParameterStatus, b.parameterStatus('standard_conforming_strings', 'off'));
    o.client(serialize.query(`SELECT 'a\\';b'; SELECT 2`));
    expect(started(o.sink.events).map((e) => e.sql)).toEqual([`SELECT 'a\\';b'`, 'SELECT 2']);
  });

  it('records an empty query string as one statement with no command', () => {
    const o = observe();
    o.client(serialize.query(' ; '));
    o.server(T.EmptyQueryResponse);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events).map((e) => e.sql)).toEqual([' ; ']);
    expect(finished(o.sink.events).map((e) => [e.command, e.rows, e.notExecuted])).toEqual([[null, null, false]]);
  });

  it('records SQL that is not valid UTF-8 as base64', () => {
    const o = observe();
    const query = Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xe9]), Buffer.from("'")]);
    const frame = Buffer.concat([Buffer.from('Q'), Buffer.alloc(4), query, Buffer.from([0])]);
    frame.writeInt32BE(frame.length - 1, 1);
    o.client(frame);
    expect(started(o.sink.events)[0]?.sql).toEqual({ base64: query.toString('base64') });
  });

  it('computes the digest over every row whether the result is small (hashed at the end) or large (streamed)', () => {
    // Results up to 4 KiB are collected and hashed once; past that the digest streams: cross the boundary.
    for (const count of [1, 42, 43, 44, 200]) {
      const rows = Array.from({ length: count }, (_, i) => b.dataRow([`row ${i} `.padEnd(90, 'x')]));
      const o = observe();
      o.client(serialize.query('SELECT r'));
      for (const row of rows) o.dataRow(row, [Math.floor(row.length / 2)]);
      o.server(T.CommandComplete, b.commandComplete(`SELECT ${count}`));
      o.server(T.ReadyForQuery, b.readyForQuery('I'));
      const f = finished(o.sink.events)[0];
      expect(f?.rows).toBe(count);
      expect(f?.resultDigest).toBe(sha256(...rows));
    }
  });

  it('computes the same digest at every split of a DataRow into pieces', () => {
    const row = b.dataRow(['hello', null, 'wörld']);
    const expected = sha256(row);
    for (let cut = 1; cut < row.length; cut++) {
      const o = observe({ captureRows: 5 });
      o.client(serialize.query('SELECT 1'));
      o.dataRow(row, [cut]);
      o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
      o.server(T.ReadyForQuery, b.readyForQuery('I'));
      const f = finished(o.sink.events)[0];
      expect(f?.resultDigest).toBe(expected);
      expect(f?.capturedRows).toEqual([['hello', null, 'wörld']]);
    }
  });

  it('captures the first rows within the row and byte budget', () => {
    const o = observe({ captureRows: 2, captureBytes: 1000 });
    o.client(serialize.query('SELECT x FROM generate_series(1,3) x'));
    for (const v of ['1', '2', '3']) o.dataRow(b.dataRow([v]));
    o.server(T.CommandComplete, b.commandComplete('SELECT 3'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events)[0]?.capturedRows).toEqual([['1'], ['2']]);

    const small = observe({ captureRows: 10, captureBytes: 12 });
    small.client(serialize.query('SELECT 1'));
    small.dataRow(b.dataRow(['ab'])); // 2 + 4 + 2 = 8 bytes
    small.dataRow(b.dataRow(['cd'])); // would make 16
    small.server(T.CommandComplete, b.commandComplete('SELECT 2'));
    small.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(small.sink.events)[0]?.capturedRows).toEqual([['ab']]);
  });
});

describe('extended protocol', () => {
  it('joins Parse, Bind and Execute into one statement with decoded parameters', () => {
    const o = observe();
    const results = o.client(
      serialize.parse({ name: 'ins', text: 'INSERT INTO t VALUES ($1, $2, $3)', types: [23, 0, 0] }),
      serialize.describe({ type: 'S', name: 'ins' }),
      serialize.sync(),
    );
    expect(results).toEqual([null, null, null]);
    o.server(T.ParseComplete);
    o.server(T.ParameterDescription, b.parameterDescription([23, 25, 17]));
    o.server(T.NoData);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    // Later, binary parameters: int4 from Parse, text and bytea from the ParameterDescription.
    const int4 = Buffer.alloc(4);
    int4.writeInt32BE(42);
    o.client(
      serialize.bind({
        statement: 'ins',
        portal: 'p1',
        binary: true,
        values: [int4, Buffer.from('hi'), Buffer.from([0xca, 0xfe])],
      }),
      serialize.execute({ portal: 'p1' }),
      serialize.sync(),
    );
    o.server(T.BindComplete);
    o.server(T.CommandComplete, b.commandComplete('INSERT 0 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('T'));
    expect(o.sink.events).toEqual([
      {
        type: 'statement.started',
        ts: 1000,
        session: 's1',
        statement: 1,
        user: 'alice',
        role: 'alice',
        protocol: 'extended',
        sql: 'INSERT INTO t VALUES ($1, $2, $3)',
        params: ['42', 'hi', '\\xcafe'],
        preparedName: 'ins',
        portal: 'p1',
        redaction: null,
      },
      {
        type: 'statement.finished',
        ts: 1001,
        session: 's1',
        statement: 1,
        command: 'INSERT 0 1',
        rows: 1,
        error: null,
        durationMs: 1,
        txStatus: 'T',
        resultDigest: null,
        notExecuted: false,
        copy: null,
        capturedRows: null,
      },
    ]);
  });

  it('captures binary result columns decoded by the types a Describe of the portal reported', () => {
    const o = observe({ captureRows: 2 });
    o.client(
      serialize.parse({ text: 'SELECT 42, 7' }),
      serialize.bind({ binary: true }),
      serialize.describe({ type: 'P', name: '' }),
      serialize.execute(),
      serialize.sync(),
    );
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.server(
      T.RowDescription,
      b.rowDescription([
        { name: 'a', typeOid: 23, format: 1 },
        { name: 'b', typeOid: 600, format: 1 },
      ]),
    );
    o.dataRow(b.dataRow([Buffer.from([0, 0, 0, 42]), Buffer.from([7])]));
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events)[0]?.capturedRows).toEqual([['42', '\\x07']]);
  });

  it('records text parameters as sent, NULL as null, and non-UTF-8 text as hex', () => {
    const o = observe();
    o.client(
      serialize.parse({ text: 'SELECT $1, $2, $3' }),
      serialize.bind({ values: ['héllo', null, Buffer.from([0xff])], valueMapper: (v) => v }),
      serialize.execute(),
      serialize.sync(),
    );
    expect(started(o.sink.events)[0]?.params).toEqual(['héllo', null, '\\xff']);
    expect(started(o.sink.events)[0]?.preparedName).toBe('');
  });

  it('records Executes skipped after an error until Sync as not executed', () => {
    const o = observe();
    o.client(
      serialize.parse({ text: 'SELECT 1/0' }),
      serialize.bind(),
      serialize.execute(),
      serialize.parse({ text: 'SELECT 2' }),
      serialize.bind(),
      serialize.execute(),
      serialize.sync(),
    );
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.server(T.ErrorResponse, b.error('22012', 'division by zero'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events).map((e) => e.sql)).toEqual(['SELECT 1/0', 'SELECT 2']);
    expect(finished(o.sink.events).map((e) => [e.statement, e.error?.code ?? null, e.notExecuted, e.txStatus])).toEqual(
      [
        [1, '22012', false, 'I'],
        [2, null, true, 'I'],
      ],
    );
  });

  it('gives a failed Parse error to the Execute of that statement, marked not executed', () => {
    const o = observe();
    o.client(serialize.parse({ text: 'SELEC 1' }), serialize.bind(), serialize.execute(), serialize.sync());
    o.server(T.ErrorResponse, b.error('42601', 'syntax error at or near "SELEC"'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((e) => [e.error, e.notExecuted])).toEqual([
      [{ code: '42601', message: 'syntax error at or near "SELEC"' }, true],
    ]);
  });

  it('skips messages sent after the error arrived until the Sync', () => {
    const o = observe();
    o.client(serialize.parse({ text: 'SELECT 1/0' }), serialize.bind(), serialize.execute(), serialize.flush());
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.server(T.ErrorResponse, b.error('22012', 'division by zero'));
    o.client(
      serialize.parse({ name: 'late', text: 'SELECT 3' }),
      serialize.bind({ statement: 'late' }),
      serialize.execute(),
      serialize.sync(),
    );
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events).map((e) => e.sql)).toEqual(['SELECT 1/0', 'SELECT 3']);
    expect(finished(o.sink.events).map((e) => [e.statement, e.notExecuted])).toEqual([
      [1, false],
      [2, true],
    ]);
    // The server never created 'late': a Bind to it later is a statement pgtrail does not know.
    o.client(serialize.bind({ statement: 'late', portal: 'q' }), serialize.execute({ portal: 'q' }), serialize.sync());
    expect(started(o.sink.events)[2]?.sql).toBe('');
  });

  it('resolves a named statement prepared long before, keeps it when a second Parse of the name is refused, and takes a new one after DEALLOCATE', () => {
    const o = observe();
    o.client(serialize.parse({ name: 's', text: 'SELECT 1' }), serialize.sync());
    o.server(T.ParseComplete);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    for (let i = 0; i < 3; i++) {
      o.client(serialize.query('SELECT now()'));
      o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
      o.server(T.ReadyForQuery, b.readyForQuery('I'));
    }
    o.client(
      serialize.parse({ name: 's', text: 'SELECT 2' }),
      serialize.bind({ statement: 's' }),
      serialize.execute(),
      serialize.sync(),
    );
    o.server(T.ErrorResponse, b.error('42P05', 'prepared statement "s" already exists'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.bind({ statement: 's' }), serialize.execute(), serialize.sync());
    o.server(T.BindComplete);
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    // After an SQL DEALLOCATE the name is free again: a new Parse with it is the statement from then on.
    o.client(serialize.query('DEALLOCATE s'));
    o.server(T.CommandComplete, b.commandComplete('DEALLOCATE'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(
      serialize.parse({ name: 's', text: 'SELECT 3' }),
      serialize.bind({ statement: 's' }),
      serialize.execute(),
      serialize.sync(),
    );
    expect(started(o.sink.events).map((e) => e.sql)).toEqual([
      'SELECT now()',
      'SELECT now()',
      'SELECT now()',
      'SELECT 2',
      'SELECT 1',
      'DEALLOCATE s',
      'SELECT 3',
    ]);
    // The client tried to run SELECT 2 under the taken name: that statement carries the server's refusal.
    expect(finished(o.sink.events).find((f) => f.statement === 4)?.error?.code).toBe('42P05');
  });

  it('resolves a Bind to a statement made by SQL PREPARE, and forgets it after DEALLOCATE', () => {
    const o = observe();
    o.client(serialize.query('PREPARE By_Id (int) AS SELECT * FROM t WHERE id = $1'));
    o.server(T.CommandComplete, b.commandComplete('PREPARE'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    // A PREPARE the server refused names nothing.
    o.client(serialize.query('PREPARE other AS SELEC 1'));
    o.server(T.ErrorResponse, b.error('42601', 'syntax error at or near "SELEC"'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.bind({ statement: 'by_id', values: ['7'] }), serialize.execute(), serialize.sync());
    o.server(T.BindComplete);
    o.server(T.CommandComplete, b.commandComplete('SELECT 0'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.bind({ statement: 'other' }), serialize.execute(), serialize.sync());
    o.server(T.ErrorResponse, b.error('26000', 'prepared statement "other" does not exist'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.query('DEALLOCATE PREPARE by_id'));
    o.server(T.CommandComplete, b.commandComplete('DEALLOCATE'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.bind({ statement: 'by_id', values: ['8'] }), serialize.execute(), serialize.sync());
    expect(started(o.sink.events).map((e) => [e.sql, e.preparedName, e.params])).toEqual([
      ['PREPARE By_Id (int) AS SELECT * FROM t WHERE id = $1', null, null],
      ['PREPARE other AS SELEC 1', null, null],
      ['SELECT * FROM t WHERE id = $1', 'by_id', ['7']],
      ['', 'other', null],
      ['DEALLOCATE PREPARE by_id', null, null],
      ['', 'by_id', ['8']],
    ]);
  });

  it('aggregates an Execute with a row limit and its PortalSuspended continuations into one statement', () => {
    const o = observe();
    const rows = ['1', '2', '3', '4', '5'].map((v) => b.dataRow([v]));
    expect(
      o.client(
        serialize.parse({ text: 'SELECT x FROM s' }),
        serialize.bind({ portal: 'c' }),
        serialize.execute({ portal: 'c', rows: 2 }),
        serialize.flush(),
      ),
    ).toEqual([null, null, null, null]);
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.dataRow(rows[0] as Buffer);
    o.dataRow(rows[1] as Buffer);
    o.server(T.PortalSuspended);
    o.client(serialize.execute({ portal: 'c', rows: 2 }), serialize.flush());
    o.dataRow(rows[2] as Buffer);
    o.dataRow(rows[3] as Buffer);
    o.server(T.PortalSuspended);
    o.client(serialize.execute({ portal: 'c', rows: 2 }), serialize.sync());
    o.dataRow(rows[4] as Buffer);
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events)).toHaveLength(1);
    expect(finished(o.sink.events).map((e) => [e.statement, e.command, e.rows, e.resultDigest])).toEqual([
      [1, 'SELECT 1', 5, sha256(...rows)],
    ]);
  });

  it('aggregates fetches of a named portal across Syncs inside a transaction (JDBC fetchSize)', () => {
    const o = observe();
    const rows = ['1', '2', '3'].map((v) => b.dataRow([v]));
    o.client(serialize.query('BEGIN'));
    o.server(T.CommandComplete, b.commandComplete('BEGIN'));
    o.server(T.ReadyForQuery, b.readyForQuery('T'));
    o.client(
      serialize.parse({ name: 'S_1', text: 'SELECT x FROM big' }),
      serialize.bind({ statement: 'S_1', portal: 'C_1' }),
      serialize.execute({ portal: 'C_1', rows: 2 }),
      serialize.sync(),
    );
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.dataRow(rows[0] as Buffer);
    o.dataRow(rows[1] as Buffer);
    o.server(T.PortalSuspended);
    o.server(T.ReadyForQuery, b.readyForQuery('T'));
    o.client(serialize.execute({ portal: 'C_1', rows: 2 }), serialize.sync());
    o.dataRow(rows[2] as Buffer);
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('T'));
    o.client(serialize.query('COMMIT'));
    o.server(T.CommandComplete, b.commandComplete('COMMIT'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events).map((e) => e.sql)).toEqual(['BEGIN', 'SELECT x FROM big', 'COMMIT']);
    expect(finished(o.sink.events).map((e) => [e.statement, e.command, e.rows, e.txStatus])).toEqual([
      [1, 'BEGIN', null, 'T'],
      [2, 'SELECT 1', 3, 'T'],
      [3, 'COMMIT', null, 'I'],
    ]);
    expect(finished(o.sink.events)[1]?.resultDigest).toBe(sha256(...rows));
  });

  it('ends a suspended statement when its transaction ends', () => {
    const o = observe();
    const row = b.dataRow(['1']);
    o.client(serialize.parse({ text: 'SELECT 1' }), serialize.bind(), serialize.execute({ rows: 1 }), serialize.sync());
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.dataRow(row);
    o.server(T.PortalSuspended);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((e) => [e.command, e.rows, e.txStatus, e.resultDigest])).toEqual([
      [null, 1, 'I', sha256(row)],
    ]);
  });

  it('returns the sink promise of statement.started and starts the duration when it settles', async () => {
    let release: () => void = () => {};
    const durable = new Promise<void>((r) => (release = r));
    const o = observe({ gate: () => durable });
    const [p] = o.client(serialize.query('SELECT 1; SELECT 2'));
    expect(p).toBeInstanceOf(Promise);
    release();
    await p;
    await Promise.resolve();
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events)).toHaveLength(2);
    // Clock readings: 1000, 1001 started; 1002 durable; 1003, 1004 complete.
    expect(finished(o.sink.events).map((e) => e.durationMs)).toEqual([1, 2]);
  });

  it('finishes a statement whose record could not be made durable as not executed, and keeps the queue in step', async () => {
    const o = observe({ gate: () => Promise.reject(new Error('disk full')) });
    const [p] = o.client(serialize.query('SELECT 1'));
    await expect(p).rejects.toThrow('disk full');
    await Promise.resolve();
    o.observer.sessionEnded('error');
    expect(finished(o.sink.events).map((e) => [e.statement, e.notExecuted])).toEqual([[1, true]]);
  });
});

describe('portals and sinks', () => {
  it('forgets portals when their transaction ends, but not portals bound for a later batch', () => {
    const o = observe();
    o.client(
      serialize.parse({ name: 's', text: 'SELECT 1' }),
      serialize.bind({ statement: 's', portal: 'old' }),
      serialize.execute({ portal: 'old' }),
      serialize.sync(),
    );
    o.client(
      serialize.bind({ statement: 's', portal: 'next' }),
      serialize.execute({ portal: 'next' }),
      serialize.sync(),
    );
    o.server(T.ParseComplete);
    o.server(T.BindComplete);
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.execute({ portal: 'old' }), serialize.execute({ portal: 'next' }), serialize.sync());
    expect(started(o.sink.events).map((e) => [e.portal, e.sql])).toEqual([
      ['old', 'SELECT 1'],
      ['next', 'SELECT 1'],
      ['old', ''],
      ['next', 'SELECT 1'],
    ]);
  });

  it('returns a rejected promise when the sink throws, so that the statement is not forwarded', async () => {
    const o = observe({
      gate: () => {
        throw new Error('sink broken');
      },
    });
    const [p] = o.client(serialize.query('SELECT 1'));
    await expect(p).rejects.toThrow('sink broken');
  });
});

describe('COPY, FunctionCall, roles, notifications, cancel', () => {
  it('hashes COPY FROM STDIN data as the client streams it', () => {
    const o = observe();
    o.client(serialize.query('COPY t FROM STDIN'));
    o.server(T.CopyInResponse, b.copyResponse(1));
    o.observer.clientCopyData(Buffer.from('1\n2'));
    o.observer.clientCopyData(Buffer.from('\n'));
    o.client(serialize.copyDone());
    o.server(T.CommandComplete, b.commandComplete('COPY 2'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((e) => [e.command, e.rows, e.copy])).toEqual([
      ['COPY 2', 2, { direction: 'in', bytes: 4, sha256: sha256(Buffer.from('1\n2\n')) }],
    ]);
  });

  it('hashes COPY TO STDOUT data at every split', () => {
    const data = Buffer.from('1\tone\n');
    for (let cut = 1; cut < data.length; cut++) {
      const o = observe();
      o.client(serialize.query('COPY t TO STDOUT'));
      o.server(T.CopyOutResponse, b.copyResponse(2));
      o.serverPieces(T.CopyData, data, [cut]);
      o.server(T.CopyDone);
      o.server(T.CommandComplete, b.commandComplete('COPY 1'));
      o.server(T.ReadyForQuery, b.readyForQuery('I'));
      expect(finished(o.sink.events)[0]?.copy).toEqual({ direction: 'out', bytes: data.length, sha256: sha256(data) });
    }
  });

  it('records a FunctionCall with its arguments and a digest of its result', () => {
    const o = observe();
    const frame = Buffer.from([
      0x46,
      0,
      0,
      0,
      24, // F, length
      0,
      0,
      0x03,
      0xd4, // function OID 980
      0,
      1,
      0,
      0, // one format code: text
      0,
      1,
      0,
      0,
      0,
      2,
      0x34,
      0x32, // one argument '42'
      0,
      1, // result binary
    ]);
    const p = o.client(frame);
    expect(p).toEqual([null]);
    const result = Buffer.from([0, 0, 0, 1]);
    o.server(T.FunctionCallResponse, b.functionCallResponse(result));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(started(o.sink.events).map((e) => [e.protocol, e.sql, e.params])).toEqual([
      ['function_call', 'FunctionCall 980', ['42']],
    ]);
    expect(finished(o.sink.events)[0]?.resultDigest).toBe(sha256(b.functionCallResponse(result)));
  });

  it('follows SET ROLE, SET LOCAL ROLE, RESET ROLE and rollbacks', () => {
    const o = observe({ role: 'alice' });
    const run = (sql: string, tags: (string | [string, string])[], status: 'I' | 'T' | 'E'): void => {
      o.client(serialize.query(sql));
      for (const tag of tags) {
        if (typeof tag === 'string') o.server(T.CommandComplete, b.commandComplete(tag));
        else o.server(T.ErrorResponse, b.error(tag[0], tag[1]));
      }
      o.server(T.ReadyForQuery, b.readyForQuery(status));
    };
    run('SET ROLE "Auditor"', ['SET'], 'I');
    run('SELECT 1', ['SELECT 1'], 'I');
    run('BEGIN; SET LOCAL ROLE bob', ['BEGIN', 'SET'], 'T');
    run('COMMIT', ['COMMIT'], 'I');
    run('SET ROLE carol; SELECT 1/0', ['SET', ['22012', 'division by zero']], 'I');
    run('RESET ROLE', ['RESET'], 'I');
    const roles = o.sink.events.flatMap((e) => (e.type === 'session.role_changed' ? [[e.statement, e.role]] : []));
    expect(roles).toEqual([
      [1, 'Auditor'],
      [4, 'bob'],
      [5, 'Auditor'],
      [6, 'carol'],
      [7, 'Auditor'],
      [8, 'alice'],
    ]);
    expect(started(o.sink.events).map((e) => e.role)).toEqual([
      'alice',
      'Auditor',
      'Auditor',
      'Auditor',
      'bob',
      'Auditor',
      'Auditor',
      'Auditor',
    ]);
  });

  it('follows session_authorization from ParameterStatus', () => {
    const o = observe({ role: 'postgres' });
    o.client(serialize.query('SET SESSION AUTHORIZATION app'));
    o.server(T.CommandComplete, b.commandComplete('SET'));
    o.server(T.ParameterStatus, b.parameterStatus('session_authorization', 'app'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.query('SELECT 1'));
    expect(o.sink.events.filter((e) => e.type === 'session.role_changed')).toEqual([
      { type: 'session.role_changed', ts: 1002, session: 's1', statement: 1, role: 'app' },
    ]);
    expect(started(o.sink.events)[1]?.role).toBe('app');
  });

  it('records notifications by payload hash and links a cancel to the running statement', () => {
    const o = observe();
    o.server(T.NotificationResponse, b.notification(77, 'jobs', 'secret payload'));
    o.client(serialize.query('SELECT pg_sleep(10)'));
    o.observer.cancelRequested({ address: '127.0.0.1', port: 6000 });
    o.server(T.ErrorResponse, b.error('57014', 'canceling statement due to user request'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.observer.cancelRequested({ address: '127.0.0.1', port: 6001 });
    expect(o.sink.events.filter((e) => e.type !== 'statement.started' && e.type !== 'statement.finished')).toEqual([
      {
        type: 'session.notified',
        ts: 1000,
        session: 's1',
        channel: 'jobs',
        senderPid: 77,
        payloadSha256: sha256(Buffer.from('secret payload')),
      },
      {
        type: 'statement.cancel_requested',
        ts: 1002,
        session: 's1',
        statement: 1,
        client: { address: '127.0.0.1', port: 6000 },
      },
      {
        type: 'statement.cancel_requested',
        ts: 1004,
        session: 's1',
        statement: null,
        client: { address: '127.0.0.1', port: 6001 },
      },
    ]);
  });

  it('finishes statements in flight without an outcome when the session ends', () => {
    const o = observe();
    o.client(serialize.query('SELECT pg_sleep(100)'));
    o.observer.sessionEnded('client_gone');
    expect(finished(o.sink.events).map((e) => [e.statement, e.command, e.error, e.notExecuted, e.txStatus])).toEqual([
      [1, null, null, false, null],
    ]);
  });
});
