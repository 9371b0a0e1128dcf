/**
 * The per-session completeness chain (docs/journal-format.md §13, format 3). Each event record of
 * an open session ends its event object with two members,
 *
 *   ...,"sprev":"<base64 of the leaf hash of the session's previous record>","sn":<its number in the session>}
 *
 * A session's chain starts at its `session.opened` (`sn` 1, `sprev` 32 zero bytes) and ends at its
 * `session.closed`, whose `sn` is then the session's record count. Event records of no open session
 * (`session.auth_failed`, `viewer.viewed`, anything after the close) carry neither member. A set of
 * records holding one session (an evidence bundle) is then complete exactly when the chain runs
 * unbroken from `sn` 1 to the close: a record removed, reordered or swapped for another breaks it.
 * Pruned records keep their leaf hash, so the next record still chains to one; they count one each.
 *
 * The rule reads an event's type and session from its bytes (`{"type":"…"` first, the first
 * `"session":"…"` member), so the writer, the verifier, the reopen scan and the bundle check all
 * decide alike. Browser-safe: no node: modules.
 */
import { encodeBase64Into } from './base64.js';
import { writeDigits } from './decimal-digits.js';

/** The journal format from which event records carry the session chain. */
export const sessionChainFormat = 3;

/** What an event does to its session's chain. */
export const ChainRole = {
  /** Continues its session's chain when that session is open. */
  member: 0,
  /** Starts a new chain for its session. */
  opened: 1,
  /** Continues and ends its session's chain. */
  closed: 2,
} as const;

/** One of ChainRole's values. */
export type ChainRole = (typeof ChainRole)[keyof typeof ChainRole];

/** Where one open session's chain stands. */
export interface ChainLink {
  /** Leaf hash of the session's last record (32 zero bytes before its first). */
  readonly leaf: Uint8Array;
  /** Records of the session so far. */
  sn: number;
}

/** The longest session id that takes part in a chain. */
export const maxChainedSessionChars = 128;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const sprevOpen = ascii(',"sprev":"');
const snOpen = ascii('","sn":');
const typeOpened = ascii('{"type":"session.opened"');
const typeClosed = ascii('{"type":"session.closed"');
const sessionMember = ascii('"session":"');
const base64Length = 44;

/** The most bytes writeChainMembers writes (a 16-digit `sn`). */
export const chainMembersMaxBytes = sprevOpen.length + base64Length + snOpen.length + 16;

/** The chain role of an event type. */
export function chainRoleOf(type: string): ChainRole {
  return type === 'session.opened' ? ChainRole.opened : type === 'session.closed' ? ChainRole.closed : ChainRole.member;
}

