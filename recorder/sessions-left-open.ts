/**
 * Sessions a journal says are open: a session.opened record and no session.closed after it. When a
 * proxy that records in-process stops without closing its sessions (a crash, kill -9), they stay
 * open in the journal for ever; the next open of the journal finds them here and closes each with
 * reason `proxy_stopped` (docs/recording.md).
 *
 * The writer's scan reads every record's bytes; this tracker looks at event records only where
 * their first member says what they are: `{"type":"session.opened"` and `{"type":"session.closed"`
 * records (two per session) are parsed as JSON, a `{"type":"statement.started"` record (or a
 * `{"type":"statement",` one, format 4) is counted
 * for its session when that session is open (its id read from the bytes), and nothing else is
 * decoded. Every event pgtrail writes starts with `"type"` (JSON.stringify of the event objects of
 * events.ts); an event record that does not is parsed in full, so none is missed.
 */
import type { SessionClosed } from './events.js';

/** A session the journal leaves open. */
export interface SessionLeftOpen {
  readonly session: string;
  /** ts of its session.opened. */
  readonly openedTs: number;
  /** Its statements: statement.started records and (format 4) statement records. */
  readonly statements: number;
}

const TYPE_OPEN = ascii('{"type":"');
const SESSION_OPENED = ascii('{"type":"session.opened"');
const SESSION_CLOSED = ascii('{"type":"session.closed"');
const STATEMENT_STARTED = ascii('{"type":"statement.started"');
// A statement recorded as one record (format 4; the closing quote and comma tell it from statement.*).
const STATEMENT_ONE_RECORD = ascii('{"type":"statement",');
const SESSION_MEMBER = ascii('"session":"');
/** Bytes of an event's head kept to read its `ts` from (type and ts come first: about 60 bytes). */
const HEAD_BYTES = 96;
/** How far into an event its `"session"` member is looked for before the record is parsed in full instead. */
const SESSION_MEMBER_WITHIN = 160;
/** Session ids are 26 characters (proxy/session-id.ts); anything up to this is read. */
const MAX_SESSION_ID = 128;

/** Follows the sessions of a journal while the writer's scan walks it (see the file comment). */
export class SessionsLeftOpenTracker {
  private readonly open = new Map<string, { openedTs: number; statements: number }>();
  private readonly decoder = new TextDecoder();
  /** The latest ts of the events parsed (session records, and any record read as text). */
  private lastTs: number | null = null;
  /**
   * The head of the last event read by its bytes, copied (the walk reuses its read buffer): its `ts`
   * is the second member, within the first HEAD_BYTES. `lastHeadLength` 0: none since the last parse.
   */
  private readonly lastHead = new Uint8Array(HEAD_BYTES);
  private lastHeadLength = 0;

  /** An event record the scan read as text (not by its bytes): the whole record line is bytes[start:end]. */
  record(bytes: Uint8Array, start: number, end: number): void {
    const line = this.json(bytes, start, end);
    const event = line?.['event'];
    if (typeof event !== 'object' || event === null) return;
    this.lastHeadLength = 0;
    this.follow(event as Record<string, unknown>);
  }

  /** An event record: its object is bytes[start:end]. */
  event(bytes: Uint8Array, start: number, end: number): void {
    this.lastHeadLength = Math.min(HEAD_BYTES, end - start);
    this.lastHead.set(bytes.subarray(start, start + this.lastHeadLength));
    if (!startsWith(bytes, start, end, TYPE_OPEN)) {
      this.parsed(bytes, start, end);
      return;
    }
    if (startsWith(bytes, start, end, STATEMENT_STARTED) || startsWith(bytes, start, end, STATEMENT_ONE_RECORD)) {
      if (this.open.size === 0) return;
      const session = this.sessionOf(bytes, start, end);
      if (session === null) {
        this.parsed(bytes, start, end);
        return;
      }
      const entry = this.open.get(session);
      if (entry !== undefined) entry.statements++;
      return;
    }
    if (startsWith(bytes, start, end, SESSION_OPENED) || startsWith(bytes, start, end, SESSION_CLOSED))
      this.parsed(bytes, start, end);
  }

