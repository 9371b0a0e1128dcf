import type { JournalSource } from './journal-source.js';
import { openIndex, type OpenedIndex, type ProgressListener } from './open-index.js';
import { readOpened } from './search-statements.js';
import { SearchError } from './search-error.js';
import type { QueryOptions } from './statement-filter.js';
import type { SessionSummary, TrailIndex } from './trail-index.js';
import { isoTime, peerText, type SessionRow } from './trail-rows.js';

/** What `sessions` selects; times are epoch milliseconds. */
export interface SessionFilter {
  readonly user?: string;
  readonly database?: string;
  readonly session?: string;
  /** Sessions still open at or after this time. */
  readonly since?: number;
  /** Sessions opened before this time. */
  readonly until?: number;
  /** Only sessions with at least one failed statement. */
  readonly withErrors?: boolean;
  /** Only sessions open now: no session.closed record yet. */
  readonly openNow?: boolean;
}

/**
 * The sessions that match `filter` — those active at some moment in [since, until) — in the order
 * they opened (or reversed). Each row's session.opened record is read back and checked against the
 * index; on a mismatch the index is rebuilt once.
 */
export async function listSessions(
  source: JournalSource,
  filter: SessionFilter,
  options: QueryOptions & { readonly progress?: ProgressListener; readonly opened?: OpenedIndex },
): Promise<SessionRow[]> {
  const progress = options.progress ? { progress: options.progress } : {};
  const opened = options.opened ?? (await openIndex(source, progress));
  try {
    return collect(source, opened.index, filter, options);
  } catch (err) {
    if (!(err instanceof SearchError) || err.code !== 'SEARCH_INDEX_MISMATCH' || opened.origin === 'built') throw err;
    return collect(source, (await openIndex(source, { rebuild: true, ...progress })).index, filter, options);
  }
}

function matches(s: SessionSummary, f: SessionFilter): boolean {
  // A failed login is not a session: it is listed by listAuthFailures.
  if (s.authFailed !== null && s.opened === null) return false;
  if (f.session !== undefined && s.id !== f.session) return false;
  if (f.user !== undefined && s.user !== f.user) return false;
  if (f.database !== undefined && s.database !== f.database) return false;
  if (f.since !== undefined && s.closedTs !== null && s.closedTs < f.since) return false;
  if (f.until !== undefined && (s.openedTs ?? -Infinity) >= f.until) return false;
  if (f.withErrors === true && s.errors === 0) return false;
  if (f.openNow === true && s.closedTs !== null) return false;
  return true;
}

function collect(source: JournalSource, index: TrailIndex, filter: SessionFilter, options: QueryOptions): SessionRow[] {
  return sessionsFromIndex(source, index, filter, options).rows;
}

/**
 * One page of the sessions that match `filter` in an index that is already up to date (listSessions
 * without opening the index), with how many match in all: the viewer pages through a journal's
 * sessions this way. Only the page's rows are read from the segments.
 */
export function sessionsFromIndex(
  source: JournalSource,
  index: TrailIndex,
  filter: SessionFilter,
  options: QueryOptions,
): { total: number; rows: SessionRow[] } {
  const numbers: number[] = [];
  index.sessions.forEach((s, i) => {
    if (matches(s, filter)) numbers.push(i);
  });
  // Sessions are numbered in order of their first record, which is their opening record when there is one.
  if (options.order === 'desc') numbers.reverse();
  const start = options.offset ?? 0;
  const chosen = numbers.slice(start, options.limit === null ? undefined : start + options.limit);
  const rows = chosen.map((n) => {
    const s = index.sessions[n] as SessionSummary;
    const opened = readOpened(source, index, n);
    return {
      session: s.id,
      seq: s.seq,
      opened: s.openedTs === null ? null : isoTime(s.openedTs),
      closed: s.closedTs === null ? null : isoTime(s.closedTs),
      user: opened?.identity.user ?? null,
      database: opened?.database ?? null,
      role: opened?.role ?? null,
      client: opened ? peerText(opened.client) : null,
      // Journals written before SessionOpened carried the upstream have none.
      upstream: opened?.upstream ? peerText(opened.upstream) : null,
      upstream_system_id: opened?.upstreamSystemId ?? null,
      application: opened?.application ?? null,
      instance: opened?.instance ?? null,
      reason: s.reason,
      duration_ms: s.openedTs !== null && s.closedTs !== null ? s.closedTs - s.openedTs : null,
      statements: s.statements,
      errors: s.errors,
    };
  });
  return { total: numbers.length, rows };
}
