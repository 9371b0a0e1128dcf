/**
 * An event's JSON written as UTF-8 bytes straight into the writer's queue: exactly the bytes of
 * `Buffer.from(JSON.stringify(event))` (docs/journal-format.md: an event record's `event` member is
 * the event object as JSON.stringify spells it), without the intermediate string.
 *
 * Why: JSON.stringify of a statement record and the UTF-8 copy of its string were the largest single
 * cost of recording on the forwarding thread (about 5 µs per record under pgbench, a tenth of what
 * recording costs per transaction), and every string it made was garbage.
 *
 * What "exactly" means, as JSON.stringify (ECMA-262 SerializeJSONObject, well-formed since ES2019)
 * has it for the plain objects the proxy builds:
 * - members in Object.keys order; a member whose value is undefined, a function or a symbol is left out;
 * - strings: `"` and `\` escaped with a backslash, \b \f \n \r \t by name, other code units below
 *   0x20 and unpaired surrogates as \u with four lowercase hex digits, everything else as UTF-8;
 * - numbers as Number::toString (String(n)), NaN and ±Infinity as null; true, false, null;
 * - arrays of strings and nulls written here; any other nested value (an error object, a COPY
 *   outcome, captured rows, base64 text) is JSON.stringify'd on its own and copied, which yields the
 *   same bytes as it would inside the whole.
 * An event this writer cannot vouch for (one with toJSON somewhere it looks) is JSON.stringify'd
 * whole and copied. recorder/event-json.test.ts checks the bytes against JSON.stringify on fixed
 * and generated events.
 */

import { writeDigits } from './format/decimal-digits.js';
import { fractionUnsupported, writeFraction } from './json-fraction.js';
import { CombinedStatement } from './statement-record.js';

/** writeEventJson's answer when `out` has too little room left: grow it and call again. */
export const eventJsonNoRoom = -1;

// writeValue's answer for a value with toJSON: the whole event then goes through JSON.stringify.
const notPlain = -2;
// Room a number, a literal or the punctuation around a member may take (String(n) is at most 25 bytes).
const scalarRoom = 32;
// A UTF-16 code unit takes at most 6 bytes once escaped (\u001f, \udc00) and at most 3 as UTF-8.
const escapedUnitBytes = 6;

const hexDigits = '0123456789abcdef';

/**
 * Writes the JSON of `event` into `out` from `offset` and returns the offset after it, or
 * eventJsonNoRoom when `out` ran out of room (what was written past `offset` is then garbage).
 */
export function writeEventJson(event: object, out: Uint8Array, offset: number): number {
  if (event instanceof CombinedStatement) {
    const end = writeStatementRecord(event, out, offset);
    if (end !== notPlain) return end;
  }
  const end = hasToJson(event) ? notPlain : writePlainObject(event, out, offset);
  return end === notPlain ? writeStringified(event, out, offset) : end;
}

// Each member's name as written: `"type":`, then `,"ts":` and so on, in CombinedStatement's order.
const statementMembers = [
  'type',
  'ts',
  'session',
  'statement',
  'user',
  'role',
  'protocol',
  'sql',
  'params',
  'preparedName',
  'portal',
  'redaction',
  'finishedTs',
  'command',
  'rows',
  'error',
  'durationMs',
  'txStatus',
  'resultDigest',
  'notExecuted',
  'copy',
  'capturedRows',
].map((name, i) => Buffer.from(`${i === 0 ? '' : ','}${JSON.stringify(name)}:`, 'latin1'));

/**
 * A `statement` record (the one record per statement of batched durability, most of what a busy
 * proxy writes) member by member by name: the same bytes as writePlainObject, which walks the keys
 * and reads each by a computed name, the slow part of it. Its members and their order are fixed by
 * its class (statement-record.ts); the `type` member, first, is always there.
 */