  /**
   * The sessions still open, in the order they opened, and the latest event time: the greater of
   * the last event's and the session records' (null when the journal holds no event).
   */
  result(): { readonly sessions: readonly SessionLeftOpen[]; readonly lastEventTs: number | null } {
    const sessions = [...this.open].map(([session, { openedTs, statements }]) => ({ session, openedTs, statements }));
    const lastTs = tsOfHead(this.decoder.decode(this.lastHead.subarray(0, this.lastHeadLength)));
    const latest = lastTs === null ? this.lastTs : this.lastTs === null ? lastTs : Math.max(lastTs, this.lastTs);
    return { sessions, lastEventTs: latest };
  }

  private parsed(bytes: Uint8Array, start: number, end: number): void {
    const event = this.json(bytes, start, end);
    if (event !== null) this.follow(event);
  }

  /** One event, parsed. */
  private follow(event: Record<string, unknown>): void {
    const ts = tsOf(event);
    if (ts !== null && (this.lastTs === null || ts > this.lastTs)) this.lastTs = ts;
    const session = event['session'];
    if (typeof session !== 'string') return;
    if (event['type'] === 'session.opened') this.open.set(session, { openedTs: ts ?? 0, statements: 0 });
    else if (event['type'] === 'session.closed') this.open.delete(session);
    else if (event['type'] === 'statement.started' || event['type'] === 'statement') {
      const entry = this.open.get(session);
      if (entry !== undefined) entry.statements++;
    }
  }

  private json(bytes: Uint8Array, start: number, end: number): Record<string, unknown> | null {
    try {
      const value: unknown = JSON.parse(this.decoder.decode(bytes.subarray(start, end)));
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
    } catch {
      // The scan has checked the envelope; an event it cannot parse is the verifier's to report.
      return null;
    }
  }

  /** The value of the first `"session":"…"` member, read from the bytes (ids are plain ASCII). */
  private sessionOf(bytes: Uint8Array, start: number, end: number): string | null {
    // It is the third member (type, ts, session): only the head of the record is searched.
    const at = indexOf(bytes, SESSION_MEMBER, start, Math.min(end, start + SESSION_MEMBER_WITHIN));
    if (at < 0) return null;
    const from = at + SESSION_MEMBER.length;
    const limit = Math.min(end, from + MAX_SESSION_ID);
    for (let p = from; p < limit; p++) {
      const c = bytes[p] as number;
      if (c === 0x22) return this.decoder.decode(bytes.subarray(from, p));
      if (c === 0x5c || c < 0x20 || c > 0x7e) return null; // an escape or a byte no session id has
    }
    return null;
  }
}

/**
 * The session.closed records for sessions a proxy left open: reason `proxy_stopped`, stamped `now`;
 * `durationMs` runs from the session's opening to the latest event the journal has from before the
 * restart (a lower bound: the journal does not know when the proxy stopped).
 */
export function closingRecords(
  left: readonly SessionLeftOpen[],
  lastEventTs: number | null,
  now: number,
): SessionClosed[] {
  return left.map(
    (s): SessionClosed => ({
      type: 'session.closed',
      ts: now,
      session: s.session,
      reason: 'proxy_stopped',
      durationMs: Math.max(0, (lastEventTs ?? s.openedTs) - s.openedTs),
      statements: s.statements,
    }),
  );
}

/** The `ts` member of an event's head (its first bytes), or null. */
function tsOfHead(head: string): number | null {
  const m = /"ts":(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[,}]/.exec(head);
  if (m === null) return null;
  const ts = Number(m[1]);
  return Number.isFinite(ts) ? ts : null;
}

function tsOf(event: Record<string, unknown> | null): number | null {
  const ts = event?.['ts'];
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : null;
}

function startsWith(bytes: Uint8Array, at: number, end: number, expected: Uint8Array): boolean {
  if (at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

function indexOf(bytes: Uint8Array, needle: Uint8Array, start: number, end: number): number {
  const at = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).indexOf(needle);
  return at < 0 ? -1 : start + at;
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
