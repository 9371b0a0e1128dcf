import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import type { StatementFinished, StatementStarted, TrailEvent } from '../../recorder/events.js';
import { BackendCode as T } from '../protocol/message-codes.js';
import { observe } from './testing/observer-harness.js';
import { serverBody as b } from './testing/server-frames.js';

const started = (events: TrailEvent[]): StatementStarted[] =>
  events.filter((e): e is StatementStarted => e.type === 'statement.started');
const finished = (events: TrailEvent[]): StatementFinished[] =>
  events.filter((e): e is StatementFinished => e.type === 'statement.finished');
/** [sql, params, preparedName, portal, error code, notExecuted, txStatus] of each statement. */
const records = (events: TrailEvent[]): unknown[][] =>
  started(events).map((s) => {
    const f = finished(events).find((e) => e.statement === s.statement);
    return [s.sql, s.params, s.preparedName, s.portal, f?.error?.code ?? null, f?.notExecuted, f?.txStatus];
  });

describe('a statement the server refused before running it', () => {
  it('is one record when its Parse fails with no Execute after it (Parse, Describe, Sync: asyncpg, postgres.js)', () => {
    const o = observe();
    o.client(serialize.parse({ name: 's1', text: 'selec 1' }), serialize.describe({ type: 'S', name: 's1' }));
    o.client(serialize.sync());
    expect(started(o.sink.events)).toEqual([]);
    o.server(T.ErrorResponse, b.error('42601', 'syntax error at or near "selec"'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([['selec 1', null, 's1', null, '42601', true, 'I']]);
    expect(finished(o.sink.events)[0]).toMatchObject({
      error: { code: '42601', message: 'syntax error at or near "selec"' },
      command: null,
      rows: null,
      durationMs: 0,
    });
    expect(o.observer.statementCount).toBe(1);
    // The name was never made: a later Bind to it is a statement pgtrail does not know.
    o.client(serialize.bind({ statement: 's1' }), serialize.execute(), serialize.sync());
    expect(started(o.sink.events)[1]).toMatchObject({ sql: '', preparedName: 's1' });
  });

  it('is one record when a Parse is refused in a failed transaction (25P02), with E as its status', () => {
    const o = observe();
    o.client(serialize.parse({ text: 'select 2' }), serialize.describe({ type: 'S' }), serialize.sync());
    o.server(T.ErrorResponse, b.error('25P02', 'current transaction is aborted'));
    o.server(T.ReadyForQuery, b.readyForQuery('E'));
    expect(records(o.sink.events)).toEqual([['select 2', null, '', null, '25P02', true, 'E']]);
  });

  it('keeps the parameters when a Bind got that far and failed (22P02)', () => {
    const o = observe();
    o.client(serialize.parse({ text: 'select $1::int' }), serialize.sync());
    o.server(T.ParseComplete);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.bind({ portal: 'p', values: ['abc'] }), serialize.describe({ type: 'P', name: 'p' }));
    o.client(serialize.sync());
    o.server(T.ErrorResponse, b.error('22P02', 'invalid input syntax for type integer: "abc"'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([['select $1::int', ['abc'], '', 'p', '22P02', true, 'I']]);
  });

  it('gives a failed Bind error to the Execute sent with it, with its parameters', () => {
    const o = observe();
    o.client(serialize.parse({ text: 'select $1::int' }), serialize.bind({ values: ['x'] }), serialize.execute());
    o.client(serialize.sync());
    o.server(T.ParseComplete);
    o.server(T.ErrorResponse, b.error('22P02', 'invalid input syntax for type integer: "x"'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([['select $1::int', ['x'], '', '', '22P02', true, 'I']]);
  });

  it('names the missing prepared statement of a refused Bind or Describe (26000)', () => {
    const o = observe();
    o.client(serialize.bind({ statement: 'gone', values: ['1'] }), serialize.sync());
    o.server(T.ErrorResponse, b.error('26000', 'prepared statement "gone" does not exist'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.describe({ type: 'S', name: 'gone' }), serialize.sync());
    o.server(T.ErrorResponse, b.error('26000', 'prepared statement "gone" does not exist'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(serialize.describe({ type: 'P', name: 'nope' }), serialize.sync());
    o.server(T.ErrorResponse, b.error('34000', 'portal "nope" does not exist'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([
      ['', ['1'], 'gone', '', '26000', true, 'I'],
      ['', null, 'gone', null, '26000', true, 'I'],
      ['', null, null, 'nope', '34000', true, 'I'],
    ]);
  });

  it('is recorded when the session ends before the ReadyForQuery', () => {
    const o = observe();
    o.client(serialize.parse({ text: 'selec 3' }), serialize.flush());
    o.server(T.ErrorResponse, b.error('42601', 'syntax error at or near "selec"'));
    o.observer.sessionEnded('client_gone');
    expect(records(o.sink.events)).toEqual([['selec 3', null, '', null, '42601', true, null]]);
  });

  it('leaves a Parse that succeeded and never ran without a record', () => {
    const o = observe();
    o.client(serialize.parse({ name: 'ok', text: 'select 1' }), serialize.describe({ type: 'S', name: 'ok' }));
    o.client(serialize.sync());
    o.server(T.ParseComplete);
    o.server(T.ParameterDescription, Buffer.from([0, 0]));
    o.server(T.NoData);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(o.sink.events).toEqual([]);
  });

  it('does not give a refused Parse of one statement to the Execute of another; each has its record', () => {
    const o = observe();
    o.client(serialize.parse({ name: 'a', text: 'select 1' }), serialize.sync());
    o.server(T.ParseComplete);
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    o.client(
      serialize.parse({ name: 'b', text: 'selec 2' }),
      serialize.bind({ statement: 'a' }),
      serialize.execute(),
      serialize.sync(),
    );
    o.server(T.ErrorResponse, b.error('42601', 'syntax error at or near "selec"'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([
      ['select 1', null, 'a', '', null, true, 'I'],
      ['selec 2', null, 'b', null, '42601', true, 'I'],
    ]);
  });
});

describe('an error with a position in a multi-statement Query', () => {
  it('is carried by the statement holding the position; the others are not executed', () => {
    const o = observe();
    o.client(serialize.query('select * from t where id = 1; delete from t; selec 1'));
    // PostgreSQL parses the whole string first: the syntax error comes before anything runs.
    o.server(T.ErrorResponse, b.errorAt('42601', 'syntax error at or near "selec"', 46));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([
      ['select * from t where id = 1', null, null, null, null, true, 'I'],
      ['delete from t', null, null, null, null, true, 'I'],
      ['selec 1', null, null, null, '42601', false, 'I'],
    ]);
  });

  it('counts the position in characters, not bytes', () => {
    const o = observe();
    o.client(serialize.query("select 'ünïcödé'; selec 1"));
    o.server(T.ErrorResponse, b.errorAt('42601', 'syntax error at or near "selec"', 20));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((f) => [f.statement, f.error?.code ?? null, f.notExecuted])).toEqual([
      [1, null, true],
      [2, '42601', false],
    ]);
  });

  it('gives "at end of input" to the last statement', () => {
    const o = observe();
    o.client(serialize.query('select 1; select ('));
    o.server(T.ErrorResponse, b.errorAt('42601', 'syntax error at end of input', 19));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((f) => f.error?.code ?? null)).toEqual([null, '42601']);
  });

  it('keeps the statement the server is on without a position (an error while running statement k)', () => {
    const o = observe();
    o.client(serialize.query('select 1; select 1/0; select 3'));
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ErrorResponse, b.error('22012', 'division by zero'));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((f) => [f.error?.code ?? null, f.notExecuted])).toEqual([
      [null, false],
      ['22012', false],
      [null, true],
    ]);
  });

  it('gives an error with a position in the running statement to it (42703 after the first one ran)', () => {
    const o = observe();
    o.client(serialize.query('select 1; select nope from t; select 3'));
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    o.server(T.ErrorResponse, b.errorAt('42703', 'column "nope" does not exist', 18));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(finished(o.sink.events).map((f) => [f.error?.code ?? null, f.notExecuted])).toEqual([
      [null, false],
      ['42703', false],
      [null, true],
    ]);
  });

  it('records the error on the whole string when the position cannot be placed for sure', () => {
    const o = observe();
    o.client(serialize.query('select 1; select 2; select 3'));
    o.server(T.CommandComplete, b.commandComplete('SELECT 1'));
    // After statement 1 ran, a position in statement 3: the split does not match the server's.
    o.server(T.ErrorResponse, b.errorAt('42601', 'syntax error', 21));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events)).toEqual([
      ['select 1', null, null, null, null, false, 'I'],
      ['select 2', null, null, null, null, true, 'I'],
      ['select 3', null, null, null, null, true, 'I'],
      ['select 1; select 2; select 3', null, null, null, '42601', false, 'I'],
    ]);
  });

  it('records the error on the whole string when the position is out of the string', () => {
    const o = observe();
    o.client(serialize.query('select 1; select 2'));
    o.server(T.ErrorResponse, b.errorAt('42601', 'syntax error', 99));
    o.server(T.ReadyForQuery, b.readyForQuery('I'));
    expect(records(o.sink.events).map((r) => [r[0], r[4], r[5]])).toEqual([
      ['select 1', null, true],
      ['select 2', null, true],
      ['select 1; select 2', '42601', false],
    ]);
  });
});
