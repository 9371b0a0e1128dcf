/**
 * A strict, allocation-free check that a relayed event's bytes are exactly one JSON object (RFC 8259)
 * on one line, reporting where its top-level members `type`, `ts`, `session` and `instance` are.
 * It replaces JSON.parse on the recorder service's hot path: the recorder keeps the proxy's bytes
 * as sent, so it only has to know they are well-formed, never build the object (JSON.parse did,
 * and that was most of the recorder's CPU per record, and its garbage).
 *
 * Stricter than RFC 8259 where an event never needs the latitude: no raw CR or LF anywhere (a
 * record is one line), top-level member names without escapes, the members it reports (and `relay`,
 * `sprev`, `sn`) at most once, at most 64 levels of nesting inside the event object. UTF-8 validity
 * is checked separately (node:buffer isUtf8). Returns null when the bytes are not such an object.
 */

/** Offsets (into the bytes) of a string value's contents, between its quotes, and whether it has escapes. */
export interface ScannedString {
  readonly start: number;
  readonly end: number;
  readonly escaped: boolean;
}

/** Where the members the recorder checks are; null for one that is absent or not of its kind. */
export interface ScannedEvent {
  /** The `type` member, when it is a string. */
  type: ScannedString | null;
  /** The `ts` member's number text, when it is a number. */
  ts: { readonly start: number; readonly end: number } | null;
  /** The `session` member, when it is a string. */
  session: ScannedString | null;
  /** The `instance` member, when it is a string. */
  instance: ScannedString | null;
  /** Whether an `instance` member is there (of any kind). */
  hasInstance: boolean;
  /** Whether a `relay` member is there (the recorder adds its own). */
  hasRelay: boolean;
  /** Whether a session chain member (`sprev`, `sn`) is there (the writer adds them). */
  hasChainMember: boolean;
}

const maxDepth = 64;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Bytes that stand for themselves inside a string: all but controls, the quote and the backslash. */
const STRING_PLAIN = new Uint8Array(256).fill(1, 0x20);
STRING_PLAIN[QUOTE] = 0;
STRING_PLAIN[BACKSLASH] = 0;
/** The characters after a backslash other than u: " \\ / b f n r t. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

/** Scans `bytes` (see the file comment). */
export function scanEventJson(bytes: Uint8Array): ScannedEvent | null {
  const scan = new Scan(bytes);
  return scan.event();
}

/** The scanner's position and findings; each method consumes one grammar element or fails (-1). */
class Scan {
  private pos = 0;
  private readonly found: ScannedEvent = {
    type: null,
    ts: null,
    session: null,
    instance: null,
    hasInstance: false,
    hasRelay: false,
    hasChainMember: false,
  };
  private seen = 0;
  /** The last string read: its contents' offsets, and whether it has escapes. */
  private textStart = 0;
  private textEnd = 0;
  private textEscaped = false;

  constructor(private readonly b: Uint8Array) {}

  event(): ScannedEvent | null {
    const b = this.b;
    this.skipSpace();
    if (b[this.pos] !== 0x7b) return null;
    this.pos++;
    this.skipSpace();
    if (b[this.pos] === 0x7d) {
      this.pos++;
    } else {
      for (;;) {
        this.skipSpace();
        if (b[this.pos] !== QUOTE || !this.string() || this.textEscaped) return null;
        const key = this.keyOf(this.textStart, this.textEnd - this.textStart);
        this.skipSpace();
        if (b[this.pos] !== 0x3a) return null;
        this.pos++;
        this.skipSpace();
        if (!this.member(key)) return null;
        this.skipSpace();
        const c = b[this.pos];
        this.pos++;
        if (c === 0x7d) break;
        if (c !== 0x2c) return null;
      }
    }
    this.skipSpace();
    return this.pos === b.length ? this.found : null;
  }

  /** A top-level member's value; records the ones the recorder checks (`key`, a bit, 0 for others). */
  private member(key: number): boolean {
    if (key === 0) return this.value(1);
    if ((this.seen & key) !== 0) return false; // a checked member twice
    this.seen |= key;
    const start = this.pos;
    const c = this.b[start];
    if (key === keyRelay) this.found.hasRelay = true;
    if (key === keySprev || key === keySn) this.found.hasChainMember = true;
    if (key === keyInstance) this.found.hasInstance = true;
    if (key === keyTs) {
      if (c !== 0x2d && (c === undefined || c < 0x30 || c > 0x39)) return this.value(1);
      if (!this.number()) return false;
      this.found.ts = { start, end: this.pos };
      return true;
    }
    if (c !== QUOTE || key === keyRelay || key === keySprev || key === keySn) return this.value(1);
    if (!this.string()) return false;
    const text: ScannedString = { start: this.textStart, end: this.textEnd, escaped: this.textEscaped };
    if (key === keyType) this.found.type = text;
    else if (key === keySession) this.found.session = text;
    else this.found.instance = text;
    return true;
  }

