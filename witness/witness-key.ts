/**
 * The witness's Ed25519 cosigning key (C2SP tlog-cosignature, cosignature/v1), created on first start
 * in the state directory and stored like a signed-note signer key with type byte 0x04:
 *
 *   PRIVATE+KEY+<name>+<key ID, 8 hex>+base64(0x04 || 32-byte Ed25519 seed)     (file witness-key, mode 0600)
 *
 * Its vkey, `<name>+<key ID>+base64(0x04 || public key)`, is what logs and auditors pin.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBase64, encodeBase64 } from '../recorder/format/base64.js';
import {
  cosignatureAlgorithm,
  cosignedMessage,
  formatCosignatureLine,
  formatCosignerKey,
  parseCosignerKey,
  type CosignerKey,
} from '../recorder/format/cosignature.js';
import { formatKeyId, isValidKeyName } from '../recorder/format/note.js';
import { WitnessError, WitnessErrorCode } from './witness-error.js';

/** File name of the key inside the state directory. */
export const witnessKeyFile = 'witness-key';

/** A loaded cosigning key. */
export interface WitnessKey {
  readonly key: CosignerKey;
  /** The cosignature line (without newline) over a checkpoint body at `timestamp` (POSIX seconds). */
  cosign(checkpointBody: string, timestamp: bigint): string;
}

// DER prefix of a PKCS#8 Ed25519 private key (RFC 8410 section 7), followed by the 32-byte seed.
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

function keyFromSeed(name: string, seed: Uint8Array): { witness: WitnessKey; encoded: string } {
  const privateKey = createPrivateKey({ key: Buffer.concat([pkcs8Ed25519Prefix, seed]), format: 'der', type: 'pkcs8' });
  // The SPKI DER of an Ed25519 public key is a 12-byte header and the 32 key bytes.
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12);
  const key = parseCosignerKey(formatCosignerKey(name, publicKey));
  const typedSeed = new Uint8Array(33);
  typedSeed[0] = cosignatureAlgorithm;
  typedSeed.set(seed, 1);
  const encoded = `PRIVATE+KEY+${name}+${formatKeyId(key.keyId)}+${encodeBase64(typedSeed)}`;
  const cosign = (body: string, timestamp: bigint) =>
    formatCosignatureLine(key, timestamp, sign(null, cosignedMessage(body, timestamp), privateKey));
  return { witness: { key, cosign }, encoded };
}

/** Parses a witness key file's text; throws WitnessError(WITNESS_KEY_MALFORMED) unless well-formed. */
export function parseWitnessKey(text: string): WitnessKey {
  const bad = () => new WitnessError(WitnessErrorCode.keyMalformed, 'witness key is not PRIVATE+KEY+name+keyid+key');
  const fields = text.trim().split('+');
  const [p1, p2, name, idHex] = fields;
  const raw = decodeBase64(fields.slice(4).join('+'));
  if (p1 !== 'PRIVATE' || p2 !== 'KEY' || name === undefined || !isValidKeyName(name)) throw bad();
  if (raw === null || raw.length !== 33 || raw[0] !== cosignatureAlgorithm) throw bad();
  const { witness } = keyFromSeed(name, raw.subarray(1));
  if (formatKeyId(witness.key.keyId) !== idHex) throw bad();
  return witness;
}

/** A default witness name: `pgtrail-witness/` and 16 random hex digits. */
export function newWitnessName(): string {
  return `pgtrail-witness/${randomBytes(8).toString('hex')}`;
}

/** Loads the key in `dir`, creating it (named `name`) when there is none yet. */
export async function loadOrCreateWitnessKey(dir: string, name: string): Promise<WitnessKey> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, witnessKeyFile);
  try {
    return parseWitnessKey(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!isValidKeyName(name))
    throw new WitnessError(WitnessErrorCode.keyMalformed, 'witness name must be non-empty, without spaces or +');
  const { witness, encoded } = keyFromSeed(name, randomBytes(32));
  // 'wx': two witnesses started at once on one directory cannot both create a key.
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(`${encoded}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return witness;
}
