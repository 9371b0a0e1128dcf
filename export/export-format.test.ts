import { describe, expect, it } from 'vitest';
import { formatRecord } from './export-format.js';
import type { ExportRecord } from './export-record.js';

const record: ExportRecord = {
  event: 'statement.finished',
  seq: 42,
  ts: '2026-12-03T09:00:00.000Z',
  session: 'ab]"\\',
  user: 'al|ice',
  role: 'app',
  database: 'db',
  client: '[::1]:5000',
  sql: "select 'a=b'\nfrom t",
  command: null,
  error: { code: '42P01', message: 'relation "t" does not exist' },
  duration_ms: 1.5,
};
const ctx = { hostname: 'host', pid: 7 };

describe('export formats', () => {
  it('CEF escapes | and \\ in the header and =, \\ and newlines in values', () => {
    const line = formatRecord(record, 'cef', ctx);
    expect(line.startsWith('CEF:0|pgtrail|pgtrail|0.1.0|statement.finished|statement finished|5|')).toBe(true);
    expect(line).toContain("cs2=select 'a\\=b'\\nfrom t cs2Label=sql");
    expect(line).toContain('suser=al|ice');
    expect(line).toContain('src=::1 spt=5000');
    expect(line).toContain('cs4=42P01');
    expect(line).not.toContain('\n');
  });

  it('syslog is RFC 5424 with an escaped structured-data value and the JSON record as MSG', () => {
    const line = formatRecord(record, 'syslog', ctx);
    expect(line).toBe(
      `<108>1 2026-12-03T09:00:00.000Z host pgtrail 7 statement.finished [pgtrail@32473 seq="42" session="ab\\]\\"\\\\"] ${JSON.stringify(record)}`,
    );
  });

  it('JSON is the record on one line', () => {
    expect(JSON.parse(formatRecord(record, 'json', ctx))).toEqual(record);
  });
});
