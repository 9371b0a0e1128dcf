import { createHash } from 'node:crypto';
import type { Sha256 } from './verify/sha256.js';

/** SHA-256 from node:crypto (OpenSSL, hardware accelerated): what Node callers pass to the verifier and writer. */
export const nodeSha256: Sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};
