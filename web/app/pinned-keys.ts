/**
 * The verifier keys the reviewer trusts, kept in this browser (localStorage) once pinned. The page
 * shows the key the journal names, but verifies only against pinned ones: a key should be pinned
 * only when it matches the one obtained out of band (from `pgtrail keygen` or `start`'s output).
 * Witness keys (`pgtrail witness` prints its `witness vkey:`) are pinned the same way, separately.
 */
import { parseCosignerKey } from '../../recorder/format/cosignature.js';
import { parseVerifierKey } from '../../recorder/format/note.js';

const storageKey = 'pgtrail.pinnedKeys';
const witnessStorageKey = 'pgtrail.pinnedWitnesses';

function stored(key: string): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(value) ? value.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/** The pinned verifier keys. */
export function pinnedKeys(): string[] {
  return stored(storageKey);
}

/** The pinned witness keys. */
export function pinnedWitnesses(): string[] {
  return stored(witnessStorageKey);
}

/** Pins a witness key; returns an error message when it is not an Ed25519 cosignature/v1 key. */
export function pinWitness(vkey: string): string | null {
  const key = vkey.trim();
  try {
    parseCosignerKey(key);
  } catch {
    return 'that is not a witness key (name+id+key of type 0x04)';
  }
  const keys = pinnedWitnesses().filter((k) => k !== key);
  localStorage.setItem(witnessStorageKey, JSON.stringify([...keys, key]));
  return null;
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

/** Forgets every pinned key, journal and witness keys alike. */
export function unpinAll(): void {
  localStorage.removeItem(storageKey);
  localStorage.removeItem(witnessStorageKey);
}
