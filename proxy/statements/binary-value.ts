import { toHexText, toValueText } from './recorded-text.js';

/**
 * Binary-format values of the common types, written as PostgreSQL's text output writes them (so a
 * parameter reads the same whether the client sent it in text or in binary). The binary layouts are
 * those of each type's `*send` function in the PostgreSQL sources. Anything else, and any value
 * whose length does not fit its type, is written as hex.
 */

/** Type OIDs from pg_type that have a decoder here. */
export const TypeOid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

const USECS_PER_DAY = 86_400_000_000n;
/** Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for date and timestamp. */
const POSTGRES_EPOCH_DAYS = 10_957;
const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

/** The text of a binary value of type `oid`, or its hex when the type is not decoded here. */
export function binaryValueText(oid: number, v: Buffer): string {
  return decodeKnown(oid, v) ?? toHexText(v);
}

function decodeKnown(oid: number, v: Buffer): string | null {
  switch (oid) {
    case TypeOid.bool:
      return v.length === 1 ? (v[0] === 0 ? 'f' : 't') : null;
    case TypeOid.bytea:
      return toHexText(v);
    case TypeOid.char:
      return v.length === 1 ? toValueText(v) : null;
    case TypeOid.int2:
      return v.length === 2 ? String(v.readInt16BE(0)) : null;
    case TypeOid.int4:
      return v.length === 4 ? String(v.readInt32BE(0)) : null;
    case TypeOid.oid:
      return v.length === 4 ? String(v.readUInt32BE(0)) : null;
    case TypeOid.int8:
      return v.length === 8 ? v.readBigInt64BE(0).toString() : null;
    case TypeOid.float4:
      return v.length === 4 ? float4Text(v.readFloatBE(0)) : null;
    case TypeOid.float8:
      return v.length === 8 ? floatText(v.readDoubleBE(0)) : null;
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.bpchar:
    case TypeOid.name:
    case TypeOid.json:
      return toValueText(v);
    case TypeOid.jsonb:
      return v.length >= 1 && v[0] === 1 ? toValueText(v.subarray(1)) : null;
    case TypeOid.uuid:
      return v.length === 16 ? uuidText(v) : null;
    case TypeOid.date:
      return v.length === 4 ? dateText(v.readInt32BE(0)) : null;
    case TypeOid.time:
      return v.length === 8 ? timeText(v.readBigInt64BE(0)) : null;
    case TypeOid.timestamp:
      return v.length === 8 ? timestampText(v.readBigInt64BE(0), '') : null;
    case TypeOid.timestamptz:
      return v.length === 8 ? timestampText(v.readBigInt64BE(0), '+00') : null;
    case TypeOid.interval:
      return v.length === 16 ? intervalText(v.readBigInt64BE(0), v.readInt32BE(8), v.readInt32BE(12)) : null;
    case TypeOid.numeric:
      return numericText(v);
    default:
      return null;
  }
}

/**
 * A float as float8out / float4out write it (src/common/d2s.c, f2s.c): the shortest digits that read
 * back to the same value, in fixed notation when the decimal exponent is in [-4, limit), else as
 * d.ddde±XX with at least two exponent digits. limit is 15 for float8 and 6 for float4.
 */
function floatText(x: number, fixedLimit = 15): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, exponentText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < fixedLimit) return String(x);
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${pad(Math.abs(exponent), 2)}`;
}

/** float4: the fewest digits that read back to the same float4, then written as floatText does. */
function float4Text(x: number): string {
  if (!Number.isFinite(x) || x === 0) return floatText(x);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(x.toPrecision(p));
    if (Math.fround(candidate) === x) return floatText(candidate, 6);
  }
  return floatText(x, 6);
}

function uuidText(v: Buffer): string {
  const h = v.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** 'YYYY-MM-DD', with year 0 and before written as PostgreSQL does: '0001-01-01 BC' is year 0. */
function ymd(daysSince2000: number): { text: string; bc: boolean } {
  const { year, month, day } = civilFromDays(daysSince2000 + POSTGRES_EPOCH_DAYS);
  const bc = year <= 0;
  return { text: `${pad(bc ? 1 - year : year, 4)}-${pad(month, 2)}-${pad(day, 2)}`, bc };
}

function dateText(days: number): string {
  if (days === 0x7fffffff) return 'infinity';
  if (days === -0x80000000) return '-infinity';
  const { text, bc } = ymd(days);
  return bc ? `${text} BC` : text;
}

/** 'HH:MM:SS' and the fraction of a second without trailing zeros. */
function clockText(usecs: bigint): string {
  const secs = usecs / 1_000_000n;
  const frac = usecs % 1_000_000n;
  const text = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
  return frac === 0n ? text : `${text}.${pad(frac, 6).replace(/0+$/, '')}`;
}

function timeText(usecs: bigint): string | null {
  return usecs < 0n || usecs > USECS_PER_DAY ? null : clockText(usecs);
}

function timestampText(usecs: bigint, zone: string): string {
  if (usecs === INT64_MAX) return 'infinity';
  if (usecs === INT64_MIN) return '-infinity';
  let days = usecs / USECS_PER_DAY;
  let rest = usecs % USECS_PER_DAY;
  if (rest < 0n) {
    days -= 1n;
    rest += USECS_PER_DAY;
  }
  const { text, bc } = ymd(Number(days));
  return `${text} ${clockText(rest)}${zone}${bc ? ' BC' : ''}`;
}

/** interval in IntervalStyle 'postgres' (EncodeInterval in datetime.c). */
function intervalText(usecs: bigint, days: number, months: number): string {
  const parts: string[] = [];
  let isBefore = false;
  let isZero = true;
  const add = (value: number, unit: string): void => {
    if (value === 0) return;
    parts.push(`${!isZero && isBefore && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`);
    isBefore = value < 0;
    isZero = false;
  };
  add(Math.trunc(months / 12), 'year');
  add(months % 12, 'mon');
  add(days, 'day');
  if (usecs !== 0n || isZero) {
    const minus = usecs < 0n;
    const sign = minus ? '-' : isBefore && !isZero ? '+' : '';
    parts.push(`${sign}${clockText(minus ? -usecs : usecs)}`);
  }
  return parts.join(' ');
}

const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/** numeric: Int16 ndigits, Int16 weight, Int16 sign, Int16 dscale, then ndigits base-10000 digits (numeric_send). */
function numericText(v: Buffer): string | null {
  if (v.length < 8) return null;
  const ndigits = v.readInt16BE(0);
  const weight = v.readInt16BE(2);
  const sign = v.readUInt16BE(4);
  const dscale = v.readInt16BE(6);
  if (ndigits < 0 || dscale < 0 || v.length !== 8 + 2 * ndigits) return null;
  if (sign === NUMERIC_NAN) return 'NaN';
  if (sign === NUMERIC_PINF) return 'Infinity';
  if (sign === NUMERIC_NINF) return '-Infinity';
  if (sign !== 0 && sign !== NUMERIC_NEG) return null;
  const digit = (i: number): number => (i >= 0 && i < ndigits ? v.readInt16BE(8 + 2 * i) : 0);
  let int = '';
  if (weight < 0) int = '0';
  else for (let i = 0; i <= weight; i++) int += i === 0 ? String(digit(i)) : pad(digit(i), 4);
  let frac = '';
  for (let i = weight + 1; frac.length < dscale; i++) frac += pad(digit(i), 4);
  const text = dscale > 0 ? `${int}.${frac.slice(0, dscale)}` : int;
  return sign === NUMERIC_NEG ? `-${text}` : text;
}
