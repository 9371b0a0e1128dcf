import type { JournalSource } from './journal-source.js';
import { openIndex, type ProgressListener } from './open-index.js';
import { SearchError } from './search-error.js';
import type { QueryOptions } from './statement-filter.js';
import type { TrailIndex, ViewingSummary } from './trail-index.js';
import { isoTime, peerText } from './trail-rows.js';

/** One viewing as `search --viewings` prints it: who looked at what through the web viewer, and when. */
export interface ViewingRow {
  readonly ts: string;
  readonly seq: number;
  /** The viewer login the viewing belongs to. */
  readonly session: string;
  readonly viewer: string;
  /** 'login-token', or 'token' (an SSO token) with its issuer. */
  readonly method: string;
  readonly issuer: string | null;
  readonly client: string;
  readonly action: string;
  readonly target: string;
}

/** What `search --viewings` selects: the viewer's name, the time window, the viewed session. */
export interface ViewingFilter {
  readonly user?: string;
  readonly since?: number;
  readonly until?: number;
  /** Only viewings whose target is this session. */
  readonly session?: string;
}

/**
 * The viewings (viewer.viewed records) that match `filter`, in journal order (or reversed). Each is
 * read back from its segment and checked against the index; on a mismatch the index is rebuilt once.
 */
export async function listViewings(
  source: JournalSource,
  filter: ViewingFilter,
  options: QueryOptions & { readonly progress?: ProgressListener },
): Promise<ViewingRow[]> {
  const progress = options.progress ? { progress: options.progress } : {};
  const opened = await openIndex(source, progress);
  try {
    return collect(source, opened.index, filter, options);
  } catch (err) {
    if (!(err instanceof SearchError) || err.code !== 'SEARCH_INDEX_MISMATCH' || opened.origin === 'built') throw err;
    return collect(source, (await openIndex(source, { rebuild: true, ...progress })).index, filter, options);
  }
}

function matches(v: ViewingSummary, f: ViewingFilter): boolean {
  if (f.user !== undefined && v.viewer !== f.user) return false;
  if (f.since !== undefined && v.ts < f.since) return false;
  if (f.until !== undefined && v.ts >= f.until) return false;
  return true;
}

function collect(source: JournalSource, index: TrailIndex, filter: ViewingFilter, options: QueryOptions): ViewingRow[] {
  const chosen = index.viewings.filter((v) => matches(v, filter));
  if (options.order === 'desc') chosen.reverse();
  const rows: ViewingRow[] = [];
  for (const v of chosen) {
    if (options.limit !== null && rows.length >= options.limit) break;
    let entry: ReturnType<JournalSource['readAt']>;
    try {
      entry = source.readAt(v.location);
    } catch (cause) {
      throw new SearchError('SEARCH_INDEX_MISMATCH', `the search index points at no record in ${v.location.segment}`, {
        cause,
      });
    }
    const e = entry.event;
    if (entry.index !== v.seq || e?.type !== 'viewer.viewed' || e.viewer !== v.viewer || e.ts !== v.ts)
      throw new SearchError('SEARCH_INDEX_MISMATCH', `the search index does not match the journal at record ${v.seq}`);
    if (filter.session !== undefined && (e.action === 'search' || e.target !== filter.session)) continue;
    rows.push({
      ts: isoTime(e.ts),
      seq: v.seq,
      session: e.session,
      viewer: e.viewer,
      method: e.method.kind,
      issuer: e.method.kind === 'token' ? e.method.issuer : null,
      client: peerText(e.client),
      action: e.action,
      target: e.target,
    });
  }
  return rows;
}
