/**
 * "Download evidence bundle" on a session page: the server makes the bundle (docs/bundles.md) and
 * records the download; this page checks it with the browser-safe bundle check
 * (recorder/verify/bundle-check.ts, the code `pgtrail verify --bundle` runs) against the pinned
 * journal and witness keys, says what it found, and saves the file as it came, failing or not (a
 * bundle that fails is evidence too).
 */
import { checkBundle, parseBundle, type BundleReport } from '../../recorder/verify/bundle-check.js';
import { button, h } from './dom.js';
import { pinnedKeys, pinnedWitnesses } from './pinned-keys.js';

function verdict(report: BundleReport, witnessKeys: number): string {
  if (!report.intact) return `✗ the bundle fails its check: ${report.findings[0]?.message ?? 'unknown finding'}`;
  const complete = report.closed ? 'complete to its close' : `complete up to record ${report.upTo} (still open)`;
  const witnessed = witnessKeys > 0 ? `, witnessed by ${report.witnessed}` : '';
  return `✓ checked in this browser: intact, ${report.records} records in the signed tree of ${report.treeSize}, ${complete}${witnessed}`;
}

function errorOf(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === 'string' ? error : 'the server refused';
  } catch {
    return 'the server refused';
  }
}

/** Saves `text` as a file named `name`. */
function save(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  // Our own object URL, not recorded text: dom.ts's h() admits only in-page links, so set it here.
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The button and the line that says how the downloaded bundle checked. */
export function bundleDownload(session: string): HTMLElement {
  const status = h('span', { class: 'bundle-status', 'data-testid': 'bundle-status' });
  const run = async () => {
    status.textContent = 'making the bundle…';
    const res = await fetch(`/api/sessions/${encodeURIComponent(session)}/bundle`, { credentials: 'same-origin' });
    const text = await res.text();
    if (!res.ok) {
      status.textContent = `no bundle: ${errorOf(text)}`;
      return;
    }
    const keys = pinnedKeys();
    const witnessKeys = pinnedWitnesses();
    try {
      const bundle = parseBundle(text);
      status.textContent =
        keys.length === 0
          ? 'downloaded, not checked: pin the journal key to check it'
          : verdict(checkBundle(bundle, { vkeys: keys, witnessKeys }), witnessKeys.length);
    } catch {
      status.textContent = '✗ the server sent something that is not a bundle';
    }
    save(text, `session-${session.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  };
  return h(
    'div',
    { class: 'bundle' },
    button('Download evidence bundle', () => void run(), { 'data-testid': 'download-bundle' }),
    status,
  );
}
