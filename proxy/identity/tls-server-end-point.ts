/**
 * Channel binding data of type tls-server-end-point (RFC 5929 section 4.1): the hash of the server's
 * certificate (DER), with the hash function of the certificate's signature algorithm, except that
 * MD5 and SHA-1 are replaced by SHA-256. Certificates signed otherwise (e.g. Ed25519) have no
 * defined binding: null, and SCRAM-SHA-256-PLUS is then not offered.
 */
import { createHash } from 'node:crypto';

/** Hash of each signature algorithm, keyed by the hex of its OID's content bytes. */
const HASH_OF_SIGNATURE_OID: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  '2a864886f70d010104': 'sha256', // md5WithRSAEncryption (MD5 -> SHA-256)
  '2a864886f70d010105': 'sha256', // sha1WithRSAEncryption (SHA-1 -> SHA-256)
  '2a864886f70d01010b': 'sha256', // sha256WithRSAEncryption
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d0401': 'sha256', // ecdsa-with-SHA1 (SHA-1 -> SHA-256)
  '2a8648ce3d040302': 'sha256', // ecdsa-with-SHA256
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
};

/** The tls-server-end-point binding of a DER certificate, or null when none is defined for it. */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer | null {
  const oid = signatureAlgorithmOid(certificateDer);
  const hash = oid === null ? undefined : HASH_OF_SIGNATURE_OID[oid.toString('hex')];
  return hash ? createHash(hash).update(certificateDer).digest() : null;
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE { OID, ... }, ... }
 * (RFC 5280 section 4.1). Returns the OID's content bytes, or null if the DER is not of that shape.
 */
function signatureAlgorithmOid(der: Buffer): Buffer | null {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30) return null;
  const tbs = readTlv(der, outer.start);
  if (!tbs || tbs.tag !== 0x30) return null;
  const alg = readTlv(der, tbs.end);
  if (!alg || alg.tag !== 0x30) return null;
  const oid = readTlv(der, alg.start);
  if (!oid || oid.tag !== 0x06 || oid.end > alg.end) return null;
  return der.subarray(oid.start, oid.end);
}

/** One DER tag-length-value at `at`: its tag, and where its contents start and end. */
function readTlv(der: Buffer, at: number): { tag: number; start: number; end: number } | null {
  const tag = der[at];
  const first = der[at + 1];
  if (tag === undefined || first === undefined) return null;
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return null;
    length = 0;
    for (let i = 0; i < octets; i++) {
      const b = der[start + i];
      if (b === undefined) return null;
      length = length * 256 + b;
    }
    start += octets;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : null;
}
