/**
 * One session as the page knows it, built only from the record lines themselves (the same lines the
 * page verifies), never from a server's summary of them. Lines may arrive in any order and more than
 * once (a page, then live pushes); each is taken once, by its journal index.
 */
import type {
  JournalEvent,
  SessionClosed,
  SessionNotified,
  SessionOpened,
  SessionRoleChanged,
  StatementCancelRequested,
  StatementFinished,
  StatementStarted,
  TrailEvent,
} from '../../recorder/events.js';
import { eventsOfRecord } from '../../recorder/statement-record.js';

/** A statement: its started record and, once it has one, its finished record. */
export interface StatementItem {
  readonly kind: 'statement';
  readonly seq: number;
  readonly started: StatementStarted;
  finished: StatementFinished | null;
  finishedSeq: number | null;
}

/** One entry of the timeline, in journal order. */
export type TimelineItem =
  | StatementItem
  | { readonly kind: 'role'; readonly seq: number; readonly event: SessionRoleChanged }
  | { readonly kind: 'cancel'; readonly seq: number; readonly event: StatementCancelRequested }
  | { readonly kind: 'notify'; readonly seq: number; readonly event: SessionNotified };

/** A record line as the server sends it. */
export interface RecordLine {
  readonly seq: number;
  readonly line: string;
}

/** The session built from its record lines. */
export class SessionModel {
  opened: SessionOpened | null = null;
  openedSeq: number | null = null;
  closed: SessionClosed | null = null;
  closedSeq: number | null = null;
  /** Every line taken, by journal index: what is verified. */
  readonly lines = new Map<number, string>();
  readonly #items: TimelineItem[] = [];
  readonly #statements = new Map<number, StatementItem>();
  readonly #unmatchedFinishes = new Map<number, { seq: number; event: StatementFinished }>();

  constructor(readonly session: string) {}

  /** Timeline entries in journal order. */
  get items(): readonly TimelineItem[] {
    return this.#items;
  }

  /** Takes record lines; returns whether anything new was taken. Lines of other sessions are ignored. */
  add(records: readonly RecordLine[]): boolean {
    let changed = false;
    for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
      if (this.lines.has(r.seq)) continue;
      let event: JournalEvent | undefined;
      try {
        event = (JSON.parse(r.line) as { event?: JournalEvent }).event;
      } catch {
        event = undefined;
      }
      if (!event || !('session' in event) || event.session !== this.session) continue;
      this.lines.set(r.seq, r.line);
      changed = true;
      // A statement recorded as one record (format 4) is taken as its two events, both at its index.
      for (const e of eventsOfRecord(event)) this.take(r.seq, e);
    }
    return changed;
  }

  private take(seq: number, event: TrailEvent): void {
    switch (event.type) {
      case 'session.opened':
        this.opened = event;
        this.openedSeq = seq;
        return;
      case 'session.closed':
        this.closed = event;
        this.closedSeq = seq;
        return;
      case 'statement.started': {
        const item: StatementItem = { kind: 'statement', seq, started: event, finished: null, finishedSeq: null };
        const early = this.#unmatchedFinishes.get(event.statement);
        if (early) {
          item.finished = early.event;
          item.finishedSeq = early.seq;
          this.#unmatchedFinishes.delete(event.statement);
        }
        this.#statements.set(event.statement, item);
        this.insert(item);
        return;
      }
      case 'statement.finished': {
        const item = this.#statements.get(event.statement);
        if (item) {
          item.finished = event;
          item.finishedSeq = seq;
        } else this.#unmatchedFinishes.set(event.statement, { seq, event });
        return;
      }
      case 'session.role_changed':
        this.insert({ kind: 'role', seq, event });
        return;
      case 'statement.cancel_requested':
        this.insert({ kind: 'cancel', seq, event });
        return;
      case 'session.notified':
        this.insert({ kind: 'notify', seq, event });
        return;
      default:
        return;
    }
  }

  private insert(item: TimelineItem): void {
    let at = this.#items.length;
    while (at > 0 && (this.#items[at - 1] as TimelineItem).seq > item.seq) at--;
    this.#items.splice(at, 0, item);
  }
}
