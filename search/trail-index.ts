import type { CloseReason, TrailEvent } from '../recorder/events.js';
import { finishedOf, startedOf } from '../recorder/statement-record.js';
import { GrowableColumn } from './growable-column.js';
import type { RowLocation, RowLocationFile } from './row-locations.js';
import { positionAfter, type LocatedEntry, type RecordLocation, type ScanPosition } from './journal-source.js';
import { recordedTextToString } from './trail-rows.js';
import { statementKind, statementKinds } from './statement-kind.js';

/**
 * The derived index that makes `search` and `sessions` fast: one row per statement in columns
 * (typed arrays, in journal order of the statement.started records) and one summary per session.
 * It holds no SQL and no results, only what filters need plus where each record lies; everything
 * printed is read back from the segments and checked against the index (search/search-statements.ts).
 */

/** Statement flag bits. */
export const StatementFlag = { finished: 1, error: 2 } as const;

/** One session as the index knows it. */
export interface SessionSummary {
  readonly id: string;
  seq: number | null;
  openedTs: number | null;
  closedTs: number | null;
  user: string | null;
  database: string | null;
  reason: CloseReason | null;
  opened: RecordLocation | null;
  closed: RecordLocation | null;
  /** The session.auth_failed record when the login failed (then no session.opened follows). */
  authFailed: RecordLocation | null;
  /** Journal index and time of that record. */
  authFailedSeq: number | null;
  authFailedTs: number | null;
  statements: number;
  errors: number;
}

/** One viewing (a viewer.viewed record) as the index knows it: enough to filter, and where it lies. */
export interface ViewingSummary {
  readonly seq: number;
  readonly ts: number;
  readonly viewer: string;
  readonly location: RecordLocation;
}

/** Names of the statement columns. */
export const columnNames = [
  'seq',
  'ts',
  'session',
  'statement',
  'user',
  'kind',
  'flags',
  'errorCode',
  'startedSegment',
  'startedOffset',
  'startedLength',
  'finishedSegment',
  'finishedOffset',
  'finishedLength',
] as const;
export type ColumnName = (typeof columnNames)[number];

/** The columns every query scans; the others are row locations (search/row-locations.ts). */
export const filterColumnNames = ['ts', 'session', 'user', 'kind', 'flags', 'errorCode'] as const;

/** The typed array type of each column. */
export const columnTypes: Readonly<Record<ColumnName, 'f64' | 'u32' | 'u8'>> = {
  seq: 'f64',
  ts: 'f64',
  session: 'u32',
  statement: 'u32',
  user: 'u32',
  kind: 'u8',
  flags: 'u8',
  errorCode: 'u32',
  startedSegment: 'u32',
  startedOffset: 'f64',
  startedLength: 'u32',
  finishedSegment: 'u32',
  finishedOffset: 'f64',
  finishedLength: 'u32',
};

type Columns = { [K in ColumnName]: GrowableColumn<Float64Array | Uint32Array | Uint8Array> };

/** What a persisted index restores (search/index-store.ts). */
export interface TrailIndexState {
  readonly position: ScanPosition | null;
  readonly users: readonly string[];
  readonly errorCodes: readonly string[];
  readonly segmentNames: readonly string[];
  readonly sessions: readonly SessionSummary[];
  readonly viewings: readonly ViewingSummary[];
  /** Every column, or only the filter columns when `locations` reads the rest from the file. */
  readonly columns: Readonly<Partial<Record<ColumnName, Float64Array | Uint32Array | Uint8Array>>>;
  readonly locations?: RowLocationFile;
}

/** The index being built or queried; `add` takes the journal's entries in order. */
export class TrailIndex {
  position: ScanPosition | null = null;
  readonly users: string[] = [];
  /** SQLSTATEs seen; id 0 is "no error". */
  readonly errorCodes: string[] = [''];
  readonly segmentNames: string[] = [];
  readonly sessions: SessionSummary[] = [];
  /** Viewer records (viewer.viewed), in journal order: few next to statements, so kept as objects. */
  readonly viewings: ViewingSummary[] = [];
  readonly columns: Columns;
  private readonly userIds = new Map<string, number>();
  private readonly codeIds = new Map<string, number>([['', 0]]);
  private readonly segmentIds = new Map<string, number>();
  private readonly sessionIds = new Map<string, number>();
  /** `session:statement` of statements not yet finished, to their row. */
  private readonly pending = new Map<string, number>();
  private pendingKnown = true;
  /** Set when the index was loaded for querying only: row locations come from the file. */
  private readonly locationFile: RowLocationFile | null;

