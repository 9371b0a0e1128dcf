/**
 * A small log for witness tests: leaves, their signed checkpoints and the consistency proofs between
 * them, made with the journal's own key and note code.
 */
import { nodeSha256 } from '../../recorder/node-sha256.js';
import { signNote } from '../../recorder/note-signer.js';
import { generateSigningKey, type SigningKey } from '../../recorder/signing-key.js';
import { consistencyPath, leafStoreRoots } from '../../recorder/tree-prover.js';
import { encodeBase64 } from '../../recorder/format/base64.js';
import { formatCheckpoint } from '../../recorder/format/checkpoint.js';
import { leafHash } from '../../recorder/format/merkle.js';

/** A log of `leaves` leaves whose checkpoints any prefix can be taken from; `salt` makes a different history. */
export class TestLog {
  readonly key: SigningKey;
  readonly #roots: ReturnType<typeof leafStoreRoots>;

  constructor(leaves: number, salt = 0, key?: SigningKey) {
    this.key = key ?? generateSigningKey(`pgtrail/${'ab'.repeat(8)}`).key;
    const hashes = new Uint8Array(32 * leaves);
    for (let i = 0; i < leaves; i++) hashes.set(leafHash(nodeSha256, new Uint8Array([i & 0xff, i >> 8, salt])), 32 * i);
    this.#roots = leafStoreRoots(nodeSha256, hashes);
  }

  get origin(): string {
    return this.key.name;
  }

  /** The root of the first `size` leaves. */
  root(size: number): Uint8Array {
    return size === 0 ? nodeSha256() : this.#roots(0, size);
  }

  /** The signed checkpoint of the first `size` leaves. */
  checkpoint(size: number, key: SigningKey = this.key): string {
    return signNote(formatCheckpoint(this.origin, size, this.root(size)), key);
  }

  /** The add-checkpoint request body from `old` to `size`. */
  request(old: number, size: number, proof?: readonly Uint8Array[]): string {
    const lines = proof ?? (old === 0 ? [] : consistencyPath(this.#roots, old, size));
    return `old ${old}\n${lines.map((h) => `${encodeBase64(h)}\n`).join('')}\n${this.checkpoint(size)}`;
  }
}
