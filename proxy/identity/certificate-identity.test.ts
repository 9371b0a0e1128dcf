import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTlsFiles } from '../../embedded/tls-files.js';
import { CertificateAuthority } from './certificate-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'pgtrail-certid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ours = makeTlsFiles(join(dir, 'ours'), 'alice');
const theirs = makeTlsFiles(join(dir, 'theirs'), 'alice');
const der = (file: string) => new X509Certificate(readFileSync(file)).raw;
const caPem = readFileSync(ours.caFile, 'utf8');

describe('CertificateAuthority', () => {
  it('takes the identity from the CN of a certificate our CA signed, with fingerprint and subject', () => {
    const check = CertificateAuthority.fromPem(caPem, 'cn', ours.caFile).check(der(ours.certFile), new Date());
    expect(check).toEqual({
      ok: true,
      identity: {
        user: 'alice',
        fingerprint: new X509Certificate(readFileSync(ours.certFile)).fingerprint256,
        subject: 'CN=alice',
      },
    });
  });

  it('takes the identity from a subjectAltName when configured', () => {
    const check = CertificateAuthority.fromPem(caPem, 'san-dns', ours.caFile).check(der(ours.certFile), new Date());
    expect(check.ok && check.identity.user).toBe('localhost');
    expect(CertificateAuthority.fromPem(caPem, 'san-email', ours.caFile).check(der(ours.certFile), new Date())).toEqual(
      { ok: false, reason: 'certificate has no san-email' },
    );
  });

  it('reads email and URI subjectAltNames', () => {
    const key = join(dir, 'bob.key');
    const csr = join(dir, 'bob.csr');
    const crt = join(dir, 'bob.crt');
    const ext = join(dir, 'bob.ext');
    writeFileSync(ext, 'subjectAltName=email:bob@example.test,URI:spiffe://example.test/bob\n');
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Bob', '-keyout', key, '-out', csr]);
    run([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ours.caFile,
      '-CAkey',
      join(dir, 'ours', 'ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      crt,
    ]);
    const identityBy = (from: 'san-email' | 'san-uri') => {
      const check = CertificateAuthority.fromPem(caPem, from, ours.caFile).check(der(crt), new Date());
      return check.ok ? check.identity.user : check.reason;
    };
    expect(identityBy('san-email')).toBe('bob@example.test');
    expect(identityBy('san-uri')).toBe('spiffe://example.test/bob');
  });

  it('refuses a certificate from another CA with the same name', () => {
    expect(CertificateAuthority.fromPem(caPem, 'cn', ours.caFile).check(der(theirs.certFile), new Date())).toEqual({
      ok: false,
      reason: 'certificate not issued by the configured ca',
    });
  });

  it('refuses an expired certificate and the CA certificate itself', () => {
    const ca = CertificateAuthority.fromPem(caPem, 'cn', ours.caFile);
    expect(ca.check(der(ours.certFile), new Date(Date.now() + 365 * 86_400_000))).toEqual({
      ok: false,
      reason: 'certificate outside its validity period',
    });
    expect(ca.check(der(ours.caFile), new Date())).toEqual({ ok: false, reason: 'certificate is a ca certificate' });
    expect(ca.check(Buffer.from('junk'), new Date())).toEqual({ ok: false, reason: 'unreadable certificate' });
  });

  it('refuses a CA file without a CA certificate', () => {
    expect(() => CertificateAuthority.fromPem('nothing', 'cn', 'x.pem')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_CONFIG_INVALID' }),
    );
    expect(() => CertificateAuthority.fromPem(readFileSync(ours.certFile, 'utf8'), 'cn', 'x.pem')).toThrow(/not a CA/);
  });
});
