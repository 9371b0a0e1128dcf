/**
 * The viewer's page: logs in with the token from the `viewer:` URL (in the fragment, so it never
 * reaches a server log) or one typed in, then routes `#/sessions`, `#/session/ID` and `#/search`.
 */
import { api, ApiError } from './api.js';
import { button, h, replace } from './dom.js';
import { showSearch } from './search-page.js';
import { showSession } from './session-page.js';
import { showSessions } from './sessions-page.js';

const root = document.getElementById('app') as HTMLElement;

function nav(user: string): HTMLElement {
  return h(
    'nav',
    { class: 'top' },
    h('a', { href: '#/sessions', class: 'brand' }, 'pgtrail'),
    h('a', { href: '#/sessions' }, 'Sessions'),
    h('a', { href: '#/sessions?open=true' }, 'Live'),
    h('a', { href: '#/search' }, 'Search'),
    h('span', { class: 'spacer' }),
    h('span', { class: 'who' }, `signed in as ${user}`),
    button('Log out', () => void api('/api/logout', {}).then(() => location.reload()), { class: 'link' }),
  );
}

function loginForm(message: string): void {
  const input = h('input', { type: 'password', placeholder: 'login token or SSO token', 'aria-label': 'token' });
  const form = h(
    'form',
    { class: 'login' },
    h('h1', {}, 'pgtrail viewer'),
    h('p', {}, message),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void login(input.value.trim());
  });
  replace(root, form);
}

async function login(token: string): Promise<void> {
  try {
    await api('/api/login', { token });
    history.replaceState(null, '', '#/sessions');
    await route();
  } catch (err) {
    loginForm(err instanceof ApiError ? `Login refused: ${err.message}.` : 'Login failed.');
  }
}

async function route(): Promise<void> {
  let me: { user: string };
  try {
    me = await api<{ user: string }>('/api/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return loginForm('Open the viewer: URL printed at start, or paste a token.');
    throw err;
  }
  const [path = '', search = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const main = h('main', {});
  replace(root, nav(me.user), main);
  try {
    const session = /^\/session\/(.+)$/.exec(path);
    if (session) await showSession(main, decodeURIComponent(session[1] as string));
    else if (path === '/search') await showSearch(main, params);
    else await showSessions(main, params);
  } catch (err) {
    main.append(h('p', { class: 'error-message' }, err instanceof Error ? err.message : 'something went wrong'));
  }
}

const fragment = /^#login=([A-Za-z0-9_-]+)$/.exec(location.hash);
if (fragment) {
  // Take the token out of the address bar (and history) before anything else.
  history.replaceState(null, '', '#/sessions');
  void login(fragment[1] as string);
} else {
  void route();
}
window.addEventListener('hashchange', () => void route());
