/** The sessions list, with the filters of `pgtrail sessions`, newest first, a page at a time; live while shown. */
import type { SessionRow } from '../../search/trail-rows.js';
import { api, query } from './api.js';
import { formatDuration, formatTime, h, replace } from './dom.js';
import { filterForm, pager } from './filter-form.js';
import { listen } from './live-connection.js';

const pageSize = 50;

function row(s: SessionRow): HTMLElement {
  const open = s.closed === null;
  return h(
    'tr',
    { 'data-testid': 'session-row' },
    h('td', { class: 'time' }, formatTime(s.opened)),
    h('td', {}, h('a', { href: `#/session/${encodeURIComponent(s.session)}` }, s.session)),
    h('td', {}, s.user ?? '?'),
    h('td', {}, s.database ?? '?'),
    h('td', {}, s.client ?? '?'),
    h('td', { class: 'app' }, s.application ?? ''),
    h('td', { class: 'num' }, String(s.statements)),
    h('td', { class: `num${s.errors > 0 ? ' has-errors' : ''}` }, String(s.errors)),
    h(
      'td',
      {},
      open
        ? h('span', { class: 'badge badge-live' }, '● open')
        : `${formatDuration(s.duration_ms ?? 0)}${s.reason ? ` · ${s.reason.replace('_', ' ')}` : ''}`,
    ),
  );
}

/** Renders the sessions page for the filters in `params`. */
export async function showSessions(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const offset = Number(params.get('offset') ?? '0') || 0;
  const go = (values: Record<string, string | boolean | number>) => {
    location.hash = `#/sessions${query(values)}`;
  };
  const filters = Object.fromEntries([...params].filter(([k]) => k !== 'offset'));
  const form = filterForm(
    [
      { name: 'user', label: 'User' },
      { name: 'database', label: 'Database' },
      { name: 'since', label: 'Since', placeholder: '2h, 7d, 2026-03-09' },
      { name: 'until', label: 'Until' },
      { name: 'errors', label: 'With errors', kind: 'flag' },
      { name: 'open', label: 'Open now', kind: 'flag' },
    ],
    params,
    go,
  );
  const table = h('div', { class: 'table-wrap' });
  replace(root, h('h1', {}, 'Sessions'), form, table);
  const load = async () => {
    const result = await api<{ total: number; rows: SessionRow[] }>(
      `/api/sessions${query({ ...filters, order: 'desc', limit: pageSize, offset })}`,
    );
    replace(
      table,
      h(
        'table',
        { class: 'list' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'Opened (UTC)',
              'Session',
              'User',
              'Database',
              'Client',
              'Application',
              'Statements',
              'Errors',
              'Duration',
            ].map((t) => h('th', {}, t)),
          ),
        ),
        h('tbody', {}, ...result.rows.map(row)),
      ),
      result.rows.length === 0 ? h('p', { class: 'empty' }, 'No sessions match.') : null,
      pager(offset, result.rows.length, pageSize, result.total, (o) => go({ ...filters, offset: o })),
    );
  };
  await load();
  // Sessions that open or close while the list is shown appear without a reload.
  let queued = false;
  listen(null, (message) => {
    if (message.type !== 'sessions' || queued) return;
    queued = true;
    setTimeout(() => {
      queued = false;
      void load();
    }, 300);
  });
}
