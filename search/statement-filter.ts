import { statementKinds, type StatementKind } from './statement-kind.js';
import { StatementFlag, type TrailIndex } from './trail-index.js';

/** What `search` selects; every field left out matches everything. Times are epoch milliseconds. */
export interface StatementFilter {
  readonly user?: string;
  readonly database?: string;
  readonly session?: string;
  /** With `session`: only its statement of this number (`ID#N` as the table prints it). */
  readonly statement?: number;
  /** Statements that started at or after this time. */
  readonly since?: number;
  /** Statements that started before this time. */
  readonly until?: number;
  /** Matched against the SQL text (read from the segments, not the index). */
  readonly grep?: RegExp;
  /** true: any failed statement; a string: a SQLSTATE, or a class when it has two characters (`23`). */
  readonly error?: true | string;
  readonly kinds?: readonly StatementKind[];
}

/** Order of results by journal index, and how many to return at most. */
export interface QueryOptions {
  readonly order: 'asc' | 'desc';
  readonly limit: number | null;
  /** Matches to skip before the first returned (a page's start); 0 when absent. */
  readonly offset?: number;
}

/**
 * The rows of the index that satisfy every filter the index can answer (all but `grep`), in the
 * requested order. Runs over the typed arrays directly: a million rows take milliseconds.
 */
export function* candidateRows(index: TrailIndex, filter: StatementFilter, order: 'asc' | 'desc'): Generator<number> {
  const c = index.columns;
  const n = index.rowCount;
  const ts = c.ts.raw();
  const user = c.user.raw();
  const session = c.session.raw();
  const flags = c.flags.raw();
  const kind = c.kind.raw();
  const code = c.errorCode.raw();

  let userId = -1;
  if (filter.user !== undefined) {
    const id = index.userId(filter.user);
    if (id === undefined) return;
    userId = id;
  }
  let sessionNo = -1;
  if (filter.session !== undefined) {
    const id = index.sessionNumber(filter.session);
    if (id === undefined) return;
    sessionNo = id;
  }
  // Per-session database match, computed once: sessions are few next to statements.
  const inDatabase =
    filter.database === undefined
      ? null
      : Uint8Array.from(index.sessions, (s) => (s.database === filter.database ? 1 : 0));
  const kindMask =
    filter.kinds === undefined ? null : Uint8Array.from(statementKinds, (k) => (filter.kinds?.includes(k) ? 1 : 0));
  const codeMask =
    typeof filter.error === 'string'
      ? Uint8Array.from(index.errorCodes, (e) => (matchesCode(e, filter.error as string) ? 1 : 0))
      : null;
  const since = filter.since ?? -Infinity;
  const until = filter.until ?? Infinity;
  const wantError = filter.error !== undefined;

  const step = order === 'asc' ? 1 : -1;
  for (let row = order === 'asc' ? 0 : n - 1; row >= 0 && row < n; row += step) {
    const t = ts[row] as number;
    if (t < since || t >= until) continue;
    if (userId >= 0 && user[row] !== userId) continue;
    if (sessionNo >= 0 && session[row] !== sessionNo) continue;
    if (inDatabase && inDatabase[session[row] as number] !== 1) continue;
    if (kindMask && kindMask[kind[row] as number] !== 1) continue;
    if (wantError && ((flags[row] as number) & StatementFlag.error) === 0) continue;
    if (codeMask && codeMask[code[row] as number] !== 1) continue;
    yield row;
  }
}

function matchesCode(actual: string, wanted: string): boolean {
  const w = wanted.toUpperCase();
  return actual !== '' && (w.length === 2 ? actual.startsWith(w) : actual === w);
}
