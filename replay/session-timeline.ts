import type { JournalSource } from '../search/journal-source.js';
import { listSessions } from '../search/list-sessions.js';
import { openIndex } from '../search/open-index.js';
import { searchStatements } from '../search/search-statements.js';
import { resolveSessionName } from '../search/session-names.js';
import type { SessionRow, StatementRow } from '../search/trail-rows.js';
import { ReplayError } from './replay-error.js';

/** A session and its statements in the order they started: what replay shows and re-executes. */
export interface SessionTimeline {
  readonly session: SessionRow;
  readonly statements: readonly StatementRow[];
}

/**
 * Reads one session's timeline from the journal (through the index; every record read back and
 * checked). `name` is its id, a prefix only it has, or `ID#N` (search/session-names.ts).
 */
export async function loadSessionTimeline(source: JournalSource, name: string): Promise<SessionTimeline> {
  const opened = await openIndex(source);
  const session = resolveSessionName(opened.index, name);
  const [row] = session === null ? [] : await listSessions(source, { session }, { order: 'asc', limit: 1, opened });
  if (!row) {
    const number = session === null ? undefined : opened.index.sessionNumber(session);
    const failedLogin = number !== undefined && (opened.index.sessions[number]?.authFailed ?? null) !== null;
    throw new ReplayError(
      'REPLAY_SESSION_NOT_FOUND',
      failedLogin
        ? `${JSON.stringify(name)} is a failed login, not a session: see pgtrail sessions --failed`
        : `no session ${JSON.stringify(name)} in the journal`,
    );
  }
  const statements = await searchStatements(source, { session: row.session }, { order: 'asc', limit: null, opened });
  return { session: row, statements };
}

/** Milliseconds from the session's start (or its first statement) to a statement. */
export function offsetMs(
  timeline: Pick<SessionTimeline, 'session'>,
  first: StatementRow | undefined,
  row: StatementRow,
): number {
  const start = timeline.session.opened ?? first?.ts ?? row.ts;
  return Date.parse(row.ts) - Date.parse(start);
}
