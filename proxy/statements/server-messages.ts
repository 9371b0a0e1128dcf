import { BodyReader } from './body-reader.js';

/**
 * Decoders for the server messages that carry a statement's outcome, as PostgreSQL's "Message
 * Formats" defines their bodies. Each returns null for a malformed body.
 */

/** CommandComplete: String tag. */
export function decodeCommandComplete(body: Buffer): string | null {
  const r = new BodyReader(body);
  const tag = r.cstring();
  return r.ok ? tag : null;
}

/** ReadyForQuery: Byte1 transaction status. */
export function decodeReadyForQuery(body: Buffer): 'I' | 'T' | 'E' | null {
  const status = body.length === 1 ? body[0] : undefined;
  if (status === 0x49) return 'I';
  if (status === 0x54) return 'T';
  if (status === 0x45) return 'E';
  return null;
}

/** ParameterDescription: Int16 n, Int32[n] type OIDs. */
export function decodeParameterDescription(body: Buffer): number[] | null {
  const r = new BodyReader(body);
  const count = r.int16();
  const oids: number[] = [];
  for (let i = 0; i < count && r.ok; i++) oids.push(r.uint32());
  return r.ok ? oids : null;
}

/** RowDescription: the format code and type OID of each column (the rest of each field is not needed). */
export function decodeRowDescriptionColumns(body: Buffer): { formats: number[]; typeOids: number[] } | null {
  const r = new BodyReader(body);
  const count = r.int16();
  const formats: number[] = [];
  const typeOids: number[] = [];
  for (let i = 0; i < count && r.ok; i++) {
    r.cstringBytes(); // field name
    r.bytes(4 + 2); // table OID, column number
    typeOids.push(r.uint32());
    r.bytes(2 + 4); // type size, type modifier
    formats.push(r.int16());
  }
  return r.ok ? { formats, typeOids } : null;
}

/** ParameterStatus: String name, String value. */
export function decodeParameterStatus(body: Buffer): { name: string; value: string } | null {
  const r = new BodyReader(body);
  const name = r.cstring();
  const value = r.cstring();
  return r.ok ? { name, value } : null;
}

/** NotificationResponse: Int32 sender pid, String channel, String payload (bytes, a view). */
export function decodeNotification(body: Buffer): { senderPid: number; channel: string; payload: Buffer } | null {
  const r = new BodyReader(body);
  const senderPid = r.int32();
  const channel = r.cstring();
  const payload = r.cstringBytes();
  return r.ok ? { senderPid, channel, payload } : null;
}
