/**
 * The seam between the proxy and the recorder: what a session reports, in the order it happens.
 *
 * The proxy emits these events; the recorder turns each into one journal record. They are the record
 * schema for sessions and statements, so every field here is part of the journal format
 * (docs/journal-format.md). Timestamps are milliseconds since the Unix epoch (UTC): whole for
 * session records (Date.now()), with a fraction for the records the statement observer emits
 * (performance.timeOrigin + performance.now(), so statements within one millisecond keep their order);
 * durations are milliseconds with sub-millisecond precision. Text the client sent is carried as `RecordedText` so
 * that bytes which are not valid UTF-8 survive without loss.
 */

/** Text as the client sent it: a string when the bytes were valid UTF-8, else the raw bytes in base64. */
export type RecordedText = string | { readonly base64: string };

/** A peer address as seen by pgtrail. */
export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** How an identity was proven to pgtrail. */
export type IdentityMethod =
  | { readonly kind: 'passthrough' }
  | { readonly kind: 'password' }
  | { readonly kind: 'certificate'; readonly fingerprint: string; readonly subject: string }
  | { readonly kind: 'token'; readonly issuer: string; readonly subject: string };

/** The person or service behind a session. */
export interface Identity {
  /** The authenticated name: the role PostgreSQL accepted (passthrough) or the proxy-managed user. */
  readonly user: string;
  readonly method: IdentityMethod;
}

/** TLS parameters of one leg, or null when that leg is plaintext. */
export interface TlsInfo {
  readonly version: string;
  readonly cipher: string;
  /** Subject of the client certificate, when the client presented one. */
  readonly clientCertSubject: string | null;
}

/** A session was authenticated and is ready for queries. */
export interface SessionOpened {
  readonly type: 'session.opened';
  readonly ts: number;
  readonly session: string;
  readonly identity: Identity;
  readonly database: string;
  /** The database role used upstream. */
  readonly role: string;
  readonly client: Peer;
  /** The PostgreSQL server this session was forwarded to (replay --to refuses it unless forced). */
  readonly upstream: Peer;
  readonly application: string;
  readonly clientTls: TlsInfo | null;
  readonly upstreamTls: TlsInfo | null;
  readonly backendPid: number;
  readonly serverVersion: string;
  /**
   * The upstream cluster's `system_identifier` (decimal), which `replay --to` compares with its
   * target's; null when the server would not tell, absent in journals written before it was recorded.
   */
  readonly upstreamSystemId?: string | null;
  /** The pgtrail instance (proxy) the session went through: config `instance`, default its listen host:port. */
  readonly instance?: string;
}

/** Authentication failed; no session was opened. */
export interface SessionAuthFailed {
  readonly type: 'session.auth_failed';
  readonly ts: number;
  readonly session: string;
  /** The identity attempted: the user name the client presented. */
  readonly user: string;
  readonly database: string;
  readonly client: Peer;
  readonly application: string;
  /** SQLSTATE sent to the client (28P01, 28000, ...). */
  readonly code: string;
  readonly reason: string;
  /**
   * How the client tried to prove who it is, once that was decided: passthrough, or the
   * proxy-managed password, certificate or token; null when it failed before (too many clients, rate
   * limited). Journals written before this member existed lack it: read a missing one as null.
   */
  readonly method: IdentityMethod['kind'] | null;
  /** The pgtrail instance (proxy) the attempt went through, as in session.opened. */
  readonly instance?: string;
}

/** Why a session ended. */
export type CloseReason =
  | 'client_quit'
  | 'client_gone'
  | 'error'
  | 'upstream_gone'
  | 'shutdown'
  | 'idle_timeout'
  /** pgtrail stopped (a crash, kill -9) without closing the session; recorded when the journal was next opened. */
  | 'proxy_stopped';

/** A session ended. */
export interface SessionClosed {
  readonly type: 'session.closed';
  readonly ts: number;
  readonly session: string;
  readonly reason: CloseReason;
  readonly durationMs: number;
  readonly statements: number;
}

/** Which protocol path carried a statement. */
export type StatementProtocol = 'simple' | 'extended' | 'function_call';

/** A statement is about to be forwarded. In strict durability it is durable before the first byte leaves. */
export interface StatementStarted {
  readonly type: 'statement.started';
  readonly ts: number;
  readonly session: string;
  /** 1-based number of the statement within its session. */
  readonly statement: number;
  readonly user: string;
  /** The effective upstream role at the time (changes with SET ROLE / SET SESSION AUTHORIZATION). */
  readonly role: string;
  readonly protocol: StatementProtocol;
  /** The SQL text of this statement (one statement of a multi-statement Query string is its own record). */
  readonly sql: RecordedText;
  /** Parameters as recorded: text, decoded binary, or hex for unknown binary types; null when none were bound. */
  readonly params: readonly (string | null)[] | null;
  /** Named prepared statement and portal for the extended protocol ('' is the unnamed one). */
  readonly preparedName: string | null;
  readonly portal: string | null;
  /** Name of the redaction rule applied to sql/params before recording, or null. */
  readonly redaction: string | null;
}