/** Whether a session id is spelled plainly enough to take part in a chain (printable ASCII, no `"` or `\`). */
export function isChainableSession(session: string): boolean {
  if (session.length === 0 || session.length > maxChainedSessionChars) return false;
  for (let i = 0; i < session.length; i++) {
    const c = session.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** The session an event's chain is kept under: a session.opened's only when its id can be chained. */
export function chainKeyOf(session: string, role: ChainRole): string | null {
  return role !== ChainRole.opened || isChainableSession(session) ? session : null;
}

/** Writes `,"sprev":"<base64 of sprev>","sn":<sn>` into `out` at `offset`; returns its length. */
export function writeChainMembers(out: Uint8Array, offset: number, sprev: Uint8Array, sn: number): number {
  out.set(sprevOpen, offset);
  let o = offset + sprevOpen.length;
  o += encodeBase64Into(sprev, out, o);
  out.set(snOpen, o);
  o += snOpen.length;
  return writeDigits(sn, out, o) - offset;
}

/** What readEventChain found in one event object. */
export interface EventChainFields {
  role: ChainRole;
  /** The session id, or null when the event has none that is plainly spelled. */
  session: string | null;
  /** The `sn` member, or -1 when the event does not end with the chain members. */
  sn: number;
  /** Offset of the 44 base64 characters of `sprev` (valid when sn >= 1). */
  sprevStart: number;
}

/** Reads role, session and chain members of the event object bytes[start:end] into `out` (reused: no object per record). */
export function readEventChain(bytes: Uint8Array, start: number, end: number, out: EventChainFields): void {
  out.role = startsWith(bytes, start, end, typeOpened)
    ? ChainRole.opened
    : startsWith(bytes, start, end, typeClosed)
      ? ChainRole.closed
      : ChainRole.member;
  out.session = sessionOf(bytes, start, end);
  out.sn = -1;
  // From the end: `,"sprev":"` 44 base64 characters `","sn":` digits `}`.
  let p = end - 2;
  let sn = 0;
  let scale = 1;
  while (p > start && bytes[p]! >= 48 && bytes[p]! <= 57 && scale <= 1e15) {
    sn += (bytes[p]! - 48) * scale;
    scale *= 10;
    p--;
  }
  if (scale === 1 || bytes[end - 1] !== 0x7d || sn < 1) return;
  const digitsStart = p + 1;
  if (bytes[digitsStart] === 48) return;
  const snAt = digitsStart - snOpen.length;
  const sprevStart = snAt - base64Length;
  if (sprevStart - sprevOpen.length <= start) return;
  if (!startsWith(bytes, snAt, end, snOpen) || !startsWith(bytes, sprevStart - sprevOpen.length, end, sprevOpen))
    return;
  out.sn = sn;
  out.sprevStart = sprevStart;
}

/**
 * Follows the chain of every open session over a walk of a journal (or of a bundle's records) and
 * says where a record is not what the rule makes it; the verifier reports that, the writer's reopen
 * scan hands the open chains to the writer.
 */
export class SessionChains {
  /** The open sessions' chains. */
  readonly open = new Map<string, ChainLink>();
  private readonly fields: EventChainFields = { role: ChainRole.member, session: null, sn: -1, sprevStart: 0 };
  private readonly expected = new Uint8Array(base64Length);

  /**
   * An event record whose object is bytes[start:end] and whose leaf hash is `leaf`: follows its
   * session and returns null, or what is wrong with its chain members.
   */
  event(bytes: Uint8Array, start: number, end: number, leaf: Uint8Array): string | null {
    const f = this.fields;
    readEventChain(bytes, start, end, f);
    let link: ChainLink | null = null;
    if (f.role === ChainRole.opened && f.session !== null) {
      link = { leaf: new Uint8Array(32), sn: 0 };
      this.open.set(f.session, link);
    } else if (f.session !== null && this.open.size > 0) link = this.open.get(f.session) ?? null;
    if (link === null)
      return f.sn === -1 ? null : 'the record carries session chain members but its session is not open';
    let problem: string | null = null;
    if (f.sn === -1) problem = 'the record of an open session lacks its session chain members (sprev, sn)';
    else if (f.sn !== link.sn + 1)
      problem = `the record says it is record ${f.sn} of its session but is record ${link.sn + 1}: records of the session were removed, added or reordered`;
    else {
      encodeBase64Into(link.leaf, this.expected, 0);
      if (!startsWith(bytes, f.sprevStart, end, this.expected))
        problem = "the record's sprev is not the leaf hash of its session's previous record";
    }
    this.advance(f.session!, link, leaf, f.role === ChainRole.closed);
    return problem;
  }

  /** A pruned record (its event's type and session, docs/journal-format.md §10) with its stored leaf: it counts in its session. */
  pruned(type: string, session: string, leaf: Uint8Array): void {
    const role = chainRoleOf(type);
    if (role === ChainRole.opened) {
      this.open.set(session, { leaf: new Uint8Array(leaf), sn: 1 });
      return;
    }
    const link = this.open.get(session);
    if (link !== undefined) this.advance(session, link, leaf, role === ChainRole.closed);
  }

  private advance(session: string, link: ChainLink, leaf: Uint8Array, closes: boolean): void {
    link.leaf.set(leaf);
    link.sn++;
    if (closes) this.open.delete(session);
  }
}

function startsWith(bytes: Uint8Array, at: number, end: number, expected: Uint8Array): boolean {
  if (at < 0 || at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/** The first `"session":"…"` member's value when plainly spelled (isChainableSession), else null. */
function sessionOf(bytes: Uint8Array, start: number, end: number): string | null {
  const first = sessionMember[0]!;
  outer: for (let p = start; p + sessionMember.length <= end; p++) {
    if (bytes[p] !== first) continue;
    for (let k = 1; k < sessionMember.length; k++) if (bytes[p + k] !== sessionMember[k]) continue outer;
    const from = p + sessionMember.length;
    let s = '';
    for (let q = from; q < end && q - from <= maxChainedSessionChars; q++) {
      const c = bytes[q]!;
      if (c === 0x22) return s.length > 0 ? s : null;
      if (c < 0x20 || c > 0x7e || c === 0x5c) return null;
      s += String.fromCharCode(c);
    }
    return null;
  }
  return null;
}
