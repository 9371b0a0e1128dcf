/**
 * Builders of server message bodies for tests, laid out as PostgreSQL's "Message Formats" defines
 * them (the bodies only: the observer is handed bodies without the type byte and length word).
 */

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Bodies of server messages. */
export const serverBody = {
  commandComplete: (tag: string): Buffer => cstring(tag),
  readyForQuery: (status: 'I' | 'T' | 'E'): Buffer => Buffer.from(status, 'latin1'),
  /** ErrorResponse with severity, SQLSTATE and message. */
  error: (code: string, message: string, severity = 'ERROR'): Buffer =>
    Buffer.concat([
      Buffer.from('S'),
      cstring(severity),
      Buffer.from('V'),
      cstring(severity),
      Buffer.from('C'),
      cstring(code),
      Buffer.from('M'),
      cstring(message),
      Buffer.from([0]),
    ]),
  /** ErrorResponse with a position (field P, a 1-based character index into the query). */
  errorAt: (code: string, message: string, position: number): Buffer =>
    Buffer.concat([
      Buffer.from('S'),
      cstring('ERROR'),
      Buffer.from('C'),
      cstring(code),
      Buffer.from('M'),
      cstring(message),
      Buffer.from('P'),
      cstring(String(position)),
      Buffer.from([0]),
    ]),
  /** DataRow with text values (null = SQL NULL). */
  dataRow: (values: readonly (string | Buffer | null)[]): Buffer =>
    Buffer.concat([
      int16(values.length),
      ...values.map((v) =>
        v === null
          ? int32(-1)
          : Buffer.concat([int32(Buffer.byteLength(v)), typeof v === 'string' ? Buffer.from(v, 'utf8') : v]),
      ),
    ]),
  /** RowDescription of columns (name, type OID, format). */
  rowDescription: (columns: readonly { name: string; typeOid: number; format?: number }[]): Buffer =>
    Buffer.concat([
      int16(columns.length),
      ...columns.map((c) =>
        Buffer.concat([
          cstring(c.name),
          int32(0),
          int16(0),
          int32(c.typeOid),
          int16(-1),
          int32(-1),
          int16(c.format ?? 0),
        ]),
      ),
    ]),
  parameterDescription: (oids: readonly number[]): Buffer => Buffer.concat([int16(oids.length), ...oids.map(int32)]),
  parameterStatus: (name: string, value: string): Buffer => Buffer.concat([cstring(name), cstring(value)]),
  notification: (pid: number, channel: string, payload: string): Buffer =>
    Buffer.concat([int32(pid), cstring(channel), cstring(payload)]),
  /** CopyInResponse / CopyOutResponse: overall format and per-column formats. */
  copyResponse: (columns: number): Buffer =>
    Buffer.concat([Buffer.from([0]), int16(columns), ...Array.from({ length: columns }, () => int16(0))]),
  functionCallResponse: (value: Buffer | null): Buffer =>
    value === null ? int32(-1) : Buffer.concat([int32(value.length), value]),
  empty: (): Buffer => Buffer.alloc(0),
};
