import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanSql, SqlTokenKind } from './sql-lexer.js';

function tokens(sql: string): [SqlTokenKind, string][] {
  const bytes = Buffer.from(sql, 'utf8');
  const out: [SqlTokenKind, string][] = [];
  scanSql(bytes, (kind, start, end) => out.push([kind, bytes.subarray(start, end).toString('utf8')]));
  return out;
}

const K = SqlTokenKind;

describe('scanSql', () => {
  it('reads strings, identifiers, parameters, numbers and comments as PostgreSQL does', () => {
    expect(
      tokens(
        `SELECT 'a''b', E'c\\'d', U&'x', B'01', X'ff', N'n', $1, $tag$ q $ $tag$, "Id""x", 1.5e3, .5, 0x1F, t1 -- c`,
      ),
    ).toEqual([
      [K.word, 'SELECT'],
      [K.string, "'a''b'"],
      [K.punctuation, ','],
      [K.string, "E'c\\'d'"],
      [K.punctuation, ','],
      [K.string, "U&'x'"],
      [K.punctuation, ','],
      [K.string, "B'01'"],
      [K.punctuation, ','],
      [K.string, "X'ff'"],
      [K.punctuation, ','],
      [K.string, "N'n'"],
      [K.punctuation, ','],
      [K.param, '$1'],
      [K.punctuation, ','],
      [K.string, '$tag$ q $ $tag$'],
      [K.punctuation, ','],
      [K.quotedIdentifier, '"Id""x"'],
      [K.punctuation, ','],
      [K.number, '1.5e3'],
      [K.punctuation, ','],
      [K.number, '.5'],
      [K.punctuation, ','],
      [K.number, '0x1F'],
      [K.punctuation, ','],
      [K.word, 't1'],
      [K.comment, '-- c'],
    ]);
  });

  it('nests block comments and lets unterminated ones run to the end', () => {
    expect(tokens('a /* x /* y */ z */ b')).toEqual([
      [K.word, 'a'],
      [K.comment, '/* x /* y */ z */'],
      [K.word, 'b'],
    ]);
    expect(tokens("a 'open")).toEqual([
      [K.word, 'a'],
      [K.string, "'open"],
    ]);
    expect(tokens('a $$open')).toEqual([
      [K.word, 'a'],
      [K.string, '$$open'],
    ]);
  });

  it('covers every non-space byte exactly once, in order (generated input)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom("'", '"', '$', '-', '/', '*', 'E', 'U', '&', 'a', '1', '.', ' ', '\n', ';', '\\', 'é'),
        }),
        (sql) => {
          const bytes = Buffer.from(sql, 'utf8');
          let at = 0;
          scanSql(bytes, (_kind, start, end) => {
            for (let i = at; i < start; i++) expect([0x20, 0x0a]).toContain(bytes[i]);
            expect(end).toBeGreaterThan(start);
            at = end;
          });
          for (let i = at; i < bytes.length; i++) expect([0x20, 0x0a]).toContain(bytes[i]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
