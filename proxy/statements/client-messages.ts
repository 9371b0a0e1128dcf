import { BodyReader } from './body-reader.js';

/**
 * Decoders for the client messages a statement record needs, as PostgreSQL's "Message Formats"
 * (protocol-message-formats.html) defines their bodies. Each returns null for a malformed body: a
 * field past the end, a string without its terminator, or bytes left over once every field is read
 * (PostgreSQL refuses those too, "invalid message format"). Counts are unsigned 16-bit, as the
 * server reads them. Byte fields are views into the body, valid only during the call that received it.
 */

/** Parse: String name, String query, Int16 n, Int32[n] parameter type OIDs (0 = unspecified). */
export interface ParseMessage {
  readonly name: string;
  readonly query: Buffer;
  readonly paramTypes: readonly number[];
}

/** Bind: portal, statement, parameter format codes, values (null for -1), result format codes. */
export interface BindMessage {
  readonly portal: string;
  readonly statement: string;
  readonly paramFormats: readonly number[];
  readonly values: readonly (Buffer | null)[];
  readonly resultFormats: readonly number[];
}

/** Describe or Close: 'S' for a prepared statement, 'P' for a portal. */
export interface TargetMessage {
  readonly kind: 'S' | 'P';
  readonly name: string;
}

/** Execute: portal name and the row limit (0 = no limit). */
export interface ExecuteMessage {
  readonly portal: string;
  readonly maxRows: number;
}

/** FunctionCall: function OID, argument format codes, arguments (null for -1), result format. */
export interface FunctionCallMessage {
  readonly functionOid: number;
  readonly argFormats: readonly number[];
  readonly args: readonly (Buffer | null)[];
  readonly resultFormat: number;
}

/** Query: String query. The bytes of the query string without its terminator. */
export function decodeQuery(body: Buffer): Buffer | null {
  const r = new BodyReader(body);
  const query = r.cstringBytes();
  return r.ok && r.atEnd ? query : null;
}

/** Parse ('P'). */
export function decodeParse(body: Buffer): ParseMessage | null {
  const r = new BodyReader(body);
  const name = r.cstring();
  const query = r.cstringBytes();
  const count = r.uint16();
  const paramTypes: number[] = [];
  for (let i = 0; i < count && r.ok; i++) paramTypes.push(r.uint32());
  return r.ok && r.atEnd ? { name, query, paramTypes } : null;
}

/** Bind ('B'). */
export function decodeBind(body: Buffer): BindMessage | null {
  const r = new BodyReader(body);
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats = int16Array(r);
  const count = r.uint16();
  const values = valueArray(r, count);
  const resultFormats = int16Array(r);
  return r.ok && r.atEnd ? { portal, statement, paramFormats, values, resultFormats } : null;
}

/** Describe ('D') and Close ('C') share one layout. */
export function decodeTarget(body: Buffer): TargetMessage | null {
  const r = new BodyReader(body);
  const kind = r.byte();
  const name = r.cstring();
  if (!r.ok || !r.atEnd) return null;
  if (kind === 0x53) return { kind: 'S', name };
  if (kind === 0x50) return { kind: 'P', name };
  return null;
}

/** Execute ('E'). */
export function decodeExecute(body: Buffer): ExecuteMessage | null {
  const r = new BodyReader(body);
  const portal = r.cstring();
  const maxRows = r.int32();
  return r.ok && r.atEnd ? { portal, maxRows } : null;
}

/** FunctionCall ('F'). */
export function decodeFunctionCall(body: Buffer): FunctionCallMessage | null {
  const r = new BodyReader(body);
  const functionOid = r.uint32();
  const argFormats = int16Array(r);
  const count = r.uint16();
  const args = valueArray(r, count);
  const resultFormat = r.int16();
  return r.ok && r.atEnd ? { functionOid, argFormats, args, resultFormat } : null;
}

/** The format code of value `i` given the list sent: none = all text, one = all the same, else one each. */
export function formatOf(formats: readonly number[], i: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0] as number;
  return formats[i] ?? 0;
}

/** The list of no format codes or values, shared: a Bind of pgbench sends no parameter formats. */
const NONE: readonly never[] = Object.freeze([]);

// The arrays are made at their final size: growing one by push allocates room for 17 elements.
function int16Array(r: BodyReader): readonly number[] {
  const count = r.uint16();
  if (count === 0 || !r.ok) return NONE;
  const out = new Array<number>(count).fill(0);
  for (let i = 0; i < count && r.ok; i++) out[i] = r.int16();
  return out;
}

function valueArray(r: BodyReader, count: number): readonly (Buffer | null)[] {
  if (count === 0 || !r.ok) return NONE;
  const out = new Array<Buffer | null>(count).fill(null);
  for (let i = 0; i < count && r.ok; i++) {
    const length = r.int32();
    out[i] = length === -1 ? null : r.bytes(length);
  }
  return out;
}
