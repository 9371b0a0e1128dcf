/**
 * Reads the fields of an ErrorResponse or NoticeResponse body: a sequence of Byte1(field type)
 * String(value), ended by a zero byte (PostgreSQL docs, "Error and Notice Message Fields").
 */

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
    if (type === 0x56)
      severity = value; // 'V'
    else if (type === 0x53)
      localized = value; // 'S'
    else if (type === 0x43)
      code = value; // 'C'
    else if (type === 0x4d)
      message = value; // 'M'
    else if (type === 0x50 && /^[1-9]\d{0,9}$/.test(value)) position = Number(value); // 'P'
    pos = end + 1;
  }
  return { severity: severity || localized, code, message, position };
}