  /** Which checked member the name at `s` (n bytes, no escapes) is (a bit), or 0. */
  private keyOf(s: number, n: number): number {
    const b = this.b;
    if (n === 2 && b[s] === 0x74 && b[s + 1] === 0x73) return keyTs;
    if (n === 2 && b[s] === 0x73 && b[s + 1] === 0x6e) return keySn;
    if (n === 4 && equals(b, s, 'type')) return keyType;
    if (n === 5 && equals(b, s, 'relay')) return keyRelay;
    if (n === 5 && equals(b, s, 'sprev')) return keySprev;
    if (n === 7 && equals(b, s, 'session')) return keySession;
    if (n === 8 && equals(b, s, 'instance')) return keyInstance;
    return 0;
  }

  /** Any JSON value at `depth` (objects and arrays nest). */
  private value(depth: number): boolean {
    const b = this.b;
    const c = b[this.pos];
    if (c === QUOTE) return this.string();
    if (c === 0x7b || c === 0x5b) {
      if (depth > maxDepth) return false;
      const object = c === 0x7b;
      const close = object ? 0x7d : 0x5d;
      this.pos++;
      this.skipSpace();
      if (b[this.pos] === close) {
        this.pos++;
        return true;
      }
      for (;;) {
        this.skipSpace();
        if (object) {
          if (b[this.pos] !== QUOTE || !this.string()) return false;
          this.skipSpace();
          if (b[this.pos] !== 0x3a) return false;
          this.pos++;
          this.skipSpace();
        }
        if (!this.value(depth + 1)) return false;
        this.skipSpace();
        const next = b[this.pos];
        this.pos++;
        if (next === close) return true;
        if (next !== 0x2c) return false;
      }
    }
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    return this.number();
  }

  /** A string at pos (its opening quote): no raw control character, valid escapes; sets text*. */
  private string(): boolean {
    const b = this.b;
    const start = this.pos + 1;
    let pos = start;
    let escaped = false;
    for (;;) {
      const c = b[pos];
      if (c === undefined) return false;
      if (STRING_PLAIN[c] === 1) {
        pos++;
        continue;
      }
      if (c === QUOTE) break;
      if (c !== BACKSLASH) return false; // a raw control character
      escaped = true;
      const e = b[pos + 1];
      if (e === 0x75) {
        for (let i = 2; i < 6; i++) if (!isHex(b[pos + i])) return false;
        pos += 6;
      } else if (e !== undefined && SIMPLE_ESCAPE[e] === 1) {
        pos += 2;
      } else {
        return false;
      }
    }
    this.textStart = start;
    this.textEnd = pos;
    this.textEscaped = escaped;
    this.pos = pos + 1;
    return true;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(): boolean {
    const b = this.b;
    if (b[this.pos] === 0x2d) this.pos++;
    if (b[this.pos] === 0x30) this.pos++;
    else if (!this.digits()) return false;
    if (b[this.pos] === 0x2e) {
      this.pos++;
      if (!this.digits()) return false;
    }
    if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
      this.pos++;
      if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
      if (!this.digits()) return false;
    }
    return true;
  }

  private digits(): boolean {
    const b = this.b;
    const start = this.pos;
    for (let c = b[this.pos]; c !== undefined && c >= 0x30 && c <= 0x39; c = b[this.pos]) this.pos++;
    return this.pos > start;
  }

  private literal(word: string): boolean {
    if (!equals(this.b, this.pos, word)) return false;
    this.pos += word.length;
    return true;
  }

  /** Space and tab only: CR and LF would break the record's line. */
  private skipSpace(): void {
    const b = this.b;
    for (let c = b[this.pos]; c === 0x20 || c === 0x09; c = b[this.pos]) this.pos++;
  }
}

const keyType = 1;
const keyTs = 2;
const keySession = 4;
const keyInstance = 8;
const keyRelay = 16;
const keySprev = 32;
const keySn = 64;

function equals(b: Uint8Array, at: number, ascii: string): boolean {
  for (let i = 0; i < ascii.length; i++) if (b[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
