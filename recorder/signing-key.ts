/**
 * The journal's Ed25519 signing key, stored as a signed-note signer key (the format of Go's
 * golang.org/x/mod/sumdb/note, so its tools can read it):
 *
 *   PRIVATE+KEY+<name>+<key ID, 8 hex>+base64(0x01 || 32-byte Ed25519 seed)
 *
 * Custody: the private key lives OUTSIDE the journal directory, by default in `<journal>.signing-key`
 * beside it (journal.keyFile puts it elsewhere), mode 0600, so that handing a copy of the journal to
 * an auditor never hands over the key. The journal keeps only public material (`verifier-key`).
 * A key file that group or others may read is refused. Journals made before this rule have the key
 * inside (`<journal>/signing-key`); it is still read, with a warning saying how to move it.
 *
 * The key name is the journal's origin (`pgtrail/<16 hex>`), fixed at the first keygen and kept
 * across rotations so that checkpoints from before and after a rotation name the same log.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { open, rename, stat } from 'node:fs/promises';
import { makeDirectory } from './make-directory.js';
import { dirname, join, resolve } from 'node:path';
import { JournalError, JournalErrorCode } from './journal-error.js';
import { nodeSha256 } from './node-sha256.js';
import { computeKeyId, ed25519Algorithm, formatKeyId, formatVerifierKey, isValidKeyName } from './format/note.js';

/** File name of the private key inside the journal directory, where journals made before key custody kept it. */
export const legacySigningKeyFile = 'signing-key';
/** File name of the public verifier key inside the journal directory. */
export const verifierKeyFile = 'verifier-key';
/** Suffix that makes the default key path from the journal directory's path. */
export const signingKeySuffix = '.signing-key';
// The largest key file read: a signer key is under 200 bytes.
const maxKeyFileBytes = 4096;

/** Where a journal's private key is, and whether that is inside the journal directory (a copy of it gives the key away). */
export interface SigningKeyLocation {
  readonly path: string;
  readonly insideJournal: boolean;
}

/** The default key path for a journal directory: `<dir>.signing-key`, beside the directory. */
export function defaultSigningKeyPath(dir: string): string {
  return `${resolve(dir)}${signingKeySuffix}`;
}

/**
 * Finds the journal's key: journal.keyFile when set; else `<dir>.signing-key` when it exists; else
 * the legacy `<dir>/signing-key` when that exists; else `<dir>.signing-key` (where a new key goes).
 */
export async function locateSigningKey(dir: string, keyFile?: string | null): Promise<SigningKeyLocation> {
  const journal = resolve(dir);
  if (keyFile !== undefined && keyFile !== null) {
    return { path: keyFile, insideJournal: resolve(keyFile).startsWith(`${journal}/`) };
  }
  const outside = defaultSigningKeyPath(dir);
  if (await exists(outside)) return { path: outside, insideJournal: false };
  const inside = join(dir, legacySigningKeyFile);
  if (await exists(inside)) return { path: inside, insideJournal: true };
  return { path: outside, insideJournal: false };
}

/** The one warning line for a key kept inside the journal directory: what is wrong and how to move it. */
export function insideJournalWarning(dir: string, keyPath: string): string {
  return (
    `warning: the signing key ${keyPath} is inside the journal directory, so any copy of the journal gives it away; ` +
    `stop pgtrail, move it out (mv ${keyPath} ${defaultSigningKeyPath(dir)}), then rotate it (pgtrail keygen --rotate --journal ${dir})`
  );
}

/** A loaded signing key: its name (the origin), key ID, verifier key, and a signer. */
export interface SigningKey {
  readonly name: string;
  readonly keyId: number;
  readonly verifierKey: string;
  /** Ed25519 signature over exactly these bytes. */
  sign(message: Uint8Array): Uint8Array;
}

// DER prefix of a PKCS#8 Ed25519 private key (RFC 8410 section 7), followed by the 32-byte seed.
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

