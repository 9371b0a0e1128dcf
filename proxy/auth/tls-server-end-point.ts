/**
 * Channel binding data of type tls-server-end-point (RFC 5929 section 4.1), as SCRAM-SHA-256-PLUS
 * uses it: the hash of the server's certificate (DER), where the hash is the one of the
 * certificate's signature algorithm, except that MD5 and SHA-1 are replaced by SHA-256.
 */
import { createHash } from 'node:crypto';

/** Signature algorithm OIDs (dotted) whose hash is not SHA-256. */
const HASH_BY_SIGNATURE_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
};

/** The tls-server-end-point binding data for a DER certificate. */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer {
  const oid = signatureAlgorithmOid(certificateDer);
  const hash = (oid !== null ? HASH_BY_SIGNATURE_OID[oid] : undefined) ?? 'sha256';
  return createHash(hash).update(certificateDer).digest();
}

/**
 * Reads Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE { OID, ... } }
 * far enough to return the signature algorithm's OID, or null when the DER is not shaped like that.
 */
export function signatureAlgorithmOid(der: Buffer): string | null {
  const outer = readTlv(der, 0);
  if (outer?.tag !== 0x30) return null;
  const tbs = readTlv(der, outer.valueStart);
  if (tbs?.tag !== 0x30) return null;
  const algorithm = readTlv(der, tbs.end);
  if (algorithm?.tag !== 0x30) return null;
  const oid = readTlv(der, algorithm.valueStart);
  if (oid?.tag !== 0x06) return null;
  return decodeOid(der.subarray(oid.valueStart, oid.end));
}

function readTlv(der: Buffer, pos: number): { tag: number; valueStart: number; end: number } | null {
  if (pos + 2 > der.length) return null;
  const tag = der[pos] as number;
  let length = der[pos + 1] as number;
  let valueStart = pos + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || valueStart + bytes > der.length) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[valueStart + i] as number);
    valueStart += bytes;
  }
  const end = valueStart + length;
  return end <= der.length ? { tag, valueStart, end } : null;
}

function decodeOid(bytes: Buffer): string | null {
  if (bytes.length === 0) return null;
  const first = bytes[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
