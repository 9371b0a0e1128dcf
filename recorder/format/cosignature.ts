/**
 * Witness cosignatures as C2SP tlog-cosignature specifies them (https://c2sp.org/tlog-cosignature),
 * Ed25519 "cosignature/v1": a signed-note signature line on a checkpoint,
 *
 *   "— " <cosigner name> " " base64(key ID (4) || timestamp (u64, big-endian) || Ed25519 signature (64)) "\n"
 *
 * with key ID = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4] and the signature over
 *
 *   "cosignature/v1\n" "time " <timestamp, decimal> "\n" <checkpoint body, final newline included>
 *
 * A cosigner's vkey is `<name>+<key ID hex>+base64(0x04 || public key)`. A cosignature says that, at
 * its time, this is the largest tree the cosigner has seen for the origin and that it is consistent
 * with every earlier one it saw. Browser-safe, like the rest of this folder.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { computeKeyId, formatKeyId, isValidKeyName, parseNoteUnverified } from './note.js';
import { portableSha256, type Sha256 } from './sha256.js';
import { VerifyError, VerifyErrorCode } from '../verify/verify-error.js';

/** Signature type byte of Ed25519 cosignature/v1 keys. */
export const cosignatureAlgorithm = 0x04;
/** Bytes of a cosignature line's decoded signature: key ID, timestamp, Ed25519 signature. */
export const cosignatureBytes = 4 + 8 + 64;
/** Largest timestamp the format allows (2^63 - 1); timestamps are kept as bigint. */
export const maxCosignatureTime = (1n << 63n) - 1n;

const encoder = new TextEncoder();

/** A parsed cosigner key. */
export interface CosignerKey {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  /** The vkey as given. */
  readonly text: string;
}

/** A cosignature line that verified: who cosigned, and when (POSIX seconds). */
export interface VerifiedCosignature {
  readonly key: CosignerKey;
  readonly timestamp: bigint;
  /** The line without its newline. */
  readonly line: string;
}

/** The message a cosignature/v1 signs: header, time line and the checkpoint body. */
export function cosignedMessage(checkpointBody: string, timestamp: bigint): Uint8Array {
  return encoder.encode(`cosignature/v1\ntime ${timestamp}\n${checkpointBody}`);
}

/** Formats a cosigner vkey from a name and a 32-byte Ed25519 public key. */
export function formatCosignerKey(name: string, publicKey: Uint8Array, sha256: Sha256 = portableSha256): string {
  const typed = new Uint8Array(33);
  typed[0] = cosignatureAlgorithm;
  typed.set(publicKey, 1);
  return `${name}+${formatKeyId(computeKeyId(name, typed, sha256))}+${encodeBase64(typed)}`;
}

/** Parses a cosigner vkey strictly; throws VerifyError unless it is a well-formed type-0x04 key. */
export function parseCosignerKey(vkey: string, sha256: Sha256 = portableSha256): CosignerKey {
  const bad = () => new VerifyError(VerifyErrorCode.vkeyMalformed, 'witness key is not name+keyid+key of type 0x04');
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) throw bad();
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const key = decodeBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex) || key === null || key.length !== 33) throw bad();
  if (key[0] !== cosignatureAlgorithm)
    throw new VerifyError(VerifyErrorCode.keyAlgorithmUnknown, 'witness key is not an ed25519 cosignature/v1 key');
  const keyId = Number.parseInt(idHex, 16);
  if (computeKeyId(name, key, sha256) !== keyId)
    throw new VerifyError(VerifyErrorCode.vkeyHashMismatch, 'witness key id does not match its name and key');
  return { name, keyId, publicKey: key.slice(1), text: vkey };
}

/** Formats one cosignature line (without its newline) from its parts. */
export function formatCosignatureLine(key: CosignerKey, timestamp: bigint, signature: Uint8Array): string {
  const blob = new Uint8Array(cosignatureBytes);
  new DataView(blob.buffer).setUint32(0, key.keyId);
  new DataView(blob.buffer).setBigUint64(4, timestamp);
  blob.set(signature, 12);
  return `\u2014 ${key.name} ${encodeBase64(blob)}`;
}

/**
 * The cosignatures in a signed checkpoint note that verify under one of `keys`. Lines by other keys
 * are ignored (C2SP: clients MUST ignore unknown cosigners); a line by a known key that does not
 * verify, or with a timestamp above 2^63 - 1, is not counted. Throws VerifyError only when the
 * note itself is malformed.
 */
export function verifiedCosignatures(note: string, keys: readonly CosignerKey[]): VerifiedCosignature[] {
  const { text, signatures } = parseNoteUnverified(note);
  const found: VerifiedCosignature[] = [];
  for (const sig of signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (key === undefined || found.some((f) => f.key === key)) continue;
    const bytes = decodeBase64(sig.base64);
    if (bytes === null || bytes.length !== cosignatureBytes) continue;
    const timestamp = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(4);
    if (timestamp > maxCosignatureTime) continue;
    if (!verifyEd25519(bytes.subarray(12), cosignedMessage(text, timestamp), key.publicKey)) continue;
    found.push({ key, timestamp, line: `\u2014 ${sig.name} ${sig.base64}` });
  }
  return found;
}

function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    // zip215 off: only what RFC 8032 (and Go's crypto/ed25519) accepts.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
