import { hash } from 'node:crypto';
import type { Sha256 } from './verify/sha256.js';

// One-shot hashing (crypto.hash, Node >= 20.12) allocates no Hash object per call, which is most of
// the cost of hashing a short record with createHash; several parts are first copied side by side.
let scratch = Buffer.allocUnsafe(4096);

/** SHA-256 from node:crypto (OpenSSL, hardware accelerated): what Node callers pass to the verifier and writer. */
export const nodeSha256: Sha256 = (...parts) => {
  if (parts.length === 1) return hash('sha256', parts[0]!, 'buffer');
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
  let offset = 0;
  for (const part of parts) {
    scratch.set(part, offset);
    offset += part.length;
  }
  return hash('sha256', scratch.subarray(0, offset), 'buffer');
};
