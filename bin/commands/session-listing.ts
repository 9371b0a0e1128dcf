/** How `sessions` shows sessions: a table fitted to the terminal, a wide table, or expanded records. */
import type { ExpandedField } from '../../search/format-expanded.js';
import type { TableColumn } from '../../search/format-table.js';
import type { AuthFailureRow } from '../../search/list-auth-failures.js';
import type { SessionRow } from '../../search/trail-rows.js';
import { compactTime } from './statement-listing.js';

/** `25.5s`, `12m03s`, `2h05m`: a duration in the few characters a table has. */
export function compactDuration(ms: number | null): string {
  if (ms === null) return 'open';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

const from = (r: SessionRow) => `${r.client ?? '?'}${r.application ? ` ${r.application}` : ''}`;

/** The columns of the fitted table; `name` abbreviates a session id (search/session-names.ts). */
export function sessionColumns(name: (id: string) => string): readonly TableColumn<SessionRow>[] {
  return [
    { header: 'OPENED (UTC)', cell: (r) => compactTime(r.opened) },
    { header: 'SESSION', cell: (r) => name(r.session) },
    { header: 'USER', cell: (r) => r.user ?? '?', max: 12 },
    { header: 'DATABASE', cell: (r) => r.database ?? '?', max: 12 },
    { header: 'STMTS', cell: (r) => String(r.statements), right: true },
    { header: 'ERR', cell: (r) => String(r.errors), right: true },
    { header: 'DURATION', cell: (r) => compactDuration(r.duration_ms), right: true },
    { header: 'CLOSED', cell: (r) => r.reason ?? '' },
    { header: 'CLIENT APPLICATION', cell: from },
  ];
}

/** The columns of `--wide`: every value whole, full times and ids. */
export const wideSessionColumns: readonly TableColumn<SessionRow>[] = [
  { header: 'OPENED', cell: (r) => r.opened ?? '?' },
  { header: 'SESSION', cell: (r) => r.session },
  { header: 'USER', cell: (r) => r.user ?? '?' },
  { header: 'DATABASE', cell: (r) => r.database ?? '?' },
  { header: 'ROLE', cell: (r) => r.role ?? '?' },
  { header: 'CLIENT', cell: (r) => r.client ?? '?' },
  { header: 'STMTS', cell: (r) => String(r.statements), right: true },
  { header: 'ERRORS', cell: (r) => String(r.errors), right: true },
  { header: 'DURATION', cell: (r) => compactDuration(r.duration_ms), right: true },
  { header: 'CLOSED', cell: (r) => r.reason ?? '' },
  { header: 'APPLICATION', cell: (r) => r.application ?? '' },
];

/** The fields of `--expanded`: everything `sessions --json` has. */
export const expandedSessionFields: readonly ExpandedField<SessionRow>[] = [
  { label: 'session', value: (r) => r.session },
  { label: 'seq', value: (r) => (r.seq === null ? null : String(r.seq)) },
  { label: 'opened', value: (r) => r.opened ?? '?' },
  { label: 'closed', value: (r) => (r.closed === null ? 'still open' : `${r.closed} (${r.reason ?? '?'})`) },
  { label: 'duration', value: (r) => compactDuration(r.duration_ms) },
  { label: 'user', value: (r) => r.user ?? '?' },
  { label: 'role', value: (r) => r.role ?? '?' },
  { label: 'database', value: (r) => r.database ?? '?' },
  { label: 'client', value: (r) => r.client ?? '?' },
  { label: 'application', value: (r) => r.application ?? '' },
  { label: 'upstream', value: (r) => r.upstream },
  { label: 'statements', value: (r) => String(r.statements) },
  { label: 'errors', value: (r) => String(r.errors) },
];

/** The columns of `sessions --failed` fitted to the terminal: the reason takes the width left. */
export function authFailureColumns(name: (id: string) => string): readonly TableColumn<AuthFailureRow>[] {
  return [
    { header: 'TIME (UTC)', cell: (r) => compactTime(r.ts) },
    { header: 'SESSION', cell: (r) => name(r.session) },
    { header: 'USER', cell: (r) => r.user, max: 12 },
    { header: 'DATABASE', cell: (r) => r.database, max: 12 },
    { header: 'CLIENT', cell: (r) => r.client },
    { header: 'METHOD', cell: (r) => r.method ?? '-' },
    { header: 'CODE', cell: (r) => r.code },
    { header: 'REASON', cell: (r) => r.reason },
  ];
}

/** The columns of `sessions --failed --wide`. */
export const wideAuthFailureColumns: readonly TableColumn<AuthFailureRow>[] = [
  { header: 'TIME', cell: (r) => r.ts },
  { header: 'SEQ', cell: (r) => String(r.seq), right: true },
  { header: 'SESSION', cell: (r) => r.session },
  { header: 'USER', cell: (r) => r.user },
  { header: 'DATABASE', cell: (r) => r.database },
  { header: 'CLIENT', cell: (r) => r.client },
  { header: 'APPLICATION', cell: (r) => r.application },
  { header: 'METHOD', cell: (r) => r.method ?? '-' },
  { header: 'CODE', cell: (r) => r.code },
  { header: 'REASON', cell: (r) => r.reason },
];

/** The fields of `sessions --failed --expanded`. */
export const expandedAuthFailureFields: readonly ExpandedField<AuthFailureRow>[] = [
  { label: 'time', value: (r) => r.ts },
  { label: 'seq', value: (r) => String(r.seq) },
  { label: 'session', value: (r) => r.session },
  { label: 'user', value: (r) => r.user },
  { label: 'database', value: (r) => r.database },
  { label: 'client', value: (r) => r.client },
  { label: 'application', value: (r) => r.application },
  { label: 'method', value: (r) => r.method ?? '-' },
  { label: 'code', value: (r) => r.code },
  { label: 'reason', value: (r) => r.reason },
];
