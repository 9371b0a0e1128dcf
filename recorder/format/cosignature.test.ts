// C2SP tlog-cosignature: the specification's example line, and cosigner keys parsed strictly.
import { expect, test } from 'vitest';
import { decodeBase64 } from './base64.js';
import { cosignedMessage, formatCosignerKey, parseCosignerKey, verifiedCosignatures } from './cosignature.js';
import { formatVerifierKey } from './note.js';

const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const exampleLine =
  '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==';

test('the C2SP example cosignature line: key ID 8d66cf3f, timestamp 1679315147, 76 bytes', () => {
  const blob = decodeBase64(exampleLine.split(' ')[2]!)!;
  expect(blob.length).toBe(76);
  expect(Buffer.from(blob.subarray(0, 4)).toString('hex')).toBe('8d66cf3f');
  expect(new DataView(blob.buffer, blob.byteOffset).getBigUint64(4)).toBe(1679315147n);
  expect(new TextDecoder().decode(cosignedMessage(body, 1679315147n))).toBe(
    'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
  );
});

test('a key that is not the example witness key finds no cosignature in the example (its public key is unpublished)', () => {
  const key = parseCosignerKey(formatCosignerKey('witness.example.com/w1', new Uint8Array(32).fill(9)));
  expect(verifiedCosignatures(`${body}\n${exampleLine}\n`, [key])).toEqual([]);
});

test('cosigner keys: type 0x04 only, key ID over the type byte, every prefix, suffix and byte increment rejected', () => {
  const vkey = formatCosignerKey('witness.test/w1', new Uint8Array(32).fill(3));
  expect(parseCosignerKey(vkey).name).toBe('witness.test/w1');
  // The same public key as a note (0x01) key has another key ID and is refused as a cosigner key.
  const noteKey = formatVerifierKey('witness.test/w1', new Uint8Array(32).fill(3));
  expect(noteKey.split('+')[1]).not.toBe(vkey.split('+')[1]);
  expect(() => parseCosignerKey(noteKey)).toThrow(/cosignature/);
  for (let i = 1; i < vkey.length; i++) {
    expect(() => parseCosignerKey(vkey.slice(0, i))).toThrow();
    expect(() => parseCosignerKey(vkey.slice(i))).toThrow();
    const bumped = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
    expect(() => parseCosignerKey(bumped)).toThrow();
  }
});
