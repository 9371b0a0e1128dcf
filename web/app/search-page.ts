/** Search: the filters of `pgtrail search` (the same parameters, through the same code on the server). */
import type { StatementRow } from '../../search/trail-rows.js';
import { api, query } from './api.js';
import { formatDuration, formatTime, h, replace } from './dom.js';
import { filterForm, pager } from './filter-form.js';
import { listen } from './live-connection.js';

const pageSize = 50;

/** The SQL on one line, cut at 160 characters: the session page shows it whole. */
function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

function result(r: StatementRow): HTMLElement {
  if (r.error) return h('span', { class: 'tag tag-error', title: r.error.message }, `ERROR ${r.error.code}`);
  return h(
    'span',
    { class: r.finished ? 'tag tag-ok' : 'tag tag-running' },
    r.command ?? (r.finished ? 'done' : 'running'),
  );
}

/** Renders the search page; a search runs (and is recorded as a viewing) only once a filter is applied. */
export async function showSearch(root: HTMLElement, params: URLSearchParams): Promise<void> {
  listen(null, () => undefined);
  const offset = Number(params.get('offset') ?? '0') || 0;
  const filters = Object.fromEntries([...params].filter(([k]) => k !== 'offset'));
  const go = (values: Record<string, string | boolean | number>) => {
    location.hash = `#/search${query({ ...values, run: true })}`;
  };
  const form = filterForm(
    [
      { name: 'user', label: 'User' },
      { name: 'database', label: 'Database' },
      { name: 'kind', label: 'Kind', placeholder: 'ddl,delete' },
      { name: 'error', label: 'SQLSTATE', placeholder: '23505 or 23' },
      { name: 'grep', label: 'SQL matches', placeholder: 'regular expression' },
      { name: 'i', label: 'Ignore case', kind: 'flag' },
      { name: 'since', label: 'Since', placeholder: '2h, 7d, 2026-03-09' },
      { name: 'until', label: 'Until' },
    ],
    params,
    go,
  );
  const out = h('div', { class: 'table-wrap' });
  replace(root, h('h1', {}, 'Search statements'), form, out);
  if (params.get('run') !== 'true') {
    out.append(h('p', { class: 'empty' }, 'Set filters and apply them to search.'));
    return;
  }
  const { run: _run, ...apiFilters } = filters;
  const answer = await api<{ rows: StatementRow[]; more: boolean }>(
    `/api/search${query({ ...apiFilters, order: 'desc', limit: pageSize, offset })}`,
  );
  replace(
    out,
    h(
      'table',
      { class: 'list' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Time (UTC)', 'Session', 'User', 'Database', 'Result', 'Duration', 'SQL'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        ...answer.rows.map((r) =>
          h(
            'tr',
            { 'data-testid': 'search-row' },
            h('td', { class: 'time' }, formatTime(r.ts)),
            h('td', {}, h('a', { href: `#/session/${encodeURIComponent(r.session)}` }, `${r.session}#${r.statement}`)),
            h('td', {}, r.user),
            h('td', {}, r.database ?? '?'),
            h('td', {}, result(r)),
            h('td', { class: 'num' }, r.duration_ms === null ? '' : formatDuration(r.duration_ms)),
            h('td', { class: 'sql-cell' }, h('code', {}, oneLine(r.sql))),
          ),
        ),
      ),
    ),
    answer.rows.length === 0 ? h('p', { class: 'empty' }, 'No statements match.') : null,
    pager(offset, answer.rows.length, pageSize, answer.more ? null : offset + answer.rows.length, (o) =>
      go({ ...apiFilters, offset: o }),
    ),
  );
}