  constructor(state: TrailIndexState | null = null) {
    const make = (name: ColumnName) => {
      const initial = state?.columns[name] ?? null;
      const type = columnTypes[name];
      if (type === 'f64') return new GrowableColumn(Float64Array, initial as Float64Array | null);
      if (type === 'u32') return new GrowableColumn(Uint32Array, initial as Uint32Array | null);
      return new GrowableColumn(Uint8Array, initial as Uint8Array | null);
    };
    this.columns = Object.fromEntries(columnNames.map((n) => [n, make(n)])) as Columns; // keys are columnNames
    this.locationFile = state?.locations ?? null;
    if (!state) return;
    this.position = state.position;
    this.users.push(...state.users);
    this.users.forEach((u, i) => this.userIds.set(u, i));
    this.errorCodes.length = 0;
    this.errorCodes.push(...state.errorCodes);
    this.errorCodes.forEach((c, i) => this.codeIds.set(c, i));
    this.segmentNames.push(...state.segmentNames);
    this.segmentNames.forEach((s, i) => this.segmentIds.set(s, i));
    this.sessions.push(...state.sessions.map((s) => ({ ...s })));
    this.sessions.forEach((s, i) => this.sessionIds.set(s.id, i));
    this.viewings.push(...state.viewings);
    this.pendingKnown = false;
  }

  /** Statements still waiting for their finish, found in the columns only when the index is extended. */
  private pendingRows(): Map<string, number> {
    if (this.pendingKnown) return this.pending;
    const flags = this.columns.flags.raw();
    const session = this.columns.session.raw();
    const statement = this.columns.statement.raw();
    for (let row = 0; row < this.rowCount; row++) {
      if (((flags[row] as number) & StatementFlag.finished) === 0)
        this.pending.set(`${session[row]}:${statement[row]}`, row);
    }
    this.pendingKnown = true;
    return this.pending;
  }

  /** Number of statements indexed. */
  get rowCount(): number {
    return this.columns.ts.length;
  }

  /** Journal index, statement number and record locations of a row. */
  location(row: number): RowLocation {
    if (this.locationFile !== null) return this.locationFile.get(row);
    const c = this.columns;
    return {
      seq: c.seq.get(row),
      statement: c.statement.get(row),
      startedSegment: c.startedSegment.get(row),
      startedOffset: c.startedOffset.get(row),
      startedLength: c.startedLength.get(row),
      finishedSegment: c.finishedSegment.get(row),
      finishedOffset: c.finishedOffset.get(row),
      finishedLength: c.finishedLength.get(row),
    };
  }

  /** True when every column is in memory, as extending and saving need. */
  get isComplete(): boolean {
    return this.locationFile === null;
  }

  /** The session's number in `sessions`, or undefined. */
  sessionNumber(id: string): number | undefined {
    return this.sessionIds.get(id);
  }

  /** The user's id in `users`, or undefined when no statement of that user is indexed. */
  userId(user: string): number | undefined {
    return this.userIds.get(user);
  }

  /** Where the statement.started record of a row lies. */
  startedAt(at: RowLocation): RecordLocation {
    return { segment: this.segmentNames[at.startedSegment] ?? '', offset: at.startedOffset, length: at.startedLength };
  }

  /** Where the statement.finished record of a row lies, or null when it has none yet. */
  finishedAt(row: number, at: RowLocation): RecordLocation | null {
    if ((this.columns.flags.get(row) & StatementFlag.finished) === 0) return null;
    return {
      segment: this.segmentNames[at.finishedSegment] ?? '',
      offset: at.finishedOffset,
      length: at.finishedLength,
    };
  }