function writeStatementRecord(r: CombinedStatement, out: Uint8Array, o: number): number {
  const limit = out.length;
  if (o + 1 > limit) return eventJsonNoRoom;
  out[o++] = 0x7b; // {
  const m = statementMembers;
  o = writeMember(m[0]!, r.type, out, o, limit);
  if (o >= 0) o = writeMember(m[1]!, r.ts, out, o, limit);
  if (o >= 0) o = writeMember(m[2]!, r.session, out, o, limit);
  if (o >= 0) o = writeMember(m[3]!, r.statement, out, o, limit);
  if (o >= 0) o = writeMember(m[4]!, r.user, out, o, limit);
  if (o >= 0) o = writeMember(m[5]!, r.role, out, o, limit);
  if (o >= 0) o = writeMember(m[6]!, r.protocol, out, o, limit);
  if (o >= 0) o = writeMember(m[7]!, r.sql, out, o, limit);
  if (o >= 0) o = writeMember(m[8]!, r.params, out, o, limit);
  if (o >= 0) o = writeMember(m[9]!, r.preparedName, out, o, limit);
  if (o >= 0) o = writeMember(m[10]!, r.portal, out, o, limit);
  if (o >= 0) o = writeMember(m[11]!, r.redaction, out, o, limit);
  if (o >= 0) o = writeMember(m[12]!, r.finishedTs, out, o, limit);
  if (o >= 0) o = writeMember(m[13]!, r.command, out, o, limit);
  if (o >= 0) o = writeMember(m[14]!, r.rows, out, o, limit);
  if (o >= 0) o = writeMember(m[15]!, r.error, out, o, limit);
  if (o >= 0) o = writeMember(m[16]!, r.durationMs, out, o, limit);
  if (o >= 0) o = writeMember(m[17]!, r.txStatus, out, o, limit);
  if (o >= 0) o = writeMember(m[18]!, r.resultDigest, out, o, limit);
  if (o >= 0) o = writeMember(m[19]!, r.notExecuted, out, o, limit);
  if (o >= 0) o = writeMember(m[20]!, r.copy, out, o, limit);
  if (o >= 0) o = writeMember(m[21]!, r.capturedRows, out, o, limit);
  if (o < 0) return o;
  if (o + 1 > limit) return eventJsonNoRoom;
  out[o++] = 0x7d; // }
  return o;
}

/** One member, its name already written as bytes; left out as JSON.stringify leaves it out. */
function writeMember(name: Uint8Array, value: unknown, out: Uint8Array, o: number, limit: number): number {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return o;
  if (o + name.length + scalarRoom > limit) return eventJsonNoRoom;
  for (let i = 0; i < name.length; i++) out[o++] = name[i]!;
  return writeValue(value, out, o, limit);
}

function writeStringified(event: object, out: Uint8Array, offset: number): number {
  const json: unknown = JSON.stringify(event);
  if (typeof json !== 'string') throw new TypeError('an event must serialise to a JSON object');
  if (offset + json.length * 3 > out.length) return eventJsonNoRoom;
  return writeUtf8(json, out, offset);
}

function writePlainObject(event: object, out: Uint8Array, offset: number): number {
  const limit = out.length;
  const record = event as Readonly<Record<string, unknown>>;
  let o = offset;
  if (o + scalarRoom > limit) return eventJsonNoRoom;
  out[o++] = 0x7b; // {
  let first = true;
  // for-in over own members is Object.keys' order without the array Object.keys allocates per call.
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    if (o + key.length * escapedUnitBytes + scalarRoom > limit) return eventJsonNoRoom;
    if (!first) out[o++] = 0x2c; // ,
    first = false;
    o = writeString(key, out, o);
    out[o++] = 0x3a; // :
    o = writeValue(value, out, o, limit);
    if (o < 0) return o;
  }
  if (o + 1 > limit) return eventJsonNoRoom;
  out[o++] = 0x7d; // }
  return o;
}

/** One member's value (never undefined, a function or a symbol: those members are left out). */
function writeValue(value: unknown, out: Uint8Array, o: number, limit: number): number {
  if (typeof value === 'string') {
    if (o + value.length * escapedUnitBytes + 2 > limit) return eventJsonNoRoom;
    return writeString(value, out, o);
  }
  if (typeof value === 'number') return writeNumber(value, out, o);
  if (value === null) return writeAscii('null', out, o);
  if (typeof value === 'boolean') return writeAscii(value ? 'true' : 'false', out, o);
  if (Array.isArray(value) && isTextArray(value)) return writeTextArray(value, out, o, limit);
  if (typeof value === 'object' && hasToJson(value)) return notPlain;
  // A nested object, or an array of anything else: its own JSON.stringify is the same bytes.
  const json = JSON.stringify(value);
  if (o + json.length * 3 > limit) return eventJsonNoRoom;
  return writeUtf8(json, out, o);
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isTextArray(values: readonly unknown[]): values is readonly (string | null)[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && typeof v !== 'string') return false;
  }
  return true;
}

