/**
 * Turns journal event records into the objects `pgtrail export` delivers: one per event record, in
 * journal order, with the field names of `search --json` (docs/siem-export.md). A statement's
 * finished record is joined with its started record and its session's opening record, as search
 * joins them, so a SIEM needs no state of its own; ExportState keeps what that takes (the opening
 * record and the unfinished statements of each open session), which is let go at session.closed.
 */
import type { JournalEvent, SessionOpened, StatementStarted, TrailEvent } from '../recorder/events.js';
import { finishedOf, startedOf } from '../recorder/statement-record.js';
import { isoTime, peerText, statementRow } from '../search/trail-rows.js';

/** One exported object: `event` says which record it is and `seq` is that record's journal index. */
export type ExportRecord = {
  readonly event: string;
  readonly seq: number;
  readonly ts: string;
  readonly session: string;
} & Readonly<Record<string, unknown>>;

interface OpenSession {
  readonly opened: SessionOpened | null;
  readonly statements: Map<number, { readonly seq: number; readonly started: StatementStarted }>;
}

/** Open sessions, so that statements can be joined (see the module comment). */
export class ExportState {
  readonly #sessions = new Map<string, OpenSession>();

  /** Takes one event record into the state without exporting it (records before the cursor). */
  track(seq: number, event: JournalEvent): void {
    this.toRecord(seq, event);
  }

  /**
   * The exported object for the event record at `seq`, updating the state. A statement recorded as
   * one record (docs/journal-format.md §14) is one object, its statement.finished one (the whole
   * statement, `started_seq` = `seq`): one object per record keeps `seq` unique.
   */
  toRecord(seq: number, event: JournalEvent): ExportRecord {
    if (event.type === 'statement') {
      this.#eventRecord(seq, startedOf(event));
      return this.#eventRecord(seq, finishedOf(event));
    }
    return this.#eventRecord(seq, event);
  }

  #eventRecord(seq: number, event: TrailEvent): ExportRecord {
    switch (event.type) {
      case 'session.opened':
        this.#sessions.set(event.session, { opened: event, statements: new Map() });
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          user: event.identity.user,
          method: event.identity.method.kind,
          database: event.database,
          role: event.role,
          client: peerText(event.client),
          upstream: peerText(event.upstream),
          application: event.application,
          client_tls: event.clientTls?.version ?? null,
          upstream_tls: event.upstreamTls?.version ?? null,
        };
      case 'session.auth_failed':
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          user: event.user,
          database: event.database,
          client: peerText(event.client),
          application: event.application,
          error: { code: event.code, message: event.reason },
        };
      case 'session.closed': {
        this.#sessions.delete(event.session);
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          reason: event.reason,
          duration_ms: event.durationMs,
          statements: event.statements,
        };
      }
      case 'statement.started': {
        const session = this.#session(event.session);
        session.statements.set(event.statement, { seq, started: event });
        const { seq: _started, ...row } = statementRow(seq, event, null, session.opened);
        return { event: event.type, seq, started_seq: seq, ...row };
      }
      case 'statement.finished': {
        const session = this.#session(event.session);
        const started = session.statements.get(event.statement);
        session.statements.delete(event.statement);
        if (started === undefined) {
          // Its started record is not in the journal (or not readable): export what this record says.
          return {
            event: event.type,
            seq,
            ts: isoTime(event.ts),
            session: event.session,
            statement: event.statement,
            started_seq: null,
            command: event.command,
            rows: event.rows,
            error: event.error,
            duration_ms: event.durationMs,
            result_digest: event.resultDigest,
            not_executed: event.notExecuted,
          };
        }
        const { seq: _started, ...row } = statementRow(started.seq, started.started, event, session.opened);
        return { event: event.type, seq, started_seq: started.seq, ...row };
      }
      case 'statement.cancel_requested':
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          statement: event.statement,
          client: peerText(event.client),
        };
      case 'session.role_changed':
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          statement: event.statement,
          role: event.role,
        };
      case 'session.notified':
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          channel: event.channel,
          sender_pid: event.senderPid,
          payload_sha256: event.payloadSha256,
        };
      case 'viewer.viewed':
        // A viewing in the web viewer: the fields of `search --viewings --json`.
        return {
          event: event.type,
          seq,
          ts: isoTime(event.ts),
          session: event.session,
          viewer: event.viewer,
          method: event.method.kind,
          issuer: event.method.kind === 'token' ? event.method.issuer : null,
          client: peerText(event.client),
          action: event.action,
          target: event.target,
        };
    }
  }

  #session(id: string): OpenSession {
    let session = this.#sessions.get(id);
    if (session === undefined) {
      session = { opened: null, statements: new Map() };
      this.#sessions.set(id, session);
    }
    return session;
  }
}
