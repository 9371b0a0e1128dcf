import type {
  CopyOutcome,
  RecordedText,
  SessionClosed,
  SessionOpened,
  StatementFinished,
  StatementStarted,
} from '../recorder/events.js';
import { isPrunedPlaceholder } from '../recorder/pruned-placeholder.js';
import { statementKind, type StatementKind } from './statement-kind.js';

/** One statement as `search` prints it; the snake_case fields are PRODUCT.md's `search --json` contract. */
export interface StatementRow {
  /** When the statement started, ISO 8601 UTC. */
  readonly ts: string;
  /** Journal index of the statement.started record. */
  readonly seq: number;
  readonly session: string;
  /** Number of the statement within its session. */
  readonly statement: number;
  readonly user: string;
  readonly database: string | null;
  readonly role: string;
  /** address:port of the client. */
  readonly client: string | null;
  readonly application: string | null;
  /** The pgtrail instance (proxy) the session went through, when its session.opened names one. */
  readonly instance: string | null;
  readonly sql: string;
  readonly params: readonly (string | null)[] | null;
  readonly command: string | null;
  readonly rows: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** null when the statement has no finished record (still running, or the session was cut). */
  readonly duration_ms: number | null;
  readonly kind: StatementKind;
  readonly protocol: StatementStarted['protocol'];
  readonly result_digest: string | null;
  readonly not_executed: boolean;
  readonly finished: boolean;
  /** The first rows of the result as text, when the recorder captured them. */
  readonly captured_rows: readonly (readonly (string | null)[])[] | null;
  /** The COPY data stream, when the statement was a COPY: direction, bytes and their SHA-256. */
  readonly copy: CopyOutcome | null;
  /** Name of the redaction rule applied to sql and params before they were recorded, or null. */
  readonly redaction: string | null;
  /** True when `pgtrail prune` removed the statement's content (sql reads `(pruned)`). */
  readonly pruned: boolean;
}

/** One session as `sessions` prints it. */
export interface SessionRow {
  readonly session: string;
  /** Journal index of the session.opened record, or null when the journal holds none for it. */
  readonly seq: number | null;
  readonly opened: string | null;
  readonly closed: string | null;
  readonly user: string | null;
  readonly database: string | null;
  readonly role: string | null;
  readonly client: string | null;
  /** address:port of the PostgreSQL server the session was forwarded to. */
  readonly upstream: string | null;
  /** That server's cluster `system_identifier`, when the proxy learned it (replay --to compares it). */
  readonly upstream_system_id: string | null;
  readonly application: string | null;
  /** The pgtrail instance (proxy) the session went through, when its session.opened names one. */
  readonly instance: string | null;
  readonly reason: SessionClosed['reason'] | null;
  readonly duration_ms: number | null;
  readonly statements: number;
  readonly errors: number;
}

/** Text as recorded, as a string: bytes that were not UTF-8 are decoded with replacement characters. */
export function recordedTextToString(text: RecordedText): string {
  return typeof text === 'string' ? text : Buffer.from(text.base64, 'base64').toString('utf8');
}

/** ISO 8601 UTC from epoch milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** address:port */
export function peerText(peer: { readonly address: string; readonly port: number }): string {
  return peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

/** Joins a statement's records (and its session's opening record, when known) into one row. */
export function statementRow(
  seq: number,
  started: StatementStarted,
  finished: StatementFinished | null,
  opened: SessionOpened | null,
): StatementRow {
  const sql = recordedTextToString(started.sql);
  return {
    ts: isoTime(started.ts),
    seq,
    session: started.session,
    statement: started.statement,
    user: started.user,
    database: opened?.database ?? null,
    role: started.role,
    client: opened ? peerText(opened.client) : null,
    application: opened?.application ?? null,
    instance: opened?.instance ?? null,
    sql,
    params: started.params,
    command: finished?.command ?? null,
    rows: finished?.rows ?? null,
    error: finished?.error ?? null,
    duration_ms: finished?.durationMs ?? null,
    kind: statementKind(finished?.command ?? null, sql),
    protocol: started.protocol,
    result_digest: finished?.resultDigest ?? null,
    not_executed: finished?.notExecuted ?? false,
    finished: finished !== null,
    captured_rows: finished?.capturedRows ?? null,
    copy: finished?.copy ?? null,
    redaction: started.redaction,
    pruned: isPrunedPlaceholder(started),
  };
}
