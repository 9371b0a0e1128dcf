/**
 * A session: its heading, its timeline with every record verified here, a player that steps or plays
 * it back at 1x or 10x, and, while the session is open, its statements arriving live.
 */
import type { IdentityMethod } from '../../recorder/events.js';
import { paceDelayMs } from '../../replay/pace.js';
import { api } from './api.js';
import { bundleDownload } from './bundle-download.js';
import { button, formatTime, h, replace } from './dom.js';
import { listen } from './live-connection.js';
import { keyBar } from './key-bar.js';
import { pinnedKeys, pinnedWitnesses } from './pinned-keys.js';
import { SessionModel, type RecordLine, type TimelineItem } from './session-model.js';
import { itemCard } from './timeline-view.js';
import { markRecords, type Mark, type ProofSet } from './verify-records.js';
import { checkWitnesses, type WitnessCheck, type WitnessedSet, type WitnessMark } from './verify-witnesses.js';

interface SessionPage {
  readonly records: readonly RecordLine[];
  readonly next: number | null;
}

/** The proofs the server sends: against the latest checkpoint, and against the latest cosigned one. */
interface ProofAnswer extends ProofSet {
  readonly witnessed: WitnessedSet | null;
}

/** The cosigned checkpoint as this page checked it: each pinned witness, cosigned or not. */
function cosignersPanel(check: WitnessCheck | null): HTMLElement | null {
  if (check === null) return null;
  const head =
    check.treeSize === null
      ? `Witnesses: ${check.problem ?? 'nothing cosigned yet'}`
      : `Checkpoint of ${check.treeSize} records, cosignatures checked in this browser:`;
  return h(
    'div',
    { class: 'cosigners', 'data-testid': 'cosigners' },
    h('span', { class: 'key-label' }, head),
    ...check.cosigners.map((c) =>
      h(
        'span',
        { class: `cosigner cosigner-${c.state}`, 'data-testid': 'cosigner' },
        c.state === 'cosigned'
          ? `✓ ${c.name} cosigned ${formatTime(new Date((c.time ?? 0) * 1000).toISOString())}`
          : c.state === 'failed'
            ? `✗ ${c.name}: cosignature does not verify`
            : `${c.name}: no cosignature`,
      ),
    ),
  );
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
  // Null while no witness key is pinned: the page then says nothing about witnesses.
  let witness: Map<number, WitnessMark> | null = null;
  let cosigned: WitnessCheck | null = null;
  const head = h('div', {});
  const cosigners = h('div', {});
  const timeline = h('div', { class: 'timeline', 'data-testid': 'timeline' });
  const status = h('span', { class: 'player-status' });
  let shown: number | null = null; // null: everything; else how many items the player has shown
  let timer: ReturnType<typeof setTimeout> | null = null;

  const start = () => model.opened?.ts ?? (model.items[0] ? itemTs(model.items[0]) : 0);
  const render = () => {
    replace(head, heading(model));
    replace(cosigners, cosignersPanel(cosigned));
    const items = shown === null ? model.items : model.items.slice(0, shown);
    replace(timeline, ...items.map((item) => itemCard(item, start(), marks, witness)));
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
    const witnessKeys = pinnedWitnesses();
    if (witnessKeys.length === 0) {
      witness = null;
      cosigned = null;
    } else witness ??= new Map();
    for (let i = 0; i < seqs.length; i += proofChunk) {
      const chunk = seqs.slice(i, i + proofChunk);
      const set = await api<ProofAnswer>(`/api/proofs?seq=${chunk.join(',')}`);
      const lines = new Map(chunk.map((s) => [s, model.lines.get(s) ?? '']));
      for (const [seq, mark] of markRecords(lines, set, pinned)) marks.set(seq, mark);
      if (witness !== null) {
        cosigned = checkWitnesses(lines, set.witnessed, pinned, witnessKeys);
        for (const [seq, mark] of cosigned.marks) witness.set(seq, mark);
      }
    }
  };
  // Records to check again when a checkpoint or cosignature arrives.
  const pending = () =>
    [...model.lines.keys()].filter(
      (s) => marks.get(s)?.state !== 'verified' || (witness !== null && witness.get(s)?.state !== 'witnessed'),
    );

  replace(
    root,
    keyBar(() => void verify([...model.lines.keys()]).then(render)),
    head,
    cosigners,
    bundleDownload(session),
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
