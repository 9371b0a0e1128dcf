import { describe, expect, it } from 'vitest';
import { countLine, formatTable, wrapText } from './format-table.js';
import { formatExpanded } from './format-expanded.js';

describe('formatTable', () => {
  type Row = { name: string; n: number; sql: string };
  const columns = [
    { header: 'NAME', cell: (r: Row) => r.name, max: 6 },
    { header: 'N', cell: (r: Row) => String(r.n), right: true },
    { header: 'SQL', cell: (r: Row) => r.sql },
  ];
  const rows: Row[] = [
    { name: 'alice', n: 7, sql: 'select\n  1' },
    { name: 'bo', n: 1234, sql: 'delete from t where id in (select id from u where created < now())' },
  ];

  it('with no width (--wide) keeps every value whole, one row per line', () => {
    expect(formatTable(columns, rows, null)).toBe(
      [
        'NAME      N  SQL',
        'alice     7  select 1',
        'bo     1234  delete from t where id in (select id from u where created < now())',
        '',
      ].join('\n'),
    );
  });

  it('wraps the last column in the width the others leave, at spaces, and loses none of it', () => {
    const out = formatTable(columns, rows, 50).split('\n');
    expect(out.every((l) => l.length <= 50)).toBe(true);
    expect(out).toEqual([
      'NAME      N  SQL',
      'alice     7  select 1',
      'bo     1234  delete from t where id in (select id',
      '             from u where created < now())',
      '',
    ]);
  });

  it('folds the last column under its row when too little width is left for it', () => {
    const wideName = [{ name: 'a-rather-long-name', n: 1, sql: 'select 1' }];
    const out = formatTable(columns, wideName, 30).split('\n');
    expect(out).toEqual(['NAME    N', '    SQL', 'a-rat…  1', '    select 1', '']);
  });

  it('cuts a column with a max only when fitting a width', () => {
    const long = [{ name: 'abcdefghij', n: 1, sql: 'x' }];
    expect(formatTable(columns, long, 80)).toContain('abcde…');
    expect(formatTable(columns, long, null)).toContain('abcdefghij');
  });
});

describe('wrapText', () => {
  it('breaks inside a word that is longer than the line', () => {
    expect(wrapText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });
});

describe('countLine', () => {
  it('says (0 statements) as psql says (0 rows)', () => {
    expect(countLine(0, 'statement', 'statements')).toBe('(0 statements)\n');
    expect(countLine(1, 'session', 'sessions')).toBe('(1 session)\n');
  });
});

describe('formatExpanded', () => {
  it('prints one field per line under a RECORD heading, keeping line breaks and leaving out nulls', () => {
    const fields = [
      { label: 'user', value: (r: { u: string; sql: string }) => r.u },
      { label: 'error', value: () => null },
      { label: 'sql', value: (r: { u: string; sql: string }) => r.sql },
    ];
    expect(formatExpanded(fields, [{ u: 'alice', sql: 'select *\n  from t' }], 80)).toBe(
      [`-[ RECORD 1 ]-+${'-'.repeat(39)}`, 'user  | alice', 'sql   | select *', '      |   from t', ''].join('\n'),
    );
  });
});