  /** Takes the next journal entry into the index. */
  add(entry: LocatedEntry): void {
    if (this.locationFile !== null) throw new Error('an index loaded for querying only cannot be extended');
    const event = entry.event;
    this.position = positionAfter(entry);
    if (event === null) return;
    if (event.type === 'statement') {
      // One record holding both events (format 4): the row's started and finished locations are both this record.
      this.take(entry, startedOf(event));
      this.take(entry, finishedOf(event));
    } else this.take(entry, event);
  }

  private take(entry: LocatedEntry, event: TrailEvent): void {
    switch (event.type) {
      case 'session.opened': {
        const s = this.session(event.session);
        s.seq = entry.index;
        s.openedTs = event.ts;
        s.user = event.identity.user;
        s.database = event.database;
        s.opened = location(entry);
        return;
      }
      case 'session.auth_failed': {
        const s = this.session(event.session);
        s.authFailed = location(entry);
        s.authFailedSeq = entry.index;
        s.authFailedTs = event.ts;
        s.user = event.user;
        s.database = event.database;
        return;
      }
      case 'session.closed': {
        const s = this.session(event.session);
        s.closedTs = event.ts;
        s.reason = event.reason;
        s.closed = location(entry);
        return;
      }
      case 'statement.started': {
        const c = this.columns;
        const session = this.sessionIdFor(event.session);
        const s = this.sessions[session] as SessionSummary;
        s.statements++;
        const row = c.seq.push(entry.index);
        c.ts.push(event.ts);
        c.session.push(session);
        c.statement.push(event.statement);
        c.user.push(intern(this.userIds, this.users, event.user));
        c.kind.push(statementKinds.indexOf(statementKind(null, recordedTextToString(event.sql))));
        c.flags.push(0);
        c.errorCode.push(0);
        c.startedSegment.push(intern(this.segmentIds, this.segmentNames, entry.segment));
        c.startedOffset.push(entry.offset);
        c.startedLength.push(entry.length);
        c.finishedSegment.push(0);
        c.finishedOffset.push(0);
        c.finishedLength.push(0);
        this.pendingRows().set(`${session}:${event.statement}`, row);
        return;
      }
      case 'statement.finished': {
        const session = this.sessionIds.get(event.session);
        const key = `${session}:${event.statement}`;
        const pending = this.pendingRows();
        const row = pending.get(key);
        if (session === undefined || row === undefined) return; // a finish without its start: verify reports it
        pending.delete(key);
        const c = this.columns;
        let flags = StatementFlag.finished;
        if (event.error) {
          flags |= StatementFlag.error;
          c.errorCode.set(row, intern(this.codeIds, this.errorCodes, event.error.code));
          (this.sessions[session] as SessionSummary).errors++;
        }
        c.flags.set(row, flags);
        if (event.command !== null) c.kind.set(row, statementKinds.indexOf(statementKind(event.command, null)));
        c.finishedSegment.set(row, intern(this.segmentIds, this.segmentNames, entry.segment));
        c.finishedOffset.set(row, entry.offset);
        c.finishedLength.set(row, entry.length);
        return;
      }
      case 'viewer.viewed':
        this.viewings.push({ seq: entry.index, ts: event.ts, viewer: event.viewer, location: location(entry) });
        return;
      default:
        return;
    }
  }

  private session(id: string): SessionSummary {
    return this.sessions[this.sessionIdFor(id)] as SessionSummary;
  }

  private sessionIdFor(id: string): number {
    let n = this.sessionIds.get(id);
    if (n === undefined) {
      n = this.sessions.length;
      this.sessions.push({
        id,
        seq: null,
        openedTs: null,
        closedTs: null,
        user: null,
        database: null,
        reason: null,
        opened: null,
        closed: null,
        authFailed: null,
        authFailedSeq: null,
        authFailedTs: null,
        statements: 0,
        errors: 0,
      });
      this.sessionIds.set(id, n);
    }
    return n;
  }
}

function location(entry: LocatedEntry): RecordLocation {
  return { segment: entry.segment, offset: entry.offset, length: entry.length };
}

function intern(ids: Map<string, number>, names: string[], name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}