function writeTextArray(values: readonly (string | null)[], out: Uint8Array, o: number, limit: number): number {
  if (o + 2 > limit) return eventJsonNoRoom;
  out[o++] = 0x5b; // [
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    const room = v === null ? 5 : v.length * escapedUnitBytes + 3;
    if (o + room + 1 > limit) return eventJsonNoRoom;
    if (i > 0) out[o++] = 0x2c;
    o = v === null ? writeAscii('null', out, o) : writeString(v, out, o);
  }
  out[o++] = 0x5d; // ]
  return o;
}

/** Number::toString, as JSON.stringify writes a finite number; null for NaN and the infinities. */
function writeNumber(n: number, out: Uint8Array, o: number): number {
  if (!Number.isFinite(n)) return writeAscii('null', out, o);
  // Whole numbers below 2^53 (statement numbers, counts, whole-millisecond times) without a string.
  if (Number.isSafeInteger(n)) {
    if (n >= 0) return writeDigits(n, out, o);
    out[o++] = 0x2d;
    return writeDigits(-n, out, o);
  }
  // Timestamps with a fraction, without a string either (json-fraction.ts).
  const end = writeFraction(n, out, o);
  return end === fractionUnsupported ? writeAscii(String(n), out, o) : end;
}

/** Text known to be ASCII without anything to escape (literals, String(number)). */
function writeAscii(text: string, out: Uint8Array, o: number): number {
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
  return o;
}

/** Text already escaped (a nested JSON.stringify: no unpaired surrogates) as UTF-8. */
function writeUtf8(text: string, out: Uint8Array, o: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) out[o++] = c;
    else o = writeNonAscii(text, i, c, out, o);
    if (c >= 0xd800 && c <= 0xdbff) i++;
  }
  return o;
}

/** A JSON string: quoted and escaped as JSON.stringify does it (see the module comment), as UTF-8. */
function writeString(text: string, out: Uint8Array, o: number): number {
  out[o++] = 0x22;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) {
      out[o++] = c;
    } else if (c < 0x80) {
      o = writeEscape(c, out, o);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        o = writeNonAscii(text, i, c, out, o);
        i++;
      } else {
        o = writeUnicodeEscape(c, out, o);
      }
    } else {
      o = writeNonAscii(text, i, c, out, o);
    }
  }
  out[o++] = 0x22;
  return o;
}

/** The escape of `"`, `\` or a control character (c < 0x80 and not written as it is). */
function writeEscape(c: number, out: Uint8Array, o: number): number {
  let named = 0;
  if (c === 0x22) named = 0x22;
  else if (c === 0x5c) named = 0x5c;
  else if (c === 0x08)
    named = 0x62; // b
  else if (c === 0x0c)
    named = 0x66; // f
  else if (c === 0x0a)
    named = 0x6e; // n
  else if (c === 0x0d)
    named = 0x72; // r
  else if (c === 0x09) named = 0x74; // t
  if (named === 0) return writeUnicodeEscape(c, out, o);
  out[o++] = 0x5c;
  out[o++] = named;
  return o;
}

/** \uXXXX with lowercase hex digits. */
function writeUnicodeEscape(c: number, out: Uint8Array, o: number): number {
  out[o++] = 0x5c;
  out[o++] = 0x75; // u
  out[o++] = hexDigits.charCodeAt((c >> 12) & 0xf);
  out[o++] = hexDigits.charCodeAt((c >> 8) & 0xf);
  out[o++] = hexDigits.charCodeAt((c >> 4) & 0xf);
  out[o++] = hexDigits.charCodeAt(c & 0xf);
  return o;
}

/**
 * The UTF-8 of the code point starting at text[i] (c = its first unit, >= 0x80); a high surrogate
 * is written with the low one after it (the caller skips that one). Returns the offset after it.
 */
function writeNonAscii(text: string, i: number, c: number, out: Uint8Array, o: number): number {
  if (c < 0x800) {
    out[o++] = 0xc0 | (c >> 6);
    out[o++] = 0x80 | (c & 0x3f);
    return o;
  }
  if (c >= 0xd800 && c <= 0xdbff) {
    const cp = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
    out[o++] = 0xf0 | (cp >> 18);
    out[o++] = 0x80 | ((cp >> 12) & 0x3f);
    out[o++] = 0x80 | ((cp >> 6) & 0x3f);
    out[o++] = 0x80 | (cp & 0x3f);
    return o;
  }
  out[o++] = 0xe0 | (c >> 12);
  out[o++] = 0x80 | ((c >> 6) & 0x3f);
  out[o++] = 0x80 | (c & 0x3f);
  return o;
}
