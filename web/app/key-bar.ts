/** The bar that says which verifier and witness keys this browser trusts, and lets the reviewer pin them. */
import { api } from './api.js';
import { button, h, replace } from './dom.js';
import { pinKey, pinnedKeys, pinnedWitnesses, pinWitness, unpinAll } from './pinned-keys.js';

/** The witness keys pinned, and a field to pin another. */
function witnessRow(onPinned: () => void): HTMLElement {
  const witnesses = pinnedWitnesses();
  const input = h('input', {
    type: 'text',
    placeholder: 'witness vkey (pgtrail witness prints it)',
    'aria-label': 'witness key',
    'data-testid': 'witness-input',
  });
  const message = h('span', { class: 'error-message' });
  return h(
    'div',
    { class: 'witness-row' },
    h('span', { class: 'key-label' }, witnesses.length > 0 ? 'Witnesses' : 'No witness keys pinned'),
    witnesses.length > 0 && h('code', { class: 'vkey', 'data-testid': 'witness-keys' }, witnesses.join(', ')),
    input,
    button(
      'Pin witness',
      () => {
        const error = pinWitness(input.value);
        if (error !== null) message.textContent = error;
        else onPinned();
      },
      { 'data-testid': 'pin-witness' },
    ),
    message,
  );
}

/** The key bar; `onChange` runs after the pinned keys change. */
export function keyBar(onChange: () => void): HTMLElement {
  const bar = h('div', { class: 'key-bar', 'data-testid': 'key-bar' });
  const draw = () => {
    const keys = pinnedKeys();
    if (keys.length > 0) {
      replace(
        bar,
        h('span', { class: 'key-label' }, 'Verifying against pinned key'),
        h('code', { class: 'vkey' }, keys.join(', ')),
        button('Unpin all', () => (unpinAll(), draw(), onChange()), { class: 'link' }),
        witnessRow(() => (draw(), onChange())),
      );
      return;
    }
    const input = h('input', {
      type: 'text',
      placeholder: 'pgtrail/…+…+… (the verifier key you got from the journal’s operator)',
      'aria-label': 'verifier key',
      'data-testid': 'vkey-input',
    });
    const message = h('span', { class: 'error-message' });
    const claimed = h('span', { class: 'muted' });
    void api<{ journalVkey: string | null }>('/api/me').then((me) => {
      if (me.journalVkey)
        claimed.textContent = `The journal names its key ${me.journalVkey}. Pin it only if it matches yours.`;
    });
    replace(
      bar,
      h('span', { class: 'key-label' }, 'Not verifying: pin the journal’s verifier key'),
      input,
      button(
        'Pin key',
        () => {
          const error = pinKey(input.value);
          if (error !== null) message.textContent = error;
          else {
            draw();
            onChange();
          }
        },
        { 'data-testid': 'pin-key' },
      ),
      message,
      h('div', { class: 'claimed' }, claimed),
    );
  };
  draw();
  return bar;
}
