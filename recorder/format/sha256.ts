import { sha256 } from '@noble/hashes/sha2.js';

/**
 * SHA-256 over the concatenation of `parts`, returning the 32-byte digest.
 *
 * The verifier takes the hash as a parameter so that it runs unchanged in a browser (with the
 * portable default below) and in Node (where bin/ passes node:crypto's native hash for speed).
 */
export type Sha256 = (...parts: readonly Uint8Array[]) => Uint8Array;

/** The portable SHA-256 (@noble/hashes), usable in browsers; slower than node:crypto. */
export const portableSha256: Sha256 = (...parts) => {
  if (parts.length === 1 && parts[0] !== undefined) return sha256(parts[0]);
  const h = sha256.create();
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * SHA-256 of `data` written as 32 bytes into `out` at `offset`. Lets the verifier's per-record loop
 * and the Merkle tree hash into memory they reuse instead of allocating a digest per hash; `out` may
 * overlap `data` (the digest is complete before it is written).
 */
export type Sha256Into = (data: Uint8Array, out: Uint8Array, offset: number) => void;

/** A Sha256Into from any Sha256: one copy of each digest. */
export function sha256IntoFrom(sha256: Sha256): Sha256Into {
  return (data, out, offset) => out.set(sha256(data), offset);
}
