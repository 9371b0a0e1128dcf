/** How `search` shows statements: a table fitted to the terminal, a wide table, or expanded records. */
import type { ExpandedField } from '../../search/format-expanded.js';
import type { TableColumn } from '../../search/format-table.js';
import type { StatementRow } from '../../search/trail-rows.js';

/** `12-01 10:00:01` from an ISO 8601 UTC time: the date and second a table has room for. */
export function compactTime(iso: string | null): string {
  return iso === null ? '?' : `${iso.slice(5, 10)} ${iso.slice(11, 19)}`;
}

/** What came of a statement, in a few characters: its command tag or ERROR and its SQLSTATE. */
export function resultText(r: StatementRow): string {
  if (r.error) return `ERROR ${r.error.code}`;
  if (r.not_executed) return 'not executed';
  return r.command ?? (r.finished ? '-' : 'unfinished');
}

const ms = (r: StatementRow) => (r.duration_ms === null ? '' : r.duration_ms.toFixed(1));

/** The columns of the fitted table; `name` abbreviates a session id (search/session-names.ts). */
export function statementColumns(name: (id: string) => string): readonly TableColumn<StatementRow>[] {
  return [
    { header: 'TIME (UTC)', cell: (r) => compactTime(r.ts) },
    { header: 'SESSION', cell: (r) => `${name(r.session)}#${r.statement}` },
    { header: 'USER', cell: (r) => r.user, max: 12 },
    { header: 'DATABASE', cell: (r) => r.database ?? '?', max: 12 },
    { header: 'RESULT', cell: resultText, max: 14 },
    { header: 'MS', cell: ms, right: true },
    { header: 'SQL', cell: (r) => r.sql },
  ];
}

/** The columns of `--wide`: every value whole, the full time and session id, and the journal index. */
export const wideStatementColumns: readonly TableColumn<StatementRow>[] = [
  { header: 'TIME', cell: (r) => r.ts },
  { header: 'SEQ', cell: (r) => String(r.seq), right: true },
  { header: 'SESSION', cell: (r) => `${r.session}#${r.statement}` },
  { header: 'USER', cell: (r) => r.user },
  { header: 'DATABASE', cell: (r) => r.database ?? '?' },
  { header: 'ROLE', cell: (r) => r.role },
  { header: 'RESULT', cell: resultText },
  { header: 'ROWS', cell: (r) => (r.rows === null ? '' : String(r.rows)), right: true },
  { header: 'MS', cell: ms, right: true },
  { header: 'SQL', cell: (r) => r.sql },
];

/** The fields of `--expanded`: everything `search --json` has that a person reads, SQL with its line breaks. */
export const expandedStatementFields: readonly ExpandedField<StatementRow>[] = [
  { label: 'time', value: (r) => r.ts },
  { label: 'seq', value: (r) => String(r.seq) },
  { label: 'session', value: (r) => `${r.session}#${r.statement}` },
  { label: 'user', value: (r) => r.user },
  { label: 'role', value: (r) => r.role },
  { label: 'database', value: (r) => r.database ?? '?' },
  { label: 'client', value: (r) => r.client ?? '?' },
  { label: 'application', value: (r) => r.application ?? '' },
  { label: 'protocol', value: (r) => r.protocol },
  { label: 'kind', value: (r) => r.kind },
  { label: 'result', value: resultText },
  { label: 'error', value: (r) => (r.error ? r.error.message : null) },
  { label: 'rows', value: (r) => (r.rows === null ? null : String(r.rows)) },
  { label: 'duration ms', value: (r) => (r.duration_ms === null ? null : r.duration_ms.toFixed(3)) },
  { label: 'result sha256', value: (r) => r.result_digest },
  { label: 'copy', value: (r) => (r.copy === null ? null : `${r.copy.direction}, ${r.copy.bytes} bytes`) },
  { label: 'copy sha256', value: (r) => r.copy?.sha256 ?? null },
  { label: 'redaction', value: (r) => r.redaction },
  { label: 'params', value: (r) => (r.params === null ? null : JSON.stringify(r.params)) },
  { label: 'sql', value: (r) => r.sql },
];
