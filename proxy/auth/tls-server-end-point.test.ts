import { createHash, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signatureAlgorithmOid, tlsServerEndPoint } from './tls-server-end-point.js';

function certificate(digest: string, key: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-cbind-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        ...key,
        '-nodes',
        '-days',
        '1',
        `-${digest}`,
        '-subj',
        '/CN=t',
        '-keyout',
        join(dir, 'k'),
        '-out',
        join(dir, 'c'),
      ],
      { stdio: 'pipe' },
    );
    return new X509Certificate(readFileSync(join(dir, 'c'))).raw;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tls-server-end-point', () => {
  it('hashes an RSA/SHA-256 certificate with SHA-256', () => {
    const der = certificate('sha256', ['-newkey', 'rsa:2048']);
    expect(signatureAlgorithmOid(der)).toBe('1.2.840.113549.1.1.11');
    expect(tlsServerEndPoint(der).equals(createHash('sha256').update(der).digest())).toBe(true);
  });

  it('hashes an ECDSA/SHA-384 certificate with SHA-384', () => {
    const der = certificate('sha384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    expect(signatureAlgorithmOid(der)).toBe('1.2.840.10045.4.3.3');
    expect(tlsServerEndPoint(der).equals(createHash('sha384').update(der).digest())).toBe(true);
  });

  it('falls back to SHA-256 on bytes that are not a certificate', () => {
    expect(signatureAlgorithmOid(Buffer.from([1, 2, 3]))).toBeNull();
    expect(tlsServerEndPoint(Buffer.from([1, 2, 3])).length).toBe(32);
  });
});
