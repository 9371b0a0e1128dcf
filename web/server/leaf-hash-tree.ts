/**
 * The journal's Merkle tree (docs/journal-format.md §3) as the viewer's server needs it: every leaf
 * hash in one growing buffer, and RFC 9162 inclusion proofs against any earlier tree size, so that
 * the browser can check a record against a signed checkpoint without trusting this server.
 *
 * A proof needs the roots of whole subtrees. Those of 16 leaves or more whose range is aligned to
 * their size never change once complete, so they are remembered, level by level, in flat arrays
 * (one more half of the leaves' memory at most); smaller ones are hashed from the leaves each time
 * (at most 30 hashes per proof). A proof then costs about 2 log2(n) hashes at most, and usually none.
 */
import { createHash } from 'node:crypto';

const hashBytes = 32;
/** Subtrees of 2^cachedLevel leaves and more are remembered. */
const cachedLevel = 4;

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
  /** Per level L >= cachedLevel (index L - cachedLevel): roots of aligned subtrees of 2^L leaves, by position. */
  readonly #nodes: Uint8Array[] = [];
  /** Which of those are known (1) or not yet computed, or invalidated by `set` (0). */
  readonly #known: Uint8Array[] = [];

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
    const at = index * hashBytes;
    // Almost always the same hash (the chain agrees with the line): nothing to forget then.
    let same = true;
    for (let i = 0; i < hashBytes && same; i++) same = this.#leaves[at + i] === leaf[i];
    if (same) return;
    this.#leaves.set(leaf, at);
    this.#known.forEach((known, i) => {
      const position = index >>> (i + cachedLevel);
      if (position < known.length) known[position] = 0;
    });
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Uint8Array {
    return this.#leaves.slice(index * hashBytes, (index + 1) * hashBytes);
  }

  /** MTH of leaves [lo, hi) (RFC 9162 2.1.1). */
  root(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n === 1) return this.leaf(lo);
    const level = 31 - Math.clz32(n);
    if (level >= cachedLevel && n === 2 ** level && lo % n === 0) return this.subtree(level, lo / n);
    const k = splitPoint(n);
    return nodeHash(this.root(lo, lo + k), this.root(lo + k, hi));
  }

  /** The root of the aligned subtree at `position` of 2^level leaves, remembered once computed. */
  private subtree(level: number, position: number): Uint8Array {
    const i = level - cachedLevel;
    while (this.#nodes.length <= i) {
      this.#nodes.push(new Uint8Array(0));
      this.#known.push(new Uint8Array(0));
    }
    if (position < (this.#known[i] as Uint8Array).length && (this.#known[i] as Uint8Array)[position] === 1)
      return (this.#nodes[i] as Uint8Array).slice(position * hashBytes, (position + 1) * hashBytes);
    const n = 2 ** level;
    const lo = position * n;
    const hash = nodeHash(this.root(lo, lo + n / 2), this.root(lo + n / 2, lo + n));
    if (position >= (this.#known[i] as Uint8Array).length) {
      // Room for every subtree of this level the current leaves make, and then some.
      const room = Math.max(position + 1, Math.ceil(this.#leaves.length / hashBytes / n));
      const known = new Uint8Array(room);
      known.set(this.#known[i] as Uint8Array);
      const nodes = new Uint8Array(room * hashBytes);
      nodes.set(this.#nodes[i] as Uint8Array);
      this.#known[i] = known;
      this.#nodes[i] = nodes;
    }
    (this.#nodes[i] as Uint8Array).set(hash, position * hashBytes);
    (this.#known[i] as Uint8Array)[position] = 1;
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
