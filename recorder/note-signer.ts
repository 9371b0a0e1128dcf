import type { SigningKey } from './signing-key.js';

/**
 * Signs `text` (which must end in a newline) as a C2SP signed note: the text, a blank line, and
 * "— <key name> base64(key ID (4 bytes, big-endian) || Ed25519 signature over the text bytes)".
 */
export function signNote(text: string, key: SigningKey): string {
  const signature = key.sign(Buffer.from(text, 'utf8'));
  const blob = Buffer.alloc(4 + signature.length);
  blob.writeUInt32BE(key.keyId, 0);
  blob.set(signature, 4);
  return `${text}\n\u2014 ${key.name} ${blob.toString('base64')}\n`;
}