function keyFromSeed(name: string, seed: Uint8Array): { key: SigningKey; encoded: string } {
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([pkcs8Ed25519Prefix, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  // The SPKI DER of an Ed25519 public key is a 12-byte header and the 32 key bytes.
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12);
  const verifierKey = formatVerifierKey(name, publicKey, nodeSha256);
  const keyId = computeKeyId(name, Buffer.concat([Buffer.from([ed25519Algorithm]), publicKey]), nodeSha256);
  const encoded = `PRIVATE+KEY+${name}+${formatKeyId(keyId)}+${Buffer.concat([Buffer.from([ed25519Algorithm]), seed]).toString('base64')}`;
  return { key: { name, keyId, verifierKey, sign: (message) => sign(null, message, privateKey) }, encoded };
}

/** Parses a signer key (`PRIVATE+KEY+...`); throws JournalError(JOURNAL_KEY_MALFORMED) unless well-formed. */
export function parseSigningKey(text: string): SigningKey {
  const bad = () => new JournalError(JournalErrorCode.keyMalformed, 'signing key is not PRIVATE+KEY+name+keyid+key');
  const fields = text.trim().split('+');
  // The base64 key may itself contain '+': everything after the fourth '+' is the key.
  const [p1, p2, name, idHex] = fields;
  const key64 = fields.slice(4).join('+');
  if (
    p1 !== 'PRIVATE' ||
    p2 !== 'KEY' ||
    name === undefined ||
    !isValidKeyName(name) ||
    idHex === undefined ||
    !/^[0-9a-f]{8}$/.test(idHex)
  ) {
    throw bad();
  }
  const raw = Buffer.from(key64, 'base64');
  if (raw.toString('base64') !== key64 || raw.length !== 33) throw bad();
  if (raw[0] !== ed25519Algorithm)
    throw new JournalError(JournalErrorCode.keyMalformed, 'signing key algorithm is not ed25519');
  const { key } = keyFromSeed(name, raw.subarray(1));
  if (formatKeyId(key.keyId) !== idHex)
    throw new JournalError(JournalErrorCode.keyMalformed, 'signing key id does not match its key');
  return key;
}

/** Makes a new random key named `name`, returning it and its encoded private form. */
export function generateSigningKey(name: string): { key: SigningKey; encoded: string } {
  return keyFromSeed(name, randomBytes(32));
}

/** A fresh journal origin / key name: `pgtrail/` and 16 random hex digits. */
export function newOrigin(): string {
  return `pgtrail/${randomBytes(8).toString('hex')}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function writeFileDurably(path: string, text: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads a signing key file; throws JournalError JOURNAL_KEY_MISSING when there is none and
 * JOURNAL_KEY_EXPOSED when group or others may read it (a private key anyone else can read signs
 * for them too).
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat();
      if ((info.mode & 0o077) !== 0) {
        throw new JournalError(
          JournalErrorCode.keyExposed,
          `the signing key ${path} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 ${path} and rotate it`,
        );
      }
      if (info.size > maxKeyFileBytes)
        throw new JournalError(JournalErrorCode.keyMalformed, 'signing key file is too large');
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof JournalError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new JournalError(JournalErrorCode.keyMissing, `no signing key at ${path}`);
    throw new JournalError(JournalErrorCode.readFailed, `cannot read the signing key at ${path}`, {}, { cause: err });
  }
  return parseSigningKey(text);
}

/**
 * Creates the journal's signing key (mode 0600; at `options.keyFile`, else where locateSigningKey
 * finds or puts it) and writes the verifier key into `dir`; returns the verifier key.
 * Refuses with JOURNAL_KEY_EXISTS when a key is already there, unless `rotate` is set: then the
 * current key is kept as `<key file>.retired-<keyid>` until the writer has made the hand-over record
 * it signs durable (journal-writer.ts destroys it then) and the new key gets the same name.
 */
export async function createSigningKey(
  dir: string,
  options: { rotate?: boolean; keyFile?: string } = {},
): Promise<string> {
  await makeDirectory(dir, 0o700);
  const keyPath = options.keyFile ?? (await locateSigningKey(dir)).path;
  await makeDirectory(dirname(keyPath), 0o700);
  let name = newOrigin();
  if (await exists(keyPath)) {
    if (options.rotate !== true)
      throw new JournalError(JournalErrorCode.keyExists, `a signing key already exists at ${keyPath}`);
    const current = await loadSigningKey(keyPath);
    name = current.name;
    await rename(keyPath, retiredKeyPath(keyPath, current.keyId));
  }
  const { key, encoded } = generateSigningKey(name);
  await writeFileDurably(keyPath, `${encoded}\n`, 0o600);
  const vkeyPath = join(dir, verifierKeyFile);
  await writeFileDurably(`${vkeyPath}.tmp-${process.pid}`, `${key.verifierKey}\n`, 0o644);
  await rename(`${vkeyPath}.tmp-${process.pid}`, vkeyPath);
  return key.verifierKey;
}

/** Returns the journal's verifier key, creating the signing key first when there is none (start, demo). */
export async function ensureSigningKey(dir: string, keyFile?: string): Promise<string> {
  const keyPath = keyFile ?? (await locateSigningKey(dir)).path;
  if (await exists(keyPath)) return (await loadSigningKey(keyPath)).verifierKey;
  return createSigningKey(dir, { keyFile: keyPath });
}

/** The retired key with this key ID beside `keyPath`, or null when it is not there. */
export async function loadRetiredSigningKey(keyPath: string, keyId: number): Promise<SigningKey | null> {
  const path = retiredKeyPath(keyPath, keyId);
  return (await exists(path)) ? loadSigningKey(path) : null;
}

/** Where `keygen --rotate` keeps the key with this ID until its hand-over is durable. */
export function retiredKeyPath(keyPath: string, keyId: number): string {
  return `${keyPath}.retired-${formatKeyId(keyId)}`;
}
