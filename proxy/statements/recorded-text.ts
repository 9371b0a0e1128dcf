import { isUtf8 } from 'node:buffer';
import type { RecordedText } from '../../recorder/events.js';

/** SQL text as the record keeps it: a string when the bytes are valid UTF-8 in a UTF8 session, else base64. */
export function toRecordedText(bytes: Uint8Array, clientEncodingIsUtf8: boolean): RecordedText {
  if (clientEncodingIsUtf8 && isUtf8(bytes)) return asBuffer(bytes).toString('utf8');
  return { base64: asBuffer(bytes).toString('base64') };
}

/** Bytes as PostgreSQL's bytea hex output writes them: `\x` then two lowercase hex digits a byte. */
export function toHexText(bytes: Uint8Array): string {
  return `\\x${asBuffer(bytes).toString('hex')}`;
}

/** A text-format value: the string when it is valid UTF-8, else hex (so that no byte is lost). */
export function toValueText(bytes: Uint8Array): string {
  return isUtf8(bytes) ? asBuffer(bytes).toString('utf8') : toHexText(bytes);
}

/** The bytes as a Buffer: the same object when they are one (values and SQL are views of the socket's chunk), else a view. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** True when a client_encoding value names UTF-8 (the server reports it as 'UTF8'). */
export function isUtf8Encoding(clientEncoding: string | undefined): boolean {
  if (clientEncoding === undefined) return true;
  const e = clientEncoding.toUpperCase().replace(/[-_]/g, '');
  return e === 'UTF8' || e === 'UNICODE';
}
