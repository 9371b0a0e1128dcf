/**
 * Verification in the browser: whether each record the page shows is in the tree a checkpoint signs,
 * checked here with the journal-format layer (recorder/verify/: RFC 9162 inclusion proofs, C2SP
 * signed notes, Ed25519) against the verifier keys the reviewer pinned. The server only supplies
 * lines and proofs; a wrong line, proof, checkpoint or key fails here, whoever runs the server.
 */
import { decodeBase64 } from '../../recorder/format/base64.js';
import { parseCheckpoint } from '../../recorder/format/checkpoint.js';
import { keyRotationText } from '../../recorder/format/key-rotation.js';
import { leafHash, verifyInclusion } from '../../recorder/format/merkle.js';
import { formatKeyId, openNote, parseVerifierKey, type NoteVerifierKey } from '../../recorder/format/note.js';
import { portableSha256 } from '../../recorder/format/sha256.js';

/** Inclusion proofs as the server sends them (web/server/session-records.ts). */
export interface ProofSet {
  readonly checkpoint: { readonly seq: number; readonly note: string } | null;
  readonly proofs: readonly { readonly seq: number; readonly proof: readonly string[] }[];
  readonly rotations: readonly { readonly seq: number; readonly line: string; readonly proof: readonly string[] }[];
}

/** What the page says about one record. */
export type Mark =
  | { readonly state: 'verified'; readonly key: string; readonly treeSize: number }
  | { readonly state: 'pending' }
  | { readonly state: 'failed'; readonly reason: string }
  | { readonly state: 'unpinned' };

const encoder = new TextEncoder();

function decodeProof(proof: readonly string[]): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  for (const p of proof) {
    const bytes = decodeBase64(p);
    if (bytes === null) return null;
    out.push(bytes);
  }
  return out;
}

/** Whether `line` at `seq`, with `proof`, is in the tree of `size` leaves with `root`. */
export function included(seq: number, line: string, proof: readonly string[], size: number, root: Uint8Array): boolean {
  const path = decodeProof(proof);
  return (
    path !== null &&
    verifyInclusion(portableSha256, seq, size, leafHash(portableSha256, encoder.encode(line)), path, root)
  );
}

/** The `i` a record line claims, or null when it is not a record line. */
export function claimedIndex(line: string): number | null {
  const m = /^\{"i":(0|[1-9][0-9]{0,15}),/.exec(line);
  return m ? Number(m[1]) : null;
}

/**
 * The signed tree the proofs are against: its size, root and the key that signed it, after following
 * the journal's key rotations from the pinned keys; or why there is none to trust.
 */
export function trustedTree(
  set: ProofSet,
  pinned: readonly string[],
): { size: number; root: Uint8Array; key: string } | string {
  if (set.checkpoint === null) return 'the journal has no checkpoint yet';
  let keys: NoteVerifierKey[];
  try {
    keys = pinned.map((k) => parseVerifierKey(k));
  } catch {
    return 'a pinned key is not a verifier key';
  }
  let root: Uint8Array;
  let size: number;
  let origin: string;
  try {
    const body = set.checkpoint.note.slice(0, set.checkpoint.note.lastIndexOf('\n\n') + 1);
    ({ root, size, origin } = parseCheckpoint(body));
  } catch {
    return 'the checkpoint is malformed';
  }
  if (size !== set.checkpoint.seq) return 'the checkpoint is not at the index of the tree it signs';
  // Each rotation must be in the tree and signed by the key in force; from then on only the new key counts.
  for (const r of set.rotations) {
    if (r.seq >= size || !included(r.seq, r.line, r.proof, size, root))
      return `key rotation ${r.seq} is not in the tree`;
    let body: { i?: unknown; kind?: unknown; vkey?: unknown; note?: unknown };
    try {
      body = JSON.parse(r.line) as typeof body;
    } catch {
      return `key rotation ${r.seq} is malformed`;
    }
    if (
      body.i !== r.seq ||
      body.kind !== 'key.rotated' ||
      typeof body.vkey !== 'string' ||
      typeof body.note !== 'string'
    )
      return `key rotation ${r.seq} is malformed`;
    try {
      const opened = openNote(body.note, keys);
      if (opened.text !== keyRotationText(origin, r.seq, body.vkey)) return `key rotation ${r.seq} signs other text`;
      keys = [parseVerifierKey(body.vkey)];
    } catch {
      return `key rotation ${r.seq} is not signed by a trusted key`;
    }
  }
  try {
    const opened = openNote(set.checkpoint.note, keys);
    const sig = opened.verified[0];
    if (!sig || sig.name !== origin) return 'the checkpoint is signed for another log';
    return { size, root, key: `${sig.name}+${formatKeyId(sig.keyId)}` };
  } catch {
    return 'the checkpoint is not signed by the pinned key';
  }
}

/** The mark of every record in `lines` (journal index to exact line), given proofs and the pinned keys. */
export function markRecords(
  lines: ReadonlyMap<number, string>,
  set: ProofSet,
  pinned: readonly string[],
): Map<number, Mark> {
  const marks = new Map<number, Mark>();
  if (pinned.length === 0) {
    for (const seq of lines.keys()) marks.set(seq, { state: 'unpinned' });
    return marks;
  }
  const tree = trustedTree(set, pinned);
  const proofs = new Map(set.proofs.map((p) => [p.seq, p.proof]));
  for (const [seq, line] of lines) {
    if (claimedIndex(line) !== seq) {
      marks.set(seq, { state: 'failed', reason: 'the record is not at the index it claims' });
    } else if (typeof tree === 'string') {
      marks.set(seq, set.checkpoint === null ? { state: 'pending' } : { state: 'failed', reason: tree });
    } else if (seq >= tree.size) {
      marks.set(seq, { state: 'pending' });
    } else {
      const proof = proofs.get(seq);
      marks.set(
        seq,
        proof !== undefined && included(seq, line, proof, tree.size, tree.root)
          ? { state: 'verified', key: tree.key, treeSize: tree.size }
          : { state: 'failed', reason: 'the record does not match the signed tree' },
      );
    }
  }
  return marks;
}
