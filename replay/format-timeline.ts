import { oneLine } from '../search/format-table.js';
import { rowsOfTag } from './outcome-tap.js';
import type { SessionRow, StatementRow } from '../search/trail-rows.js';

const indent = '           ';

/** The heading of a replay: who, where from, to which database, when. */
export function formatSessionHeading(s: SessionRow): string {
  return [
    `session ${s.session}: ${s.user ?? '?'} on ${s.database ?? '?'} as role ${s.role ?? '?'}`,
    `  from ${s.client ?? '?'} (${s.application || 'no application name'}) to ${s.upstream ?? '?'}`,
    `  opened ${s.opened ?? '?'}${s.closed ? `, closed ${s.closed} (${s.reason ?? '?'})` : ', still open'}; ${s.statements} statements, ${s.errors} failed`,
    '',
  ].join('\n');
}

/** One statement of the timeline: offset since the session's start, SQL, parameters, outcome, digest, captured rows. */
export function formatStatement(row: StatementRow, offsetMs: number): string {
  const lines = [
    `${formatOffset(offsetMs).padStart(10)} #${row.statement}  ${row.sql.trimEnd()}`.replace(/\n/g, `\n${indent}`),
  ];
  if (row.params !== null) lines.push(`${indent}params: ${JSON.stringify(row.params)}`);
  if (row.redaction !== null) lines.push(`${indent}redacted by rule ${JSON.stringify(row.redaction)} before recording`);
  if (row.role !== row.user) lines.push(`${indent}role: ${row.role}`);
  lines.push(`${indent}-> ${outcome(row)}`);
  if (row.result_digest !== null) lines.push(`${indent}result sha256 ${row.result_digest}`);
  if (row.copy !== null)
    lines.push(`${indent}copy ${row.copy.direction}: ${row.copy.bytes} bytes, sha256 ${row.copy.sha256}`);
  for (const r of row.captured_rows ?? [])
    lines.push(`${indent}| ${r.map((v) => (v === null ? 'NULL' : oneLine(v))).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

/** The closing line of a replay. */
export function formatSessionEnd(s: SessionRow): string {
  if (s.closed === null) return 'session still open\n';
  return `${formatOffset(s.duration_ms ?? 0).padStart(10)} session closed: ${s.reason ?? '?'}\n`;
}

function outcome(row: StatementRow): string {
  // A statement refused before it ran (its Parse or Bind failed) is not executed and has the error.
  if (row.not_executed && row.error) return `not executed: ERROR ${row.error.code}: ${row.error.message}`;
  if (row.not_executed) return 'not executed (an earlier statement of its batch failed)';
  if (!row.finished) return 'no outcome recorded (still running, or the session was cut)';
  const ms = row.duration_ms === null ? '' : ` (${row.duration_ms.toFixed(3)} ms)`;
  if (row.error) return `ERROR ${row.error.code}: ${row.error.message}${ms}`;
  // The tag carries the row count, except for a portal read in pieces: then the rows are all it sent.
  const tagRows = row.command === null ? null : rowsOfTag(row.command);
  const rows = row.rows !== null && row.rows !== tagRows ? `, ${row.rows} rows` : '';
  return `${row.command ?? '(empty query)'}${rows}${ms}`;
}

/** +SSS.mmms since the session started. */
export function formatOffset(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}
