/** The timeline of a session: one card per statement, role change, cancel and notification. */
import type { RecordedText } from '../../recorder/events.js';
import { button, formatDuration, h, type Child } from './dom.js';
import { highlightSql } from './sql-highlight.js';
import type { StatementItem, TimelineItem } from './session-model.js';
import type { Mark } from './verify-records.js';
import type { WitnessMark } from './verify-witnesses.js';

/** SQL longer than this many lines or characters is folded until asked for. */
const foldLines = 8;
const foldChars = 600;

function text(value: RecordedText): string {
  if (typeof value === 'string') return value;
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0)));
  } catch {
    return '(bytes that are not text)';
  }
}

/** The badge of a verification mark; a record's mark is its worst part's (started and finished records). */
export function markBadge(marks: readonly (Mark | undefined)[]): HTMLElement {
  const failed = marks.find((m) => m?.state === 'failed');
  if (failed?.state === 'failed')
    return h(
      'span',
      { class: 'mark mark-failed', title: failed.reason, 'data-testid': 'mark' },
      '✗ fails verification',
    );
  if (marks.some((m) => m === undefined || m.state === 'unpinned'))
    return h(
      'span',
      { class: 'mark mark-unpinned', title: 'pin the journal key to verify', 'data-testid': 'mark' },
      'not verified',
    );
  if (marks.some((m) => m?.state === 'pending'))
    return h(
      'span',
      { class: 'mark mark-pending', title: 'chained, but no signed checkpoint covers it yet', 'data-testid': 'mark' },
      '… not yet checkpointed',
    );
  const ok = marks[0];
  const title = ok?.state === 'verified' ? `in the tree of ${ok.treeSize} records signed by ${ok.key}` : '';
  return h('span', { class: 'mark mark-verified', title, 'data-testid': 'mark' }, '✓ verified');
}

function sqlBlock(sql: string): HTMLElement {
  const pre = highlightSql(sql);
  const long = sql.length > foldChars || sql.split('\n').length > foldLines;
  if (!long) return pre;
  pre.classList.add('folded');
  const toggle = button(
    'Show all SQL',
    () => {
      const folded = pre.classList.toggle('folded');
      toggle.textContent = folded ? 'Show all SQL' : 'Fold SQL';
    },
    { class: 'link' },
  );
  return h('div', { class: 'sql-wrap' }, pre, toggle);
}

function outcome(item: StatementItem): Child {
  const f = item.finished;
  if (f === null) return h('span', { class: 'tag tag-running' }, 'running');
  if (f.notExecuted) return h('span', { class: 'tag tag-muted' }, 'not executed');
  if (f.error) return h('span', { class: 'tag tag-error' }, `ERROR ${f.error.code}`);
  return h('span', { class: 'tag tag-ok' }, f.command ?? 'done');
}

function details(item: StatementItem): Child[] {
  const out: Child[] = [];
  const s = item.started;
  if (s.params !== null && s.params.length > 0) {
    out.push(
      h(
        'dl',
        { class: 'params' },
        ...s.params.flatMap((p, i) => [h('dt', {}, `$${i + 1}`), h('dd', {}, p === null ? 'NULL' : p)]),
      ),
    );
  }
  const f = item.finished;
  if (f?.error) out.push(h('div', { class: 'error-message' }, `${f.error.code}: ${f.error.message}`));
  const facts: Child[] = [];
  if (f?.rows !== null && f?.rows !== undefined) facts.push(h('span', {}, f.rows === 1 ? '1 row' : `${f.rows} rows`));
  if (f) facts.push(h('span', {}, formatDuration(f.durationMs)));
  if (f?.resultDigest)
    facts.push(
      h('span', { class: 'digest', title: 'SHA-256 of the result rows' }, `result ${f.resultDigest.slice(0, 16)}…`),
    );
  if (f?.copy)
    facts.push(h('span', {}, `COPY ${f.copy.direction}: ${f.copy.bytes} bytes, sha256 ${f.copy.sha256.slice(0, 16)}…`));
  if (s.redaction) facts.push(h('span', {}, `redacted by ${s.redaction}`));
  facts.push(h('span', { class: 'muted' }, `${s.protocol} protocol · role ${s.role} · record ${item.seq}`));
  out.push(h('div', { class: 'facts' }, ...facts));
  if (f?.capturedRows && f.capturedRows.length > 0) {
    out.push(
      h(
        'table',
        { class: 'captured' },
        h('caption', {}, 'captured rows'),
        h(
          'tbody',
          {},
          ...f.capturedRows.map((row) => h('tr', {}, ...row.map((v) => h('td', {}, v === null ? 'NULL' : v)))),
        ),
      ),
    );
  }
  return out;
}

