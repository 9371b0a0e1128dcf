/**
 * The three forms `pgtrail export` writes a record in (docs/siem-export.md):
 *
 * - `json`: the record as one line of JSON (the fields of search --json plus `event` and `seq`).
 * - `cef`: ArcSight Common Event Format, `CEF:0|pgtrail|pgtrail|VERSION|EVENT|NAME|SEVERITY|EXT`, with
 *   `|` and `\` escaped in the header and `=`, `\`, CR and LF in extension values (CEF spec rev 25).
 * - `syslog`: an RFC 5424 message `<PRI>1 TIMESTAMP HOSTNAME pgtrail PROCID EVENT [pgtrail@32473 seq="N"
 *   session="S"] JSON` (facility 13, log audit; severity notice, warning for errors). PARAM-VALUE
 *   escapes `"`, `\` and `]` (RFC 5424 §6.3.3).
 */
import type { ExportRecord } from './export-record.js';

/** How a record is written. */
export type ExportFormat = 'json' | 'cef' | 'syslog';

/** Every format, for --help and flag checking. */
export const exportFormats: readonly ExportFormat[] = ['json', 'cef', 'syslog'];

/** The product version in CEF headers. */
const productVersion = '0.1.0';
// IANA private enterprise number used as the SD-ID suffix: 32473 is reserved for documentation (RFC 5612).
const sdId = 'pgtrail@32473';
const facilityLogAudit = 13;

/** What the formatter needs besides the record (the syslog header fields). */
export interface FormatContext {
  readonly hostname: string;
  readonly pid: number;
}

/** Formats one record as one line (no line end). */
export function formatRecord(record: ExportRecord, format: ExportFormat, ctx: FormatContext): string {
  switch (format) {
    case 'json':
      return JSON.stringify(record);
    case 'cef':
      return cefLine(record);
    case 'syslog':
      return syslogMessage(record, ctx);
  }
}

function failed(record: ExportRecord): boolean {
  return record.error !== null && record.error !== undefined;
}

function cefLine(record: ExportRecord): string {
  const severity = record.event === 'session.auth_failed' ? 7 : failed(record) ? 5 : 3;
  const header = ['CEF:0', 'pgtrail', 'pgtrail', productVersion, record.event, cefName(record), String(severity)]
    .map((field, i) => (i === 0 ? field : cefHeader(field)))
    .join('|');
  const ext: [string, unknown][] = [
    ['rt', Date.parse(record.ts)],
    ['cn1', record.seq],
    ['cn1Label', 'seq'],
    ['cs1', record.session],
    ['cs1Label', 'session'],
    ['suser', record.user],
    ['duser', record.role],
    ['dvchost', record.database],
    ['src', hostOf(record.client)],
    ['spt', portOf(record.client)],
    ['app', record.application],
    ['cs2', record.sql],
    ['cs2Label', 'sql'],
    ['cs3', record.command],
    ['cs3Label', 'command'],
    ['cs4', errorCode(record)],
    ['cs4Label', 'sqlstate'],
    ['cn2', record.rows],
    ['cn2Label', 'rows'],
    ['cfp1', record.duration_ms],
    ['cfp1Label', 'duration_ms'],
    ['reason', record.reason ?? errorMessage(record)],
    ['msg', JSON.stringify(record)],
  ];
  const extension = ext
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(' ');
  return `${header}|${extension}`;
}

function cefName(record: ExportRecord): string {
  return record.event.replace('.', ' ').replace('_', ' ');
}

function cefHeader(text: string): string {
  return text.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ');
}

function cefValue(text: string): string {
  return text
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

function errorCode(record: ExportRecord): unknown {
  const error = record.error as { code?: unknown } | null | undefined;
  return error?.code;
}

function errorMessage(record: ExportRecord): unknown {
  const error = record.error as { message?: unknown } | null | undefined;
  return error?.message;
}

function hostOf(client: unknown): string | null {
  if (typeof client !== 'string') return null;
  const m = /^\[?(.*?)\]?:\d+$/.exec(client);
  return m?.[1] ?? null;
}

function portOf(client: unknown): string | null {
  if (typeof client !== 'string') return null;
  return /:(\d+)$/.exec(client)?.[1] ?? null;
}

function syslogMessage(record: ExportRecord, ctx: FormatContext): string {
  const severity = failed(record) ? 4 : 5;
  const pri = facilityLogAudit * 8 + severity;
  const msgId = record.event.slice(0, 32);
  const sd = `[${sdId} seq="${record.seq}" session="${sdValue(record.session)}"]`;
  return `<${pri}>1 ${record.ts} ${printable(ctx.hostname, 255)} pgtrail ${ctx.pid} ${msgId} ${sd} ${JSON.stringify(record)}`;
}

function sdValue(text: string): string {
  return text.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** RFC 5424 header fields are PRINTUSASCII (33-126) and bounded; anything else becomes '-'. */
function printable(text: string, max: number): string {
  return /^[\x21-\x7e]+$/.test(text) && text.length <= max ? text : '-';
}
