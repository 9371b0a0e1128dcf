/** A row of filter fields whose values become the query string of a listing (the CLI's flags, by name). */
import { h } from './dom.js';

/** One field: a text input, or a checkbox for a flag. */
export interface Field {
  readonly name: string;
  readonly label: string;
  readonly kind?: 'text' | 'flag';
  readonly placeholder?: string;
}

/** A form whose submit calls `onSubmit` with the values filled in; fields start from `initial`. */
export function filterForm(
  fields: readonly Field[],
  initial: URLSearchParams,
  onSubmit: (values: Record<string, string | boolean>) => void,
): HTMLFormElement {
  const inputs = new Map<string, HTMLInputElement>();
  const form = h(
    'form',
    { class: 'filters' },
    ...fields.map((f) => {
      const input = h('input', {
        type: f.kind === 'flag' ? 'checkbox' : 'text',
        name: f.name,
        ...(f.placeholder !== undefined && { placeholder: f.placeholder }),
      });
      if (f.kind === 'flag') input.checked = initial.get(f.name) === 'true';
      else input.value = initial.get(f.name) ?? '';
      inputs.set(f.name, input);
      return h('label', { class: f.kind === 'flag' ? 'flag' : 'field' }, h('span', {}, f.label), input);
    }),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values: Record<string, string | boolean> = {};
    for (const [name, input] of inputs) values[name] = input.type === 'checkbox' ? input.checked : input.value.trim();
    onSubmit(values);
  });
  return form;
}

/** Prev/next links for a page of `count` rows starting at `offset`. */
export function pager(
  offset: number,
  count: number,
  limit: number,
  total: number | null,
  go: (offset: number) => void,
): HTMLElement {
  const prev = h('button', { type: 'button' }, '‹ Newer');
  const next = h('button', { type: 'button' }, 'Older ›');
  prev.disabled = offset === 0;
  next.disabled = total === null ? count < limit : offset + count >= total;
  prev.addEventListener('click', () => go(Math.max(0, offset - limit)));
  next.addEventListener('click', () => go(offset + limit));
  const range = count === 0 ? 'none' : `${offset + 1}–${offset + count}${total === null ? '' : ` of ${total}`}`;
  return h('div', { class: 'pager' }, prev, h('span', {}, range), next);
}
