import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitStatements } from './statement-splitter.js';

function split(sql: string): string[] {
  const bytes = Buffer.from(sql, 'utf8');
  return splitStatements(bytes).map((r) => bytes.subarray(r.start, r.end).toString('utf8'));
}

describe('splitStatements', () => {
  it('splits at top-level semicolons and trims', () => {
    expect(split('SELECT 1; SELECT 2 ;\n  SELECT 3')).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  it('drops empty statements and statements that are only comments, as the server does', () => {
    expect(split(';; SELECT 1;; /* c */ ; -- tail')).toEqual(['SELECT 1']);
    expect(split('')).toEqual([]);
    expect(split(' ; -- nothing')).toEqual([]);
  });

  it('keeps a leading comment with the statement it precedes', () => {
    expect(split('SELECT 1; /* hint */ SELECT 2')).toEqual(['SELECT 1', '/* hint */ SELECT 2']);
  });

  it('does not split inside quotes, comments, identifiers or dollar quotes', () => {
    expect(split(`SELECT 'a;b', E'c\\';d', "x;y" FROM t; SELECT 2`)).toEqual([
      `SELECT 'a;b', E'c\\';d', "x;y" FROM t`,
      'SELECT 2',
    ]);
    expect(split(`SELECT 'it''s;'; SELECT 2`)).toEqual([`SELECT 'it''s;'`, 'SELECT 2']);
    expect(split(`DO $$ BEGIN PERFORM 1; END $$; SELECT 2`)).toEqual([`DO $$ BEGIN PERFORM 1; END $$`, 'SELECT 2']);
    expect(split(`SELECT $a$ ; $b$ ; $a$; SELECT 2`)).toEqual([`SELECT $a$ ; $b$ ; $a$`, 'SELECT 2']);
    expect(split(`SELECT 1 /* a /* nested; */ still; */; SELECT 2`)).toEqual([
      `SELECT 1 /* a /* nested; */ still; */`,
      'SELECT 2',
    ]);
    expect(split(`SELECT 1 -- not; here\n; SELECT 2`)).toEqual([`SELECT 1 -- not; here`, 'SELECT 2']);
    expect(split(`SELECT $1; SELECT 2`)).toEqual(['SELECT $1', 'SELECT 2']);
  });

  it('does not split inside parentheses (rule actions)', () => {
    expect(
      split('CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1'),
    ).toEqual([
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))',
      'SELECT 1',
    ]);
  });

  it('keeps a BEGIN ATOMIC body of CREATE FUNCTION / PROCEDURE whole, as psql does', () => {
    const fn =
      'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END';
    expect(split(`${fn}; SELECT 3`)).toEqual([fn, 'SELECT 3']);
    const proc = 'CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END';
    expect(split(`${proc};BEGIN; SELECT 1; END`)).toEqual([proc, 'BEGIN', 'SELECT 1', 'END']);
  });

  it('reads backslash escapes in plain strings when standard_conforming_strings is off', () => {
    const sql = Buffer.from(`SELECT 'a\\';b'; SELECT 2`);
    const text = (ranges: { start: number; end: number }[]): string[] =>
      ranges.map((r) => sql.subarray(r.start, r.end).toString());
    expect(text(splitStatements(sql, false))).toEqual([`SELECT 'a\\';b'`, 'SELECT 2']);
    expect(text(splitStatements(sql, true))).toEqual([`SELECT 'a\\'`, `b'; SELECT 2`]);
  });

  it('lets an unterminated quote run to the end', () => {
    expect(split(`SELECT 1; SELECT 'open; SELECT 2`)).toEqual(['SELECT 1', `SELECT 'open; SELECT 2`]);
  });

  it('never loses a non-space byte outside separators (generated input)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('SELECT 1', "'a;b'", '"q;"', '$$x;$$', '/*c;*/', '-- d\n', ';', ' ', '(', ')', 'x'), {
          maxLength: 20,
        }),
        (parts) => {
          const sql = parts.join('');
          const bytes = Buffer.from(sql);
          const ranges = splitStatements(bytes);
          let previous = 0;
          for (const r of ranges) {
            expect(r.start).toBeGreaterThanOrEqual(previous);
            expect(r.end).toBeGreaterThan(r.start);
            previous = r.end;
          }
        },
      ),
    );
  });
});