/** What came of a statement. */
export interface StatementFinished {
  readonly type: 'statement.finished';
  readonly ts: number;
  readonly session: string;
  readonly statement: number;
  /** The command tag (e.g. 'INSERT 0 3'), or null on error or when not executed. */
  readonly command: string | null;
  readonly rows: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** From when the statement left pgtrail to its completion. */
  readonly durationMs: number;
  /** ReadyForQuery transaction status after it: 'I' idle, 'T' in transaction, 'E' failed transaction; null if not yet known. */
  readonly txStatus: 'I' | 'T' | 'E' | null;
  /** SHA-256 (hex) over the DataRow message bodies of the result in the order sent, or null when no rows. */
  readonly resultDigest: string | null;
  /**
   * True when the server did not run the statement: it skipped it (an earlier error in the same
   * batch or Query string) or refused it before running it (its Parse, Bind or Describe failed, or a
   * syntax error elsewhere in its Query string; `error` then says why).
   */
  readonly notExecuted: boolean;
  /** COPY details when the statement was a COPY. */
  readonly copy: CopyOutcome | null;
  /** The first rows of the result as text, when capture is configured; else null. */
  readonly capturedRows: readonly (readonly (string | null)[])[] | null;
}

/**
 * A statement whose started and finished events are one record (format 4, batched durability only;
 * docs/journal-format.md §14): every member of its statement.started in the same order, `ts` being
 * the started one, then `finishedTs` (the statement.finished's `ts`) and every other member of its
 * statement.finished. `session` and `statement`, which the two share, appear once. Readers that work
 * on events read it as the two events it holds (recorder/statement-record.ts).
 */
export interface StatementRecorded
  extends Omit<StatementStarted, 'type'>,
    Omit<StatementFinished, 'type' | 'ts' | 'session' | 'statement'> {
  readonly type: 'statement';
  readonly finishedTs: number;
}

/** The data stream of a COPY. */
export interface CopyOutcome {
  readonly direction: 'in' | 'out';
  readonly bytes: number;
  /** SHA-256 (hex) over the CopyData bodies in order. */
  readonly sha256: string;
}

/** The client asked to cancel whatever its session was running. */
export interface StatementCancelRequested {
  readonly type: 'statement.cancel_requested';
  readonly ts: number;
  readonly session: string;
  /** The statement that was running when the cancel arrived, or null when none was. */
  readonly statement: number | null;
  readonly client: Peer;
}

/** The effective role of a session changed (SET ROLE, SET SESSION AUTHORIZATION, RESET ROLE). */
export interface SessionRoleChanged {
  readonly type: 'session.role_changed';
  readonly ts: number;
  readonly session: string;
  readonly statement: number;
  readonly role: string;
}

/** A NotificationResponse was delivered to the session (LISTEN/NOTIFY). */
export interface SessionNotified {
  readonly type: 'session.notified';
  readonly ts: number;
  readonly session: string;
  readonly channel: string;
  readonly senderPid: number;
  /** SHA-256 (hex) of the payload bytes; the payload itself is application data. */
  readonly payloadSha256: string;
}

/** What a reviewer did in the web viewer. */
export type ViewingAction = 'login' | 'sessions' | 'session' | 'search' | 'bundle';

/**
 * A reviewer looked at the journal through the web viewer (`pgtrail serve`, or the viewer of
 * `pgtrail start`): who, what and when, so that who watched whom is as tamper-evident as the rest.
 */
export interface ViewerViewed {
  readonly type: 'viewer.viewed';
  readonly ts: number;
  /** The viewer login this viewing belongs to: random, one per exchanged login token or SSO token. */
  readonly session: string;
  /** Who: 'login-token' (the token printed at start) or the identity claim of an SSO token. */
  readonly viewer: string;
  /** How the viewer proved it: the printed login token, or an SSO token (JWT) of `issuer`. */
  readonly method: { readonly kind: 'login-token' } | { readonly kind: 'token'; readonly issuer: string };
  readonly client: Peer;
  readonly action: ViewingAction;
  /** What was viewed: the session id, or the filters of a listing or search as a query string. */
  readonly target: string;
}

/** Everything a session reports. */
export type TrailEvent =
  | SessionOpened
  | SessionAuthFailed
  | SessionClosed
  | StatementStarted
  | StatementFinished
  | StatementCancelRequested
  | SessionRoleChanged
  | SessionNotified
  | ViewerViewed;

/** What an event record of the journal holds: an event, or (format 4) a statement as one record. */
export type JournalEvent = TrailEvent | StatementRecorded;

/** Where events go. Implemented by the recorder; called by the proxy on its forwarding path. */
export interface EventSink {
  /**
   * Accepts an event. Returns null when the caller need not wait (batched durability, or an event
   * that does not gate forwarding), or a promise that settles once the event is durable (strict;
   * batched too while more events wait for the disk than its bound allows, so the caller pauses).
   * The promise rejects when the event cannot be made durable; the caller must then not forward.
   */
  record(event: TrailEvent): Promise<void> | null;
}

/**
 * A sink may reject with an error that carries `sqlstate`: what the client whose statement (or
 * session) it refused is sent, with the error's message (e.g. 57P03 while a remote recorder is
 * unreachable), and `transient: true` when the condition passes by itself (the recorder comes back):
 * the session may then refuse just that statement and go on. Returns that refusal, or null for any
 * other rejection (the client then gets 58030 and the session ends).
 */
export function sinkRefusal(
  err: unknown,
): { readonly sqlstate: string; readonly message: string; readonly transient: boolean } | null {
  if (!(err instanceof Error)) return null;
  const sqlstate: unknown = (err as { sqlstate?: unknown }).sqlstate;
  if (typeof sqlstate !== 'string' || !/^[0-9A-Z]{5}$/.test(sqlstate)) return null;
  return { sqlstate, message: err.message, transient: (err as { transient?: unknown }).transient === true };
}

/** A sink that drops everything: for a proxy run without a journal (tests of forwarding alone). */
export const discardingSink: EventSink = { record: () => null };
