/**
 * Signed notes as C2SP signed-note specifies them (https://c2sp.org/signed-note), the format of
 * Go's sumdb and of every transparency-log checkpoint:
 *
 *   <text, one or more lines, each ending in "\n">
 *   "\n"
 *   "— " <key name> " " base64(key ID (4 bytes, big-endian) || signature) "\n"   (one or more)
 *
 * The signature is Ed25519 over the text bytes exactly, including its final newline and excluding
 * the blank line. A verifier key is "<name>+<key ID as 8 hex digits>+base64(0x01 || 32-byte public
 * key)" and the key ID is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key).
 * Parsing is strict and all-or-nothing: a note is either entirely well-formed or rejected.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { portableSha256, type Sha256 } from './sha256.js';
import { VerifyError, VerifyErrorCode } from '../verify/verify-error.js';

/** Signature type byte for Ed25519 keys in signed notes. */
export const ed25519Algorithm = 0x01;

/** Upper bound on signature lines, as Go's note package applies, to bound work on hostile input. */
export const maxNoteSignatures = 100;

const signaturePrefix = '\u2014 ';
const encoder = new TextEncoder();

/** A parsed verifier key: who signs and how to check it. */
export interface NoteVerifierKey {
  readonly name: string;
  readonly keyId: number;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The key exactly as it was given, for messages. */
  readonly text: string;
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly base64: string;
}

/** A note whose text is signed by at least one known key. */
export interface OpenedNote {
  readonly text: string;
  readonly verified: readonly NoteSignature[];
  readonly unverified: readonly NoteSignature[];
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no lone surrogate, i.e. it encodes to valid UTF-8. */
export function isWellFormedText(text: string): boolean {
  return !loneSurrogate.test(text);
}

/** A key name: non-empty, no Unicode white space, no '+', well-formed UTF-16 (so valid UTF-8). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && isWellFormedText(name);
}

/** The key ID: the first four bytes, big-endian, of SHA-256(name || 0x0A || algorithm || public key). */
export function computeKeyId(name: string, algorithmAndKey: Uint8Array, sha256: Sha256 = portableSha256): number {
  const digest = sha256(encoder.encode(name), new Uint8Array([0x0a]), algorithmAndKey);
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/** A key ID as the eight lowercase hex digits used in keys. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** Parses a verifier key strictly; throws VerifyError unless it is a well-formed Ed25519 key. */
export function parseVerifierKey(vkey: string, sha256: Sha256 = portableSha256): NoteVerifierKey {
  // Base64 may contain '+', so only the first two '+' separate fields.
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) throw new VerifyError(VerifyErrorCode.vkeyMalformed, 'verifier key is not name+keyid+key');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const key = decodeBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex) || key === null || key.length === 0) {
    throw new VerifyError(VerifyErrorCode.vkeyMalformed, 'verifier key is not name+keyid+key');
  }
  const keyId = Number.parseInt(idHex, 16);
  if (computeKeyId(name, key, sha256) !== keyId) {
    throw new VerifyError(VerifyErrorCode.vkeyHashMismatch, 'verifier key id does not match its name and key');
  }
  if (key[0] !== ed25519Algorithm)
    throw new VerifyError(VerifyErrorCode.keyAlgorithmUnknown, 'verifier key algorithm is not ed25519');
  if (key.length !== 33) throw new VerifyError(VerifyErrorCode.vkeyMalformed, 'ed25519 verifier key is not 32 bytes');
  return { name, keyId, publicKey: key.slice(1), text: vkey };
}

/** Formats a verifier key from a name and a 32-byte Ed25519 public key. */
export function formatVerifierKey(name: string, publicKey: Uint8Array, sha256: Sha256 = portableSha256): string {
  const algorithmAndKey = new Uint8Array(33);
  algorithmAndKey[0] = ed25519Algorithm;
  algorithmAndKey.set(publicKey, 1);
  return `${name}+${formatKeyId(computeKeyId(name, algorithmAndKey, sha256))}+${encodeBase64(algorithmAndKey)}`;
}

function malformed(): VerifyError {
  return new VerifyError(VerifyErrorCode.noteMalformed, 'malformed note');
}

/**
 * Splits a signed note into text and signature lines without checking signatures.
 * Throws VerifyError(VERIFY_NOTE_MALFORMED) unless the whole note is well-formed.
 */
export function parseNoteUnverified(note: string): { text: string; signatures: NoteSignature[] } {
  // Only newline among the ASCII control characters; lone surrogates cannot be valid UTF-8.
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(note) || !isWellFormedText(note)) throw malformed();
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed();
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) throw malformed();
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > maxNoteSignatures) throw malformed();
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(signaturePrefix)) throw malformed();
    const rest = line.slice(signaturePrefix.length);
    const space = rest.indexOf(' ');
    const name = rest.slice(0, space);
    const b64 = rest.slice(space + 1);
    const bytes = space < 0 ? null : decodeBase64(b64);
    if (!isValidKeyName(name) || bytes === null || bytes.length < 5) throw malformed();
    const keyId = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    signatures.push({ name, keyId, base64: b64 });
  }
  return { text, signatures };
}

/**
 * Opens a signed note: parses it and verifies every signature by a known key. Throws VerifyError
 * when the note is malformed (VERIFY_NOTE_MALFORMED), a known key's signature is bad
 * (VERIFY_NOTE_SIGNATURE_INVALID) or no known key signed it (VERIFY_NOTE_UNVERIFIED).
 */
export function openNote(note: string, known: readonly NoteVerifierKey[]): OpenedNote {
  const { text, signatures } = parseNoteUnverified(note);
  const message = encoder.encode(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of signatures) {
    const key = known.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (key === undefined) {
      unverified.push(sig);
      continue;
    }
    const bytes = decodeBase64(sig.base64);
    const ok = bytes !== null && bytes.length === 4 + 64 && verifyEd25519(bytes.subarray(4), message, key.publicKey);
    if (!ok)
      throw new VerifyError(
        VerifyErrorCode.noteSignatureInvalid,
        `invalid signature for key ${sig.name}+${formatKeyId(sig.keyId)}`,
      );
    verified.push(sig);
  }
  if (verified.length === 0)
    throw new VerifyError(VerifyErrorCode.noteUnverified, 'note has no signature by a known key');
  return { text, verified, unverified };
}

function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    // zip215 off: accept only signatures RFC 8032 itself accepts, as Go's crypto/ed25519 does.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
