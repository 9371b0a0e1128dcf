/**
 * Just enough of the tree to prove consistency from any size at or above `base` to the current size:
 * the peaks of the tree at `base` (its right edge) and every leaf hash after it. Each node an RFC 9162
 * proof from m >= base needs is a peak of m (tree-prover.ts); a peak of m that lies below base is a
 * peak of base, one that straddles base splits into peaks of base and leaves after it. So memory is
 * 32 bytes per record since the oldest size a witness still has to be brought from, not per record
 * of the journal.
 */
import { hashSize, nodeHash } from '../format/merkle.js';
import type { Sha256 } from '../format/sha256.js';
import { peakRanges, type SubtreeRoot } from '../tree-prover.js';

/** See the module comment. */
export class RightEdgeTree {
  #base: number;
  #peaks = new Map<string, Uint8Array>();
  #leaves: Uint8Array;
  #count = 0;
  // Complete subtrees above base, remembered: later proofs reuse them.
  #memo = new Map<string, Uint8Array>();

  /** `peaks` are the roots of peakRanges(base), largest first. */
  constructor(
    private readonly sha256: Sha256,
    base: number,
    peaks: readonly Uint8Array[],
  ) {
    this.#base = base;
    const ranges = peakRanges(base);
    if (ranges.length !== peaks.length) throw new RangeError('peaks do not match the base size');
    ranges.forEach(([lo, hi], i) => this.#peaks.set(`${lo}:${hi}`, peaks[i]!));
    this.#leaves = new Uint8Array(hashSize * 1024);
  }

  /** The oldest size proofs can start from. */
  get base(): number {
    return this.#base;
  }

  /** The tree's size. */
  get size(): number {
    return this.#base + this.#count;
  }

  /** Appends one leaf hash (copied). */
  append(leaf: Uint8Array): void {
    if ((this.#count + 1) * hashSize > this.#leaves.length) {
      const bigger = new Uint8Array(this.#leaves.length * 2);
      bigger.set(this.#leaves.subarray(0, this.#count * hashSize));
      this.#leaves = bigger;
    }
    this.#leaves.set(leaf, this.#count * hashSize);
    this.#count++;
  }

  /** MTH(D[lo:hi]) for a node of a proof from a size >= base (see the module comment). */
  readonly rootOf: SubtreeRoot = (lo, hi) => {
    const key = `${lo}:${hi}`;
    const known = this.#peaks.get(key) ?? this.#memo.get(key);
    if (known !== undefined) return known;
    if (hi > this.size || lo >= hi) throw new RangeError('a node beyond the tree');
    const n = hi - lo;
    if (n === 1) {
      // Below the base only peaks are kept; a proof from a size >= base never needs anything else.
      if (lo < this.#base) throw new RangeError('a leaf below the base that is not one of its peaks');
      const at = (lo - this.#base) * hashSize;
      return this.#leaves.subarray(at, at + hashSize);
    }
    let k = 1;
    while (k * 2 < n) k *= 2;
    const root = nodeHash(this.sha256, this.rootOf(lo, lo + k), this.rootOf(lo + k, hi));
    if ((n & (n - 1)) === 0) this.#memo.set(key, root);
    return root;
  };

  /** Moves the base up to `base` (<= size): what is below it is let go. */
  advance(base: number): void {
    if (base <= this.#base) return;
    if (base > this.size) throw new RangeError('cannot advance beyond the tree');
    const peaks = peakRanges(base).map(([lo, hi]) => this.rootOf(lo, hi));
    const drop = base - this.#base;
    const kept = this.#leaves.slice(drop * hashSize, this.#count * hashSize);
    this.#leaves = new Uint8Array(Math.max(kept.length * 2, hashSize * 1024));
    this.#leaves.set(kept);
    this.#count -= drop;
    this.#base = base;
    this.#peaks = new Map(peakRanges(base).map(([lo, hi], i) => [`${lo}:${hi}`, peaks[i]!]));
    this.#memo = new Map([...this.#memo].filter(([key]) => Number(key.split(':')[0]) >= base));
  }
}
