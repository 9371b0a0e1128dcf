/**
 * A session: its heading, its timeline with every record verified here, a player that steps or plays
 * it back at 1x or 10x, and, while the session is open, its statements arriving live.
 */
import type { IdentityMethod } from '../../recorder/events.js';
import { paceDelayMs } from '../../replay/pace.js';
import { api } from './api.js';
import { button, formatTime, h, replace } from './dom.js';
import { listen } from './live-connection.js';
import { keyBar } from './key-bar.js';
import { pinnedKeys } from './pinned-keys.js';
import { SessionModel, type RecordLine, type TimelineItem } from './session-model.js';
import { itemCard } from './timeline-view.js';
import { markRecords, type Mark, type ProofSet } from './verify-records.js';

interface SessionPage {
  readonly records: readonly RecordLine[];
  readonly next: number | null;
}

/** Most records named in one proof request (the server's limit). */
const proofChunk = 2000;

function methodText(m: IdentityMethod): string {
  switch (m.kind) {
    case 'passthrough':
      return 'PostgreSQL password (passthrough)';
    case 'password':
      return 'pgtrail password (SCRAM)';
    case 'certificate':
      return `client certificate ${m.subject}`;
    case 'token':
      return `SSO token from ${m.issuer} (sub ${m.subject})`;
  }
}

function heading(model: SessionModel): HTMLElement {
  const o = model.opened;
  const live = model.closed === null;
  const fact = (label: string, value: string) => h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, value));
  return h(
    'section',
    { class: 'heading' },
    h(
      'h1',
      {},
      o ? o.identity.user : 'unknown identity',
      h('span', { class: 'muted' }, ` · session ${model.session}`),
      live
        ? h('span', { class: 'badge badge-live', 'data-testid': 'live' }, '● live')
        : h('span', { class: 'badge' }, 'closed'),
    ),
    h(
      'dl',
      { class: 'facts-grid' },
      o && fact('proven by', methodText(o.identity.method)),
      o && fact('database', o.database),
      o && fact('role', o.role),
      o && fact('client', `${o.client.address}:${o.client.port}`),
      o && fact('application', o.application === '' ? '—' : o.application),
      o && fact('server', `${o.upstream.address}:${o.upstream.port} (PostgreSQL ${o.serverVersion})`),
      o && fact('TLS', o.clientTls ? `${o.clientTls.version} ${o.clientTls.cipher}` : 'none'),
      o && fact('opened', formatTime(new Date(o.ts).toISOString())),
      fact(
        'closed',
        model.closed ? `${formatTime(new Date(model.closed.ts).toISOString())} (${model.closed.reason})` : 'still open',
      ),
    ),
  );
}

/** Renders the session page into `root`. */
export async function showSession(root: HTMLElement, session: string): Promise<void> {
  const model = new SessionModel(session);
  const marks = new Map<number, Mark>();
  const head = h('div', {});
  const timeline = h('div', { class: 'timeline', 'data-testid': 'timeline' });
  const status = h('span', { class: 'player-status' });
  let shown: number | null = null; // null: everything; else how many items the player has shown
  let timer: ReturnType<typeof setTimeout> | null = null;

  const start = () => model.opened?.ts ?? (model.items[0] ? itemTs(model.items[0]) : 0);
  const render = () => {
    replace(head, heading(model));
    const items = shown === null ? model.items : model.items.slice(0, shown);
    replace(timeline, ...items.map((item) => itemCard(item, start(), marks)));
    if (items.length === 0) timeline.append(h('p', { class: 'empty' }, 'No statements yet.'));
    status.textContent = shown === null ? `${model.items.length} entries` : `${shown} of ${model.items.length}`;
  };
  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const play = (speed: number) => {
    stop();
    if (shown === null || shown >= model.items.length) shown = 0;
    const next = () => {
      if (shown === null || shown >= model.items.length) return stop();
      const prev = shown === 0 ? start() : itemTs(model.items[shown - 1] as TimelineItem);
      timer = setTimeout(
        () => {
          shown = (shown ?? 0) + 1;
          render();
          next();
        },
        paceDelayMs(prev, itemTs(model.items[shown] as TimelineItem), speed),
      );
    };
    render();
    next();
  };
  const controls = h(
    'div',
    { class: 'player' },
    button('Restart', () => (stop(), (shown = 0), render())),
    button(
      'Step ▸',
      () => (
        stop(),
        (shown = Math.min(
          (shown ?? model.items.length) === model.items.length ? 1 : (shown ?? 0) + 1,
          model.items.length,
        )),
        render()
      ),
    ),
    button('▶ Play 1×', () => play(1), { 'data-testid': 'play-1x' }),
    button('▶ Play 10×', () => play(10), { 'data-testid': 'play-10x' }),
    button('Pause', stop),
    button('Show all', () => (stop(), (shown = null), render())),
    status,
  );

  const verify = async (seqs: readonly number[]) => {
    const pinned = pinnedKeys();
    for (let i = 0; i < seqs.length; i += proofChunk) {
      const chunk = seqs.slice(i, i + proofChunk);
      const set = await api<ProofSet>(`/api/proofs?seq=${chunk.join(',')}`);
      const lines = new Map(chunk.map((s) => [s, model.lines.get(s) ?? '']));
      for (const [seq, mark] of markRecords(lines, set, pinned)) marks.set(seq, mark);
    }
  };
  const pending = () => [...model.lines.keys()].filter((s) => marks.get(s)?.state !== 'verified');

  replace(
    root,
    keyBar(() => void verify([...model.lines.keys()]).then(render)),
    head,
    controls,
    timeline,
  );
  let from: number | null = 0;
  while (from !== null) {
    const page: SessionPage = await api<SessionPage>(`/api/sessions/${encodeURIComponent(session)}?from=${from}`);
    model.add(page.records);
    from = page.next;
  }
  await verify([...model.lines.keys()]);
  render();
  listen(session, (message) => {
    if (message.type === 'records' && message.session === session) {
      const before = new Set(model.lines.keys());
      if (!model.add(message.records)) return;
      void verify([...model.lines.keys()].filter((s) => !before.has(s))).then(render);
      render();
    } else if (message.type === 'checkpoint') {
      void verify(pending()).then(render);
    }
  });
}

function itemTs(item: TimelineItem): number {
  return item.kind === 'statement' ? item.started.ts : item.event.ts;
}
