/**
 * RFC 9162 proofs built from any source of subtree hashes, so that one algorithm serves a journal
 * read from disk (pgtrail proof, bundles) and the witness client, which keeps only the tree's right
 * edge at each size a witness cosigned and the leaves after it.
 *
 * Every node of an inclusion or consistency proof is MTH(D[lo:hi]) for a subtree the recursion of
 * RFC 9162 2.1.3.1 / 2.1.4.1 names; `rootOf(lo, hi)` supplies it. In a consistency proof from m to
 * n, each node lies wholly in [0, m) (then it is one of the peaks of the tree of size m) or wholly in
 * [m, n) (the recursion splits at a power of two no greater than m).
 */
import { hashSize, nodeHash } from './format/merkle.js';
import type { Sha256 } from './format/sha256.js';

/** MTH(D[lo:hi]) for 0 <= lo < hi <= the tree's size. */
export type SubtreeRoot = (lo: number, hi: number) => Uint8Array;

/** Largest power of two strictly smaller than n (n >= 2), RFC 9162 2.1.1's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** PATH(index, D[size]) (RFC 9162 2.1.3.1), leaf's sibling first. */
export function inclusionPath(rootOf: SubtreeRoot, index: number, size: number): Uint8Array[] {
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(index) || index < 0 || index >= size)
    throw new RangeError('leaf index out of range');
  const out: Uint8Array[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    if (hi - lo === 1) return;
    const k = splitPoint(hi - lo);
    if (m < k) {
      walk(m, lo, lo + k);
      out.push(rootOf(lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      out.push(rootOf(lo, lo + k));
    }
  };
  walk(index, 0, size);
  return out;
}

/** PROOF(oldSize, D[newSize]) (RFC 9162 2.1.4.1); empty when the sizes are equal. */
export function consistencyPath(rootOf: SubtreeRoot, oldSize: number, newSize: number): Uint8Array[] {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize)
    throw new RangeError('old size out of range');
  const out: Uint8Array[] = [];
  const sub = (m: number, lo: number, hi: number, complete: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!complete) out.push(rootOf(lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, complete);
      out.push(rootOf(lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      out.push(rootOf(lo, lo + k));
    }
  };
  sub(oldSize, 0, newSize, true);
  return out;
}

/**
 * Subtree roots over leaf hashes stored side by side (32 bytes each, leaf `first` at offset 0), with
 * the roots of complete aligned subtrees remembered: every proof from one store then costs
 * O(log n) new hashes after the first.
 */
export function leafStoreRoots(sha256: Sha256, leaves: Uint8Array, first = 0): SubtreeRoot {
  const memo = new Map<string, Uint8Array>();
  const rootOf: SubtreeRoot = (lo, hi) => {
    const n = hi - lo;
    if (n === 1) {
      const at = (lo - first) * hashSize;
      if (at < 0 || at + hashSize > leaves.length) throw new RangeError('leaf not in the store');
      return leaves.subarray(at, at + hashSize);
    }
    const key = `${lo}:${hi}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const k = splitPoint(n);
    const root = nodeHash(sha256, rootOf(lo, lo + k), rootOf(lo + k, hi));
    // Complete subtrees recur in every later proof; right-edge ones rarely, so they are not kept.
    if ((n & (n - 1)) === 0) memo.set(key, root);
    return root;
  };
  return rootOf;
}

/** The peaks of the tree of `size` leaves: [lo, hi) of each complete subtree of its right edge, largest first. */
export function peakRanges(size: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = 0;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(size / bit) % 2 === 1) {
      out.push([lo, lo + bit]);
      lo += bit;
    }
  }
  return out;
}
