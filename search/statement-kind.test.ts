import { describe, expect, it } from 'vitest';
import { parseKinds, statementKind } from './statement-kind.js';

describe('statementKind', () => {
  it('takes the kind from the command tag', () => {
    expect(statementKind('INSERT 0 3', 'insert into t values (1)')).toBe('insert');
    expect(statementKind('UPDATE 2', null)).toBe('update');
    expect(statementKind('DELETE 0', null)).toBe('delete');
    expect(statementKind('SELECT 1', null)).toBe('select');
    expect(statementKind('MERGE 1', null)).toBe('merge');
    expect(statementKind('COPY 10', null)).toBe('copy');
    expect(statementKind('CREATE TABLE', null)).toBe('ddl');
    expect(statementKind('DROP INDEX', null)).toBe('ddl');
    expect(statementKind('TRUNCATE TABLE', null)).toBe('ddl');
    expect(statementKind('GRANT', null)).toBe('ddl');
    expect(statementKind('BEGIN', null)).toBe('transaction');
    expect(statementKind('COMMIT', null)).toBe('transaction');
    expect(statementKind('ROLLBACK', null)).toBe('transaction');
    expect(statementKind('SET', null)).toBe('session');
    expect(statementKind('PREPARE', null)).toBe('other');
    expect(statementKind('VACUUM', null)).toBe('other');
  });

  it('prefers the tag over the SQL: a WITH ... DELETE is a delete', () => {
    expect(statementKind('DELETE 4', 'with x as (select 1) delete from t')).toBe('delete');
  });

  it('falls back to the first keyword of the SQL, after comments', () => {
    expect(statementKind(null, '  -- who\n/* why */ drop table t')).toBe('ddl');
    expect(statementKind(null, 'update t set a = 1')).toBe('update');
    expect(statementKind(null, '(select 1)')).toBe('select');
    expect(statementKind(null, '')).toBe('other');
    expect(statementKind(null, null)).toBe('other');
  });
});

describe('parseKinds', () => {
  it('accepts comma-separated kinds in any case and rejects unknown ones', () => {
    expect(parseKinds('ddl,Delete')).toEqual(['ddl', 'delete']);
    expect(parseKinds('ddl,drop')).toBeNull();
  });
});
