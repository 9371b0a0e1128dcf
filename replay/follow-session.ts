import type { JournalSource } from '../search/journal-source.js';
import { openIndex } from '../search/open-index.js';
import { statementsFromIndex } from '../search/search-statements.js';
import type { StatementRow } from '../search/trail-rows.js';
import { sleep } from './pace.js';

/**
 * The statements of a session that may still be live, each once it has finished (or once the
 * session has closed), polling the journal every `pollMs` until the session's session.closed
 * record arrives or `signal` aborts. New records are taken into an in-memory copy of the index.
 */
export async function* followSession(
  source: JournalSource,
  session: string,
  options: { readonly pollMs: number; readonly signal?: AbortSignal },
): AsyncGenerator<StatementRow> {
  const { index } = await openIndex(source, { complete: true });
  let shown = 0;
  for (;;) {
    const number = index.sessionNumber(session);
    const summary = number === undefined ? undefined : index.sessions[number];
    const closed = summary?.closedTs !== null && summary?.closedTs !== undefined;
    const rows = statementsFromIndex(source, index, { session }, { order: 'asc', limit: null });
    // Show in order; stop at the first unfinished statement until it finishes (or the session ends).
    while (shown < rows.length && (rows[shown]?.finished === true || closed)) yield rows[shown++] as StatementRow;
    if (closed || options.signal?.aborted) return;
    await sleep(options.pollMs);
    for await (const entry of source.scan(index.position)) index.add(entry);
  }
}
