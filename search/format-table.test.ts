import { describe, expect, it } from 'vitest';
import { formatTable } from './format-table.js';

describe('formatTable', () => {
  const columns = [
    { header: 'NAME', cell: (r: { name: string; n: number; sql: string }) => r.name },
    { header: 'N', cell: (r: { n: number }) => String(r.n), right: true },
    { header: 'SQL', cell: (r: { sql: string }) => r.sql },
  ];
  const rows = [
    { name: 'alice', n: 7, sql: 'select\n  1' },
    { name: 'bo', n: 1234, sql: 'delete from t' },
  ];

  it('aligns columns under their headers and keeps each row on one line', () => {
    expect(formatTable(columns, rows)).toBe(
      ['NAME      N  SQL', 'alice     7  select 1', 'bo     1234  delete from t', ''].join('\n'),
    );
  });

  it('cuts lines to the terminal width', () => {
    const out = formatTable(columns, rows, 20).split('\n');
    expect(out[2]).toBe('bo     1234  delete…');
    expect(out.every((l) => l.length <= 20)).toBe(true);
  });
});
