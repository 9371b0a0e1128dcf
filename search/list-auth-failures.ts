import type { SessionAuthFailed } from '../recorder/events.js';
import type { JournalSource } from './journal-source.js';
import type { SessionFilter } from './list-sessions.js';
import { openIndex, type OpenedIndex } from './open-index.js';
import { SearchError } from './search-error.js';
import type { QueryOptions } from './statement-filter.js';
import type { SessionSummary, TrailIndex } from './trail-index.js';
import { isoTime, peerText } from './trail-rows.js';

/** One failed login as `sessions --failed` prints it; snake_case like the other listings' JSON. */
export interface AuthFailureRow {
  /** When the login failed, ISO 8601 UTC. */
  readonly ts: string;
  /** Journal index of the session.auth_failed record. */
  readonly seq: number;
  readonly session: string;
  /** The user name the client presented. */
  readonly user: string;
  readonly database: string;
  /** address:port of the client. */
  readonly client: string;
  readonly application: string;
  /** passthrough, password, certificate or token; null when it failed before a method was chosen. */
  readonly method: SessionAuthFailed['method'];
  /** The SQLSTATE the client was sent. */
  readonly code: string;
  /** What failed, in the journal's words (the client is told less). */
  readonly reason: string;
}

/**
 * The failed logins (session.auth_failed records) that match `filter` — its user is the name the
 * client presented, its time the failure's — in journal order (or reversed). Each record is read
 * back from its segment and checked against the index; on a mismatch the index is rebuilt once.
 */
export async function listAuthFailures(
  source: JournalSource,
  filter: Omit<SessionFilter, 'withErrors'>,
  options: QueryOptions & { readonly opened?: OpenedIndex },
): Promise<AuthFailureRow[]> {
  const opened = options.opened ?? (await openIndex(source));
  try {
    return collect(source, opened.index, filter, options);
  } catch (err) {
    if (!(err instanceof SearchError) || err.code !== 'SEARCH_INDEX_MISMATCH' || opened.origin === 'built') throw err;
    return collect(source, (await openIndex(source, { rebuild: true })).index, filter, options);
  }
}

function matches(s: SessionSummary, f: Omit<SessionFilter, 'withErrors'>): boolean {
  if (s.authFailed === null || s.authFailedTs === null) return false;
  if (f.session !== undefined && s.id !== f.session) return false;
  if (f.user !== undefined && s.user !== f.user) return false;
  if (f.database !== undefined && s.database !== f.database) return false;
  if (f.since !== undefined && s.authFailedTs < f.since) return false;
  if (f.until !== undefined && s.authFailedTs >= f.until) return false;
  return true;
}

function collect(
  source: JournalSource,
  index: TrailIndex,
  filter: Omit<SessionFilter, 'withErrors'>,
  options: QueryOptions,
): AuthFailureRow[] {
  const chosen = index.sessions.filter((s) => matches(s, filter));
  // Sessions are numbered in order of their first record: for a failed login, its only one.
  if (options.order === 'desc') chosen.reverse();
  return (options.limit === null ? chosen : chosen.slice(0, options.limit)).map((s) => row(source, s));
}

function row(source: JournalSource, s: SessionSummary): AuthFailureRow {
  const mismatch = () =>
    new SearchError(
      'SEARCH_INDEX_MISMATCH',
      `the search index does not match the journal at record ${s.authFailedSeq}`,
    );
  if (s.authFailed === null) throw mismatch();
  let entry: ReturnType<JournalSource['readAt']>;
  try {
    entry = source.readAt(s.authFailed);
  } catch (cause) {
    throw new SearchError('SEARCH_INDEX_MISMATCH', 'the search index points at no record', { cause });
  }
  const e = entry.event;
  if (e?.type !== 'session.auth_failed' || entry.index !== s.authFailedSeq || e.session !== s.id || e.user !== s.user)
    throw mismatch();
  return {
    ts: isoTime(e.ts),
    seq: entry.index,
    session: e.session,
    user: e.user,
    database: e.database,
    client: peerText(e.client),
    application: e.application,
    // Journals written before the method was recorded have none.
    method: e.method ?? null,
    code: e.code,
    reason: e.reason,
  };
}
