// The witness client's partial tree proves exactly what the whole tree proves, from every size at or above its base.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { CompactRange, leafHash } from '../format/merkle.js';
import { nodeSha256 } from '../node-sha256.js';
import { consistencyPath, leafStoreRoots } from '../tree-prover.js';
import { RightEdgeTree } from './right-edge-tree.js';

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const leaves = Array.from({ length: 260 }, (_, i) => leafHash(nodeSha256, new Uint8Array([i & 0xff, i >> 8, 7])));
const whole = leafStoreRoots(nodeSha256, new Uint8Array(Buffer.concat(leaves)));

function treeFrom(base: number, size: number): RightEdgeTree {
  const range = new CompactRange(nodeSha256);
  for (const l of leaves.slice(0, base)) range.appendLeafHash(l);
  const tree = new RightEdgeTree(nodeSha256, base, range.peaks());
  for (const l of leaves.slice(base, size)) tree.append(l);
  return tree;
}

test('every base, old size >= base and new size: the same consistency proofs as the whole tree', () => {
  for (let base = 0; base <= 40; base++)
    for (let size = Math.max(base, 1); size <= 40; size++) {
      const tree = treeFrom(base, size);
      expect(hex(tree.rootOf(0, size))).toBe(hex(whole(0, size)));
      for (let old = Math.max(base, 1); old <= size; old++)
        expect(consistencyPath(tree.rootOf, old, size).map(hex)).toEqual(consistencyPath(whole, old, size).map(hex));
    }
});

test('after advancing the base, proofs from the new base on still match; below it they are refused', () => {
  fc.assert(
    fc.property(fc.nat(259), fc.nat(259), fc.nat(259), (a, b, c) => {
      const [base, next, size] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
      if (size === 0) return;
      const tree = treeFrom(base, size);
      tree.advance(next);
      expect(tree.base).toBe(Math.max(base, next));
      for (const old of [Math.max(next, 1), size]) {
        if (old > size || old < 1) continue;
        expect(consistencyPath(tree.rootOf, old, size).map(hex)).toEqual(consistencyPath(whole, old, size).map(hex));
      }
      if (tree.base >= 2) expect(() => tree.rootOf(0, 1)).toThrow(RangeError);
    }),
    { numRuns: 300 },
  );
});
