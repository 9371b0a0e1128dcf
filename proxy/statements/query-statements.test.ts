import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import type { StatementStarted } from '../../recorder/events.js';
import { observe } from './testing/observer-harness.js';

/** The SQL of each statement the observer records for one Query string. */
function recordedSql(query: string): unknown[] {
  const o = observe();
  o.client(serialize.query(query));
  return o.sink.events.filter((e): e is StatementStarted => e.type === 'statement.started').map((e) => e.sql);
}

describe('the statements of a Query string', () => {
  it('records a string whose only ; ends it as one statement, exactly as sent', () => {
    expect(recordedSql('SELECT abalance FROM pgbench_accounts WHERE aid = 5;')).toEqual([
      'SELECT abalance FROM pgbench_accounts WHERE aid = 5;',
    ]);
    expect(recordedSql('SELECT 1 ;\n\t ')).toEqual(['SELECT 1 ;\n\t ']);
    expect(recordedSql(';')).toEqual([';']);
  });

  it('leaves a ; followed by more than whitespace to the splitter', () => {
    expect(recordedSql('SELECT 1; SELECT 2;')).toEqual(['SELECT 1', 'SELECT 2']);
    // A comment after the ; is no statement: one statement, recorded as sent.
    expect(recordedSql('SELECT 1; -- done')).toEqual(['SELECT 1; -- done']);
    expect(recordedSql("SELECT ';' ;")).toEqual(["SELECT ';' ;"]);
  });
});
