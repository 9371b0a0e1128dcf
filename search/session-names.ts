/**
 * How people name a session on the command line: its full id, any prefix of it that only one
 * session of the journal has (as git takes a commit), or `ID#N` as search prints a statement (the
 * session of statement N). And the reverse: the shortest prefix that still names each session, for
 * tables that cannot spare 26 columns for an id.
 */
import { SearchError } from './search-error.js';
import type { TrailIndex } from './trail-index.js';

/** Longest session name accepted: a full id is 26 characters; anything far longer is a mistake. */
const maxNameLength = 200;

/** Abbreviated ids are never shorter than this, so that they stay unique as a journal grows a little. */
export const minAbbreviation = 8;

/** A session name taken apart: the id or prefix, and the statement number after `#`, if any. */
export interface SessionName {
  readonly prefix: string;
  readonly statement: number | null;
}

/** Parses `ID`, `PREFIX` or `ID#N`; throws SEARCH_BAD_SESSION for anything else. */
export function parseSessionName(name: string): SessionName {
  const m = /^([^#\s]+)(?:#([1-9][0-9]{0,9}))?$/.exec(name);
  if (name.length > maxNameLength || m === null)
    throw new SearchError('SEARCH_BAD_SESSION', 'a session is named by its id, a prefix of it, or ID#N');
  return { prefix: m[1] as string, statement: m[2] === undefined ? null : Number(m[2]) };
}

/**
 * The full id of the session `name` names, or null when none does. A full id wins over a longer id
 * it is a prefix of; a prefix that more than one session has is SEARCH_SESSION_AMBIGUOUS.
 */
export function resolveSessionName(index: TrailIndex, name: string): string | null {
  const { prefix } = parseSessionName(name);
  if (index.sessionNumber(prefix) !== undefined) return prefix;
  const matches = index.sessions.filter((s) => s.id.startsWith(prefix));
  if (matches.length === 0) return null;
  if (matches.length > 1)
    throw new SearchError(
      'SEARCH_SESSION_AMBIGUOUS',
      `session prefix ${JSON.stringify(prefix)} matches ${matches.length} sessions; give more of the id`,
    );
  return (matches[0] as { id: string }).id;
}

/**
 * A function that abbreviates the given ids to one common length: the shortest at which each of
 * them is the prefix of no other session in the journal (at least minAbbreviation), so that every
 * id printed can be given back to --session or replay.
 */
export function sessionAbbreviator(index: TrailIndex, ids: Iterable<string>): (id: string) => string {
  // Only ids that share the first minAbbreviation characters can need more: one pass over every
  // session compares it with the listed ids of its prefix. (Sorting every id, or a Map of them,
  // cost 10 to 100 times more on 200,000 sessions.)
  const listed = new Map<string, string[]>();
  for (const id of new Set(ids)) {
    const prefix = id.slice(0, minAbbreviation);
    const near = listed.get(prefix);
    if (near === undefined) listed.set(prefix, [id]);
    else near.push(id);
  }
  let length = minAbbreviation;
  for (const { id: other } of index.sessions) {
    const near = listed.get(other.slice(0, minAbbreviation));
    if (near === undefined) continue;
    for (const id of near)
      if (id !== other) length = Math.max(length, Math.min(id.length, commonPrefix(id, other) + 1));
  }
  return (id) => id.slice(0, length);
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
