import type { JournalSource } from '../search/journal-source.js';
import { listSessions } from '../search/list-sessions.js';
import { searchStatements } from '../search/search-statements.js';
import type { SessionRow, StatementRow } from '../search/trail-rows.js';
import { ReplayError } from './replay-error.js';

/** A session and its statements in the order they started: what replay shows and re-executes. */
export interface SessionTimeline {
  readonly session: SessionRow;
  readonly statements: readonly StatementRow[];
}

/** Reads one session's timeline from the journal (through the index; every record read back and checked). */
export async function loadSessionTimeline(source: JournalSource, session: string): Promise<SessionTimeline> {
  const [row] = await listSessions(source, { session }, { order: 'asc', limit: 1 });
  if (!row) throw new ReplayError('REPLAY_SESSION_NOT_FOUND', `no session ${JSON.stringify(session)} in the journal`);
  const statements = await searchStatements(source, { session }, { order: 'asc', limit: null });
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
