/**
 * A key rotation is a `key.rotated` record whose `note` is a signed note (note.ts) by the key in
 * force, over exactly this text:
 *
 *   pgtrail key rotation\n
 *   <origin>\n
 *   <index of the key.rotated record>\n
 *   <new verifier key>\n
 *
 * From the record after it on, checkpoints must be signed by the new key. Binding the index stops
 * an old rotation note from being replayed elsewhere in the journal.
 */

/** The text the old key signs to hand over to `newVerifierKey`. */
export function keyRotationText(origin: string, index: number, newVerifierKey: string): string {
  return `pgtrail key rotation\n${origin}\n${index}\n${newVerifierKey}\n`;
}
