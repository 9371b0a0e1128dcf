/**
 * The verifier keys the reviewer trusts, kept in this browser (localStorage) once pinned. The page
 * shows the key the journal names, but verifies only against pinned ones: a key should be pinned
 * only when it matches the one obtained out of band (from `pgtrail keygen` or `start`'s output).
 */
import { parseVerifierKey } from '../../recorder/format/note.js';

const storageKey = 'pgtrail.pinnedKeys';

/** The pinned verifier keys. */
export function pinnedKeys(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(storageKey) ?? '[]');
    return Array.isArray(value) ? value.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/** Pins a key; returns an error message when it is not a verifier key. */
export function pinKey(vkey: string): string | null {
  const key = vkey.trim();
  try {
    parseVerifierKey(key);
  } catch {
    return 'that is not a verifier key (name+id+key)';
  }
  const keys = pinnedKeys().filter((k) => k !== key);
  localStorage.setItem(storageKey, JSON.stringify([...keys, key]));
  return null;
}

/** Forgets every pinned key. */
export function unpinAll(): void {
  localStorage.removeItem(storageKey);
}