/** The badge of a record's witnessing (all its records must be witnessed), or nothing when no witness key is pinned. */
export function witnessBadge(marks: readonly (WitnessMark | undefined)[]): HTMLElement {
  const witnessed = marks.filter((m): m is Extract<WitnessMark, { state: 'witnessed' }> => m?.state === 'witnessed');
  if (witnessed.length < marks.length || witnessed.length === 0) {
    const reason = marks.find((m) => m?.state === 'unwitnessed');
    return h(
      'span',
      {
        class: 'mark mark-unwitnessed',
        title: reason?.state === 'unwitnessed' ? reason.reason : 'not checked yet',
        'data-testid': 'witness-mark',
      },
      'not yet witnessed',
    );
  }
  // Every record of the entry is in the same cosigned tree, so they share the witnesses.
  const first = witnessed[0] as (typeof witnessed)[number];
  return h(
    'span',
    {
      class: 'mark mark-witnessed',
      title: `in the tree of ${first.treeSize} records cosigned by ${first.by.join(', ')}`,
      'data-testid': 'witness-mark',
    },
    `witnessed by ${first.by.length}`,
  );
}

/** One timeline entry as a card; `start` is the session's start in ms (offsets are from it). */
export function itemCard(
  item: TimelineItem,
  start: number,
  marks: ReadonlyMap<number, Mark>,
  witness: ReadonlyMap<number, WitnessMark> | null,
): HTMLElement {
  const witnessOf = (seqs: readonly number[]) => witness && witnessBadge(seqs.map((s) => witness.get(s)));
  const ts = item.kind === 'statement' ? item.started.ts : item.event.ts;
  const offset = h('span', { class: 'offset' }, `+${formatDuration(Math.max(0, ts - start))}`);
  if (item.kind === 'statement') {
    const own = [marks.get(item.seq), ...(item.finishedSeq === null ? [] : [marks.get(item.finishedSeq)])];
    const broken = own.some((m) => m?.state === 'failed') ? ' broken' : '';
    return h(
      'article',
      { class: `card statement${item.finished?.error ? ' failed' : ''}${broken}`, 'data-testid': 'statement' },
      h(
        'header',
        {},
        offset,
        h('span', { class: 'number' }, `#${item.started.statement}`),
        outcome(item),
        markBadge(own),
        witnessOf(item.finishedSeq === null ? [item.seq] : [item.seq, item.finishedSeq]),
      ),
      sqlBlock(text(item.started.sql)),
      ...details(item),
    );
  }
  const own = [marks.get(item.seq)];
  const line =
    item.kind === 'role'
      ? `role changed to ${item.event.role} (statement #${item.event.statement})`
      : item.kind === 'cancel'
        ? `cancel requested${item.event.statement === null ? '' : ` for statement #${item.event.statement}`}`
        : `notification on ${item.event.channel} from backend ${item.event.senderPid} (payload sha256 ${item.event.payloadSha256.slice(0, 16)}…)`;
  return h(
    'article',
    { class: `card event event-${item.kind}` },
    h('header', {}, offset, h('span', {}, line), markBadge(own), witnessOf([item.seq])),
  );
}
