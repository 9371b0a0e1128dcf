/**
 * The journal's Merkle tree (docs/journal-format.md §3) as the viewer's server needs it: every leaf
 * hash in one growing buffer, and RFC 9162 inclusion proofs against any earlier tree size, so that
 * the browser can check a record against a signed checkpoint without trusting this server.
 *
 * A proof needs the roots of whole subtrees. Those of 256 leaves or more whose range is aligned to
 * their size never change once complete, so they are remembered; smaller ones are hashed from the
 * leaves each time (at most a few hundred hashes per proof).
 */
import { createHash } from 'node:crypto';

const hashBytes = 32;
const cachedFrom = 256;

// Plain Uint8Arrays (not Buffers) so that hashes compare equal to those of recorder/verify/.
function plain(digest: Buffer): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(Uint8Array.of(0x01)).update(left).update(right).digest());
}

/** SHA-256(0x00 || line): the leaf hash of a record's line bytes, without its newline. */
export function recordLeafHash(line: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(Uint8Array.of(0x00)).update(line).digest());
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Leaf hashes in index order, and inclusion proofs over them. */
export class LeafHashTree {
  #leaves = new Uint8Array(hashBytes * 1024);
  #size = 0;
  readonly #subtrees = new Map<string, Uint8Array>();

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** Appends the next leaf hash. */
  push(leaf: Uint8Array): void {
    if (leaf.length !== hashBytes) throw new RangeError('a leaf hash has 32 bytes');
    if ((this.#size + 1) * hashBytes > this.#leaves.length) {
      const grown = new Uint8Array(this.#leaves.length * 2);
      grown.set(this.#leaves);
      this.#leaves = grown;
    }
    this.#leaves.set(leaf, this.#size * hashBytes);
    this.#size++;
  }

  /** Replaces the leaf hash at `index`, forgetting the remembered subtrees that contain it. */
  set(index: number, leaf: Uint8Array): void {
    if (leaf.length !== hashBytes || index < 0 || index >= this.#size) throw new RangeError('no such leaf');
    this.#leaves.set(leaf, index * hashBytes);
    for (let n = cachedFrom; n <= this.#size; n *= 2) this.#subtrees.delete(`${index - (index % n)}:${n}`);
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Uint8Array {
    return this.#leaves.slice(index * hashBytes, (index + 1) * hashBytes);
  }

  /** MTH of leaves [lo, hi) (RFC 9162 2.1.1). */
  root(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n === 1) return this.leaf(lo);
    const aligned = n >= cachedFrom && (n & (n - 1)) === 0 && lo % n === 0;
    const key = aligned ? `${lo}:${n}` : '';
    if (aligned) {
      const known = this.#subtrees.get(key);
      if (known) return known;
    }
    const k = splitPoint(n);
    const hash = nodeHash(this.root(lo, lo + k), this.root(lo + k, hi));
    if (aligned) this.#subtrees.set(key, hash);
    return hash;
  }

  /** PATH(index, D[size]): the inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 9162 2.1.3.1). */
  inclusionProof(index: number, size: number): Uint8Array[] {
    if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size || size > this.#size)
      throw new RangeError('leaf index or tree size out of range');
    const proof: Uint8Array[] = [];
    let lo = 0;
    let hi = size;
    let m = index;
    // Walk down from the root; the siblings are collected top-down, and a proof lists them bottom-up.
    while (hi - lo > 1) {
      const k = splitPoint(hi - lo);
      if (m < k) {
        proof.push(this.root(lo + k, hi));
        hi = lo + k;
      } else {
        proof.push(this.root(lo, lo + k));
        lo += k;
        m -= k;
      }
    }
    return proof.reverse();
  }
}
