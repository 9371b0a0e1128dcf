/**
 * The filters of `pgtrail search` and `pgtrail sessions` read from named text values, so that the
 * command line (bin/commands/search.ts, sessions.ts: flags) and the viewer's HTTP API
 * (web/server/api-routes.ts: query-string parameters) select with one code path and one set of
 * messages. A bad value is a SearchError(SEARCH_BAD_FILTER) naming the parameter.
 */
import type { SessionFilter } from './list-sessions.js';
import { SearchError } from './search-error.js';
import type { QueryOptions, StatementFilter } from './statement-filter.js';
import { parseKinds, statementKinds } from './statement-kind.js';
import { parseTimeSpec } from './time-spec.js';

/** Parameter values by name: a string, true for a flag given without a value, or absent. */
export type QueryValues = Readonly<Record<string, string | boolean | undefined>>;

/** Longest --grep pattern accepted, in characters. */
export const maxGrepChars = 1000;
/** Longest text filter value (user, database, session) accepted, in characters. */
const maxTextChars = 1000;

/** Order, limit and the number of matches to skip first (a page's start; 0 from the command line). */
export interface PageOptions extends QueryOptions {
  readonly offset: number;
}

function bad(name: string, message: string, cause?: unknown): SearchError {
  return new SearchError('SEARCH_BAD_FILTER', `${name} ${message}`, cause === undefined ? undefined : { cause });
}

function text(values: QueryValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > maxTextChars)
    throw bad(name, `must be a text of 1 to ${maxTextChars} characters`);
  return v;
}

function flag(values: QueryValues, name: string): boolean {
  const v = values[name];
  if (v === undefined || v === false || v === 'false' || v === '0') return false;
  if (v === true || v === '' || v === 'true' || v === '1') return true;
  throw bad(name, 'must be true or false');
}

function time(values: QueryValues, name: string, nowMs: number): number | undefined {
  const v = text(values, name);
  if (v === undefined) return undefined;
  try {
    return parseTimeSpec(v, nowMs);
  } catch (err) {
    if (err instanceof SearchError) throw bad(name, err.message.replace(/^bad time/, 'is a bad time'), err);
    throw err;
  }
}

function wholeNumber(values: QueryValues, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) throw bad(name, 'must be a whole number, 0 or more');
  return Number(v);
}

/** Order (asc by default), limit (none by default) and offset (0 by default). */
export function pageOptions(values: QueryValues): PageOptions {
  const order = values['order'] ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw bad('order', 'must be asc or desc');
  return { order, limit: wholeNumber(values, 'limit') ?? null, offset: wholeNumber(values, 'offset') ?? 0 };
}

/** The filter of `search`: user, database, session, since, until, grep (with i), error, kind. */
export function statementFilterFrom(values: QueryValues, nowMs: number): StatementFilter {
  const user = text(values, 'user');
  const database = text(values, 'database');
  const session = text(values, 'session');
  const since = time(values, 'since', nowMs);
  const until = time(values, 'until', nowMs);
  const grepText = values['grep'];
  let grep: RegExp | undefined;
  if (grepText !== undefined) {
    if (typeof grepText !== 'string' || grepText.length > maxGrepChars)
      throw bad('grep', `must be a regular expression of at most ${maxGrepChars} characters`);
    try {
      grep = new RegExp(grepText, flag(values, 'i') ? 'i' : '');
    } catch (err) {
      throw bad('grep', 'is not a valid regular expression', err);
    }
  }
  const errorValue = values['error'];
  let error: true | string | undefined;
  if (errorValue === true || errorValue === '' || errorValue === '*') error = true;
  else if (typeof errorValue === 'string') {
    if (!/^[0-9A-Za-z]{2}(?:[0-9A-Za-z]{3})?$/.test(errorValue))
      throw bad('error', 'must be a SQLSTATE (23505) or a class (23)');
    error = errorValue;
  }
  const kindText = text(values, 'kind');
  const kinds = kindText === undefined ? undefined : parseKinds(kindText);
  if (kinds === null) throw bad('kind', `must be among ${statementKinds.join(', ')}`);
  return {
    ...(user !== undefined && { user }),
    ...(database !== undefined && { database }),
    ...(session !== undefined && { session }),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    ...(grep !== undefined && { grep }),
    ...(error !== undefined && { error }),
    ...(kinds !== undefined && { kinds }),
  };
}

/** The filter of `sessions`: user, database, session, since, until, errors, open. */
export function sessionFilterFrom(values: QueryValues, nowMs: number): SessionFilter {
  const user = text(values, 'user');
  const database = text(values, 'database');
  const session = text(values, 'session');
  const since = time(values, 'since', nowMs);
  const until = time(values, 'until', nowMs);
  return {
    ...(user !== undefined && { user }),
    ...(database !== undefined && { database }),
    ...(session !== undefined && { session }),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    ...(flag(values, 'errors') && { withErrors: true }),
    ...(flag(values, 'open') && { openNow: true }),
  };
}
