import { hash } from 'node:crypto';
import type { Sha256, Sha256Into } from './format/sha256.js';

// One-shot hashing (crypto.hash, Node >= 20.12) allocates no Hash object per call. Its 'buffer'
// output allocates a fresh external ArrayBuffer per digest, which costs more than hashing a record
// (measured: ~1.2 µs against ~0.5 µs for a 345-byte input) and loads the garbage collector; the
// 'latin1' string output copied byte by byte is the same digest at less than half the cost (the
// copy loop ~0.03 µs, where Buffer.write of the string took ~0.2 µs).
let scratch = Buffer.allocUnsafe(4096);

/** node:crypto's SHA-256 into caller memory: what the writer and verifyJournalDir use per record. */
export const nodeSha256Into: Sha256Into = (data, out, offset) => {
  const digest = hash('sha256', data, 'binary');
  for (let i = 0; i < 32; i++) out[offset + i] = digest.charCodeAt(i);
};

/** The 32-byte digest as a Buffer from Node's pool (no external ArrayBuffer per digest). */
function digest(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(32);
  nodeSha256Into(data, out, 0);
  return out;
}

/** SHA-256 from node:crypto (OpenSSL, hardware accelerated): what Node callers pass to the verifier and writer. */
export const nodeSha256: Sha256 = (...parts) => {
  if (parts.length === 1) return digest(parts[0]!);
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
  let offset = 0;
  for (const part of parts) {
    scratch.set(part, offset);
    offset += part.length;
  }
  return digest(scratch.subarray(0, offset));
};
