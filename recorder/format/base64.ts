/**
 * Standard base64 (RFC 4648 section 4, with padding), written out so the journal-format layer
 * (recorder/format/) has no dependency on Node's Buffer and runs in a browser. Decoding is strict and canonical: any character outside the
 * alphabet, wrong padding or non-zero trailing bits is rejected, so one byte string has exactly
 * one accepted spelling.
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const decodeTable = new Int16Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) decodeTable[alphabet.charCodeAt(i)] = i;

// Every 12-bit value as its two characters: half the concatenations per 3 bytes (the verifier encodes
// one hash per record, and this was a measurable part of its cost).
const pairs: string[] = [];
for (let n = 0; n < 4096; n++) pairs.push(alphabet[n >>> 6]! + alphabet[n & 63]!);

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += pairs[n >>> 12]! + pairs[n & 4095]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += `${alphabet[n >>> 18]!}${alphabet[(n >>> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += `${alphabet[n >>> 18]!}${alphabet[(n >>> 12) & 63]!}${alphabet[(n >>> 6) & 63]!}=`;
  }
  return out;
}

// The same pairs as two character codes in one number (first << 8 | second), for encodeBase64Into.
const pairCodes = new Uint16Array(4096);
for (let n = 0; n < 4096; n++) pairCodes[n] = (alphabet.charCodeAt(n >>> 6) << 8) | alphabet.charCodeAt(n & 63);

/**
 * Writes the padded standard base64 of `bytes` as ASCII bytes into `out` at `offset` and returns its
 * length (4 per started 3 bytes): no string is made, for hashes that go straight into a record or
 * are compared with one.
 */
export function encodeBase64Into(bytes: Uint8Array, out: Uint8Array, offset: number): number {
  let o = offset;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    const hi = pairCodes[n >>> 12]!;
    const lo = pairCodes[n & 4095]!;
    out[o] = hi >>> 8;
    out[o + 1] = hi & 255;
    out[o + 2] = lo >>> 8;
    out[o + 3] = lo & 255;
    o += 4;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    const hi = pairCodes[n >>> 12]!;
    out[o] = hi >>> 8;
    out[o + 1] = hi & 255;
    out[o + 2] = rest === 2 ? alphabet.charCodeAt((n >>> 6) & 63) : 61;
    out[o + 3] = 61;
    o += 4;
  }
  return o - offset;
}

/** Decodes padded standard base64, or returns null unless the whole input is canonical base64. */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const quad = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const padded = last && j >= 4 - pad;
      if (padded) {
        if (c !== 61) return null;
        continue;
      }
      const v = c < 128 ? (decodeTable[c] ?? -1) : -1;
      if (v < 0) return null;
      quad[j] = v;
    }
    const n = (quad[0]! << 18) | (quad[1]! << 12) | (quad[2]! << 6) | quad[3]!;
    if (last && pad === 2 && (n & 0xffff) !== 0) return null;
    if (last && pad === 1 && (n & 0xff) !== 0) return null;
    out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}
