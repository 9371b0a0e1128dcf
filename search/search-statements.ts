import type { SessionOpened, StatementFinished, StatementStarted } from '../recorder/events.js';
import { finishedOf, startedOf } from '../recorder/statement-record.js';
import type { JournalSource, RecordLocation } from './journal-source.js';
import { openIndex, type OpenedIndex, type ProgressListener } from './open-index.js';
import { candidateRows, type QueryOptions, type StatementFilter } from './statement-filter.js';
import { SearchError } from './search-error.js';
import type { RowLocation } from './row-locations.js';
import type { TrailIndex } from './trail-index.js';
import { statementRow, type StatementRow } from './trail-rows.js';

/** Search options beyond the filter: order, limit, a progress listener for long scans. */
export interface SearchOptions extends QueryOptions {
  readonly progress?: ProgressListener;
  /** The index when the caller has just opened it (to resolve a session name first); else it is opened here. */
  readonly opened?: OpenedIndex;
}

/**
 * The statements that match `filter`, in journal order (or reversed), at most `limit` of them. The
 * index picks the candidates; each one's records are then read from the segments and checked
 * against the index before anything from them is returned. When a check fails, the index is rebuilt
 * from the segments and the search runs once more.
 */
export async function searchStatements(
  source: JournalSource,
  filter: StatementFilter,
  options: SearchOptions,
): Promise<StatementRow[]> {
  const opened = options.opened ?? (await openIndex(source, options.progress ? { progress: options.progress } : {}));
  try {
    return statementsFromIndex(source, opened.index, filter, options);
  } catch (err) {
    if (!(err instanceof SearchError) || err.code !== 'SEARCH_INDEX_MISMATCH' || opened.origin === 'built') throw err;
    const rebuilt = await openIndex(source, {
      rebuild: true,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    return statementsFromIndex(source, rebuilt.index, filter, options);
  }
}

/** The matching statements of an index that is already up to date (searchStatements without opening the index). */
export function statementsFromIndex(
  source: JournalSource,
  index: TrailIndex,
  filter: StatementFilter,
  options: SearchOptions,
): StatementRow[] {
  const rows: StatementRow[] = [];
  const sessions = new Map<number, SessionOpened | null>();
  const total = index.rowCount;
  let seen = 0;
  let skip = options.offset ?? 0;
  for (const row of candidateRows(index, filter, options.order)) {
    if (options.limit !== null && rows.length >= options.limit) break;
    if (options.progress && filter.grep && ++seen % 65_536 === 0)
      options.progress({ records: seen, bytes: seen, totalBytes: total });
    const at = index.location(row);
    if (filter.statement !== undefined && at.statement !== filter.statement) continue;
    if (filter.grep && source.peekSql) {
      // Most statements of a full --grep scan do not match: look at their SQL alone first.
      const sql = source.peekSql(index.startedAt(at), at.seq);
      filter.grep.lastIndex = 0;
      if (sql !== null && !filter.grep.test(sql)) continue;
    }
    const started = readStarted(source, index, row, at);
    const sql = started.sql;
    if (filter.grep) {
      filter.grep.lastIndex = 0;
      if (!filter.grep.test(typeof sql === 'string' ? sql : Buffer.from(sql.base64, 'base64').toString('utf8')))
        continue;
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    const finished = readFinished(source, index, row, at);
    const sessionNo = index.columns.session.get(row);
    let opened = sessions.get(sessionNo);
    if (opened === undefined) {
      opened = readOpened(source, index, sessionNo);
      sessions.set(sessionNo, opened);
    }
    rows.push(statementRow(at.seq, started, finished, opened));
  }
  return rows;
}

function mismatch(what: string): SearchError {
  return new SearchError('SEARCH_INDEX_MISMATCH', `the search index does not match the journal at ${what}`);
}

function readEvent(source: JournalSource, at: RecordLocation, seq: number | null) {
  let entry: ReturnType<JournalSource['readAt']>;
  try {
    entry = source.readAt(at);
  } catch (cause) {
    throw new SearchError('SEARCH_INDEX_MISMATCH', `the search index points at no record in ${at.segment}`, { cause });
  }
  if (seq !== null && entry.index !== seq) throw mismatch(`record ${seq}`);
  return { index: entry.index, event: entry.event };
}

function readStarted(source: JournalSource, index: TrailIndex, row: number, at: RowLocation): StatementStarted {
  const c = index.columns;
  const seq = at.seq;
  const { event: read } = readEvent(source, index.startedAt(at), seq);
  const event = read?.type === 'statement' ? startedOf(read) : read;
  const session = index.sessions[c.session.get(row)];
  if (
    event?.type !== 'statement.started' ||
    event.session !== session?.id ||
    event.statement !== at.statement ||
    event.user !== index.users[c.user.get(row)] ||
    event.ts !== c.ts.get(row)
  ) {
    throw mismatch(`record ${seq}`);
  }
  return event;
}

function readFinished(
  source: JournalSource,
  index: TrailIndex,
  row: number,
  at: RowLocation,
): StatementFinished | null {
  const where = index.finishedAt(row, at);
  if (where === null) return null;
  const { event: read, index: seq } = readEvent(source, where, null);
  const event = read?.type === 'statement' ? finishedOf(read) : read;
  const c = index.columns;
  if (
    event?.type !== 'statement.finished' ||
    event.session !== index.sessions[c.session.get(row)]?.id ||
    event.statement !== at.statement
  ) {
    throw mismatch(`record ${seq}`);
  }
  return event;
}

/** The session.opened record of a session, read and checked, or null when the journal has none. */
export function readOpened(source: JournalSource, index: TrailIndex, sessionNo: number): SessionOpened | null {
  const summary = index.sessions[sessionNo];
  if (!summary?.opened) return null;
  const { event } = readEvent(source, summary.opened, summary.seq);
  if (event?.type !== 'session.opened' || event.session !== summary.id || event.identity.user !== summary.user) {
    throw mismatch(`record ${summary.seq}`);
  }
  return event;
}
