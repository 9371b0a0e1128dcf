import { expect, test } from 'vitest';
import { inclusionProof, leafHash, rootOfLeafHashes, verifyInclusion } from '../../recorder/format/merkle.js';
import { portableSha256 } from '../../recorder/format/sha256.js';
import { LeafHashTree, recordLeafHash } from './leaf-hash-tree.js';

const line = (i: number) => new TextEncoder().encode(`{"i":${i}}`);

test('inclusion proofs equal the reference implementation and verify, for every leaf of trees up to 300', () => {
  const tree = new LeafHashTree();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const leaf = recordLeafHash(line(i));
    expect(leaf).toEqual(leafHash(portableSha256, line(i)));
    tree.push(leaf);
    leaves.push(leaf);
  }
  for (const size of [1, 2, 3, 7, 255, 256, 257, 300]) {
    const root = rootOfLeafHashes(portableSha256, leaves, 0, size);
    expect(tree.root(0, size)).toEqual(root);
    for (let i = 0; i < size; i += size > 20 ? 13 : 1) {
      const proof = tree.inclusionProof(i, size);
      expect(proof).toEqual(inclusionProof(portableSha256, leaves.slice(0, size), i));
      expect(verifyInclusion(portableSha256, i, size, leaves[i]!, proof, root)).toBe(true);
    }
  }
});

test('a proof is refused for a leaf or size outside the tree', () => {
  const tree = new LeafHashTree();
  tree.push(recordLeafHash(line(0)));
  expect(() => tree.inclusionProof(1, 1)).toThrow(RangeError);
  expect(() => tree.inclusionProof(0, 2)).toThrow(RangeError);
});

test('a replaced leaf changes the remembered subtrees that hold it, and only those', () => {
  const tree = new LeafHashTree();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    leaves.push(recordLeafHash(line(i)));
    tree.push(leaves[i]!);
  }
  // Remember every subtree, then edit leaves inside some of them.
  expect(tree.root(0, 1000)).toEqual(rootOfLeafHashes(portableSha256, leaves, 0, 1000));
  for (const edited of [0, 37, 511, 512, 999]) {
    leaves[edited] = recordLeafHash(line(edited + 5000));
    tree.set(edited, leaves[edited]!);
    expect(tree.root(0, 1000)).toEqual(rootOfLeafHashes(portableSha256, leaves, 0, 1000));
    for (const i of [0, 15, 16, 37, 500, 511, 512, 777, 999]) {
      expect(tree.inclusionProof(i, 1000)).toEqual(inclusionProof(portableSha256, leaves, i));
      const size = Math.max(i + 1, 700 + (i % 300));
      expect(tree.inclusionProof(i, size)).toEqual(inclusionProof(portableSha256, leaves.slice(0, size), i));
    }
  }
});
