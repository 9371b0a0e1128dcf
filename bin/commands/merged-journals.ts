/**
 * Several journals as one listing (logs sharded over recorder services): `search`, `sessions`,
 * `replay` and `verify` take --journal more than once. A listing runs its query on each journal
 * with the same filter, order and limit, and merges the rows in time order before the limit is
 * applied again (the first N of the union are among the first N of each part). With several
 * journals each row says which it came from (`journal`), since `seq` is an index within one.
 */
import type { TrailIndex } from '../../search/trail-index.js';

/** What one journal's query returned: its rows (in the asked order) and the index they came from. */
export interface JournalRows<T> {
  readonly rows: readonly T[];
  readonly index: TrailIndex;
}

/** Rows of every journal merged; `index` is the one journal's, or null when there were several. */
export interface MergedRows<T> {
  readonly rows: readonly T[];
  readonly index: TrailIndex | null;
}

/** Queries each directory in turn and merges the rows by `time` (ISO 8601 UTC, so text order is time order). */
export async function queryJournals<T extends object>(
  dirs: readonly string[],
  query: (dir: string) => Promise<JournalRows<T>>,
  time: (row: T) => string | null,
  order: 'asc' | 'desc',
  limit: number | null,
): Promise<MergedRows<T>> {
  if (dirs.length === 1) {
    const only = await query(dirs[0]!);
    return { rows: only.rows, index: only.index };
  }
  const all: T[] = [];
  for (const dir of dirs) {
    const { rows } = await query(dir);
    for (const row of rows) all.push({ ...row, journal: dir });
  }
  const sign = order === 'asc' ? 1 : -1;
  // Stable: rows of one journal at the same time keep their journal order.
  all.sort((a, b) => sign * compareTime(time(a), time(b)));
  return { rows: limit === null ? all : all.slice(0, limit), index: null };
}

function compareTime(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
