import { describe, expect, it } from 'vitest';
import { parseSqlDeallocate, parseSqlPrepare } from './sql-prepare.js';

describe('SQL PREPARE and DEALLOCATE', () => {
  it('reads the name as the server stores it and the statement after AS', () => {
    expect(parseSqlPrepare('PREPARE by_id AS SELECT * FROM t WHERE id = $1')).toEqual({
      name: 'by_id',
      body: 'SELECT * FROM t WHERE id = $1',
    });
    expect(
      parseSqlPrepare('  prepare ByID (int, numeric(10, 2), "my type") as\n  update t set x = $2 where id = $1'),
    ).toEqual({
      name: 'byid',
      body: 'update t set x = $2 where id = $1',
    });
    expect(parseSqlPrepare('PREPARE "Mixed ""Case""" AS SELECT 1')).toEqual({ name: 'Mixed "Case"', body: 'SELECT 1' });
    expect(parseSqlPrepare('PREPARE q1(int)AS SELECT $1')).toEqual({ name: 'q1', body: 'SELECT $1' });
  });

  it('refuses what is not a whole PREPARE command', () => {
    for (const sql of [
      'SELECT 1',
      'PREPARE',
      'PREPARE x',
      'PREPARE x AS',
      'PREPARE x (int AS SELECT 1',
      'PREPAREx AS SELECT 1',
      'PREPARE x ASSELECT 1',
      "PREPARE TRANSACTION 't1'",
      'PREPARE "" AS SELECT 1',
      'PREPARE 1x AS SELECT 1',
    ]) {
      expect(parseSqlPrepare(sql), sql).toBeNull();
    }
  });

  it('reads the name a DEALLOCATE drops, leaving DEALLOCATE ALL to its tag', () => {
    expect(parseSqlDeallocate('DEALLOCATE by_id')).toBe('by_id');
    expect(parseSqlDeallocate('deallocate prepare "Q"')).toBe('Q');
    expect(parseSqlDeallocate('DEALLOCATE Prepare_Me')).toBe('prepare_me');
    expect(parseSqlDeallocate('DEALLOCATE ALL')).toBeNull();
    expect(parseSqlDeallocate('DEALLOCATE PREPARE ALL')).toBeNull();
    expect(parseSqlDeallocate('SELECT 1')).toBeNull();
  });
});
