/**
 * Building the page. Every piece of journal text (SQL, parameters, names, messages) is attacker-
 * controlled, so it only ever enters the page as a text node: this module has no way to set HTML,
 * and nothing else in web/app/ sets innerHTML.
 */

/** A child: an element, text (always a text node), or nothing. */
export type Child = Node | string | null | undefined | false;

/** Attributes h() may set; `text` becomes a text node. */
export interface Props {
  readonly class?: string;
  readonly title?: string;
  readonly href?: string;
  readonly type?: string;
  readonly name?: string;
  readonly value?: string;
  readonly placeholder?: string;
  readonly id?: string;
  readonly 'data-testid'?: string;
  readonly 'aria-label'?: string;
}

/** Creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined) continue;
    // Only same-document links: a recorded value can never become a javascript: URL.
    if (name === 'href' && !String(value).startsWith('#')) continue;
    element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

/** Appends children; strings as text nodes. */
export function append(parent: Node, ...children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A button with a click handler. */
export function button(label: string, onClick: () => void, props: Props = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...props }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** Milliseconds as a short duration: 0.4 ms, 12 ms, 3.2 s, 4 min. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** An ISO time as YYYY-MM-DD HH:MM:SS UTC. */
export function formatTime(iso: string | null): string {
  if (iso === null) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
