/**
 * A legal hold (docs/journal-format.md §11): a `hold` record exempts records from pruning.
 *
 *   {"i":I,"prev":"P","kind":"hold","ts":MS,"id":"H","scope":{"session":"S"}}
 *   … "scope":{"user":"U"}      every record of every session of identity U
 *   … "scope":{"before":MS}     every record with a time before MS
 *
 * followed by `"reason":"…"` when one was given. A hold stands until a later `hold.released`
 * record names it:
 *
 *   {"i":I,"prev":"P","kind":"hold.released","ts":MS,"hold":"H"}     (then `"reason":"…"` if given)
 *
 * Both are journal records, chained and signed like any other: a release can be neither slipped in
 * nor taken back without `verify` seeing it. Neither kind is ever pruned.
 *
 * Browser-safe: no node: modules.
 */

/** The record kind of a legal hold. */
export const holdKind = 'hold';

/** The record kind of the release of a legal hold. */
export const holdReleasedKind = 'hold.released';

/** What a hold covers. */
export type HoldScope = { readonly session: string } | { readonly user: string } | { readonly before: number };

/** One legal hold. */
export interface LegalHold {
  readonly id: string;
  readonly ts: number;
  readonly scope: HoldScope;
  readonly reason: string | null;
}

/** The release of a legal hold: from `ts` on, the hold `hold` no longer keeps records from prune. */
export interface HoldRelease {
  readonly hold: string;
  readonly ts: number;
  readonly reason: string | null;
}

const maxTextLength = 1024;
const idPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `text` is a well-formed hold id. */
export function isHoldId(text: string): boolean {
  return idPattern.test(text);
}

/** The record kind and body of a hold or a release, as the writer appends them. */
export function holdRecordOf(item: LegalHold | HoldRelease): {
  readonly kind: typeof holdKind | typeof holdReleasedKind;
  readonly body: Readonly<Record<string, unknown>>;
} {
  if ('scope' in item) return { kind: holdKind, body: holdBody(item) };
  const reason = item.reason === null ? {} : { reason: item.reason };
  return { kind: holdReleasedKind, body: { ts: item.ts, hold: item.hold, ...reason } };
}

/** Reads a release from a parsed record body, or returns null when it is not a well-formed one. */
export function parseHoldReleaseBody(body: Readonly<Record<string, unknown>>): HoldRelease | null {
  const { ts, hold, reason } = body;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || typeof hold !== 'string' || !idPattern.test(hold))
    return null;
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > maxTextLength))
    return null;
  return { hold, ts, reason: typeof reason === 'string' ? reason : null };
}

/** The record body of a hold, as the writer appends it. */
export function holdBody(hold: LegalHold): Readonly<Record<string, unknown>> {
  return { ts: hold.ts, id: hold.id, scope: hold.scope, ...(hold.reason === null ? {} : { reason: hold.reason }) };
}

/** Reads a hold from a parsed record body, or returns null when it is not a well-formed one. */
export function parseHoldBody(body: Readonly<Record<string, unknown>>): LegalHold | null {
  const { ts, id, scope, reason } = body;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || typeof id !== 'string' || !idPattern.test(id)) return null;
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > maxTextLength))
    return null;
  const parsed = parseScope(scope);
  if (parsed === null) return null;
  return { id, ts, scope: parsed, reason: typeof reason === 'string' ? reason : null };
}

function parseScope(scope: unknown): HoldScope | null {
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) return null;
  const keys = Object.keys(scope);
  if (keys.length !== 1) return null;
  const value = (scope as Record<string, unknown>)[keys[0]!];
  switch (keys[0]) {
    case 'session':
      return typeof value === 'string' && value.length > 0 && value.length <= 64 ? { session: value } : null;
    case 'user':
      return typeof value === 'string' && value.length > 0 && value.length <= maxTextLength ? { user: value } : null;
    case 'before':
      return typeof value === 'number' && Number.isSafeInteger(value) ? { before: value } : null;
    default:
      return null;
  }
}
