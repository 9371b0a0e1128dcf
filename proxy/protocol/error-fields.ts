/**
 * Reads the fields of an ErrorResponse or NoticeResponse body: a sequence of Byte1(field type)
 * String(value), ended by a zero byte (PostgreSQL docs, "Error and Notice Message Fields"). The one
 * parser of these fields: the session, managed identity, the statement observer and replay use it.
 */

/** Field type bytes of ErrorResponse and NoticeResponse, as the protocol documentation names them. */
export const ErrorFieldCode = {
  /** Severity, possibly localized. */
  Severity: 0x53, // 'S'
  /** Severity, never localized (PostgreSQL 9.6 and later). */
  SeverityNonLocalized: 0x56, // 'V'
  Code: 0x43, // 'C'
  Message: 0x4d, // 'M'
  Position: 0x50, // 'P'
} as const;

/** The fields pgtrail uses from a server error. */
export interface ErrorFields {
  /** Non-localized severity (V), else the localized one (S). */
  readonly severity: string;
  /** SQLSTATE (C). */
  readonly code: string;
  /** Primary message (M). */
  readonly message: string;
  /** Position (P): a 1-based character index into the query string the error is about, or null. */
  readonly position: number | null;
}

/** Decodes the severity, SQLSTATE, message and position of an ErrorResponse body; missing fields are '' (null). */
export function parseErrorFields(body: Buffer): ErrorFields {
  let severity = '';
  let localized = '';
  let code = '';
  let message = '';
  let position: number | null = null;
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const type = body[pos] as number;
    const end = body.indexOf(0, pos + 1);
    if (end < 0) break;
    const value = body.toString('utf8', pos + 1, end);
    if (type === ErrorFieldCode.SeverityNonLocalized) severity = value;
    else if (type === ErrorFieldCode.Severity) localized = value;
    else if (type === ErrorFieldCode.Code) code = value;
    else if (type === ErrorFieldCode.Message) message = value;
    else if (type === ErrorFieldCode.Position && /^[1-9]\d{0,9}$/.test(value)) position = Number(value);
    pos = end + 1;
  }
  return { severity: severity || localized, code, message, position };
}
