import { SearchError } from './search-error.js';

const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const relative = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;
// Dates and date-times only; Date.parse alone would also accept things like "1" or "March 7".
const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses a --since/--until value into milliseconds since the epoch: an ISO 8601 date or date-time
 * (UTC when it has no offset) or a relative age such as `90s`, `15m`, `2h`, `7d`, `1w` before `nowMs`.
 */
export function parseTimeSpec(text: string, nowMs: number): number {
  const rel = relative.exec(text);
  if (rel) return nowMs - Number(rel[1]) * unitMs[rel[2] as keyof typeof unitMs];
  if (iso.test(text)) {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
    const ms = Date.parse(hasZone ? text : text.length === 10 ? `${text}T00:00:00Z` : `${text.replace(' ', 'T')}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  throw new SearchError(
    'SEARCH_BAD_TIME',
    `bad time ${JSON.stringify(text)}: expected an ISO 8601 time or an age like 2h or 7d`,
  );
}
