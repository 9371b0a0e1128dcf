/**
 * Names of the files in a journal directory besides segments (format/segment-name.ts):
 *
 *   checkpoint                 the latest signed checkpoint (a signed note), replaced atomically
 *   lock                       the writer's pid (journal-lock.ts)
 *   verifier-key               the public verifier key (the private key lives outside: signing-key.ts)
 *   segment-*.jsonl.torn-<o>   bytes cut from a torn final write at offset o, kept as evidence
 */

/** File name of the latest signed checkpoint. */
export const latestCheckpointFile = 'checkpoint';

/** File name under which the bytes cut from `segment` at `offset` are kept. */
export function tornBytesFile(segment: string, offset: number): string {
  return `${segment}.torn-${offset}`;
}
