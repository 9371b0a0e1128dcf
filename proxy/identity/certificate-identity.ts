/**
 * Client certificates as identity. A certificate counts only when a configured CA signed it directly
 * and it is within its validity period; the identity is its subject CN or its first subjectAltName
 * of the configured type. Intermediate CAs are not followed: put the issuing CA in the bundle.
 */
import { X509Certificate } from 'node:crypto';
import type { IdentityCertificateConfig } from '../../config/config.js';
import { IdentityError } from './identity-error.js';

/** What a verified certificate says, as it goes into the record. */
export interface CertificateIdentity {
  readonly user: string;
  /** SHA-256 of the DER certificate, as `openssl x509 -fingerprint -sha256` prints it (AB:CD:...). */
  readonly fingerprint: string;
  /** The subject in certificate order, joined with ',' as session.opened's clientCertSubject is. */
  readonly subject: string;
}

/** The verdict on one client certificate; `reason` is for the record. */
export type CertificateCheck =
  | { readonly ok: true; readonly identity: CertificateIdentity }
  | { readonly ok: false; readonly reason: string };

const SAN_PREFIX = { 'san-dns': 'DNS:', 'san-email': 'email:', 'san-uri': 'URI:' } as const;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Checks client certificates against a CA bundle. */
export class CertificateAuthority {
  private constructor(
    private readonly cas: readonly X509Certificate[],
    private readonly from: Exclude<IdentityCertificateConfig['from'], 'off'>,
  ) {}

  /** Parses a PEM bundle of CA certificates; throws IdentityError when it holds none. */
  static fromPem(
    pem: string,
    from: Exclude<IdentityCertificateConfig['from'], 'off'>,
    file: string,
  ): CertificateAuthority {
    const blocks = pem.match(PEM_CERTIFICATE) ?? [];
    let cas: X509Certificate[];
    try {
      cas = blocks.map((b) => new X509Certificate(b));
    } catch (err) {
      throw new IdentityError('IDENTITY_CONFIG_INVALID', `tls.caFile ${file} holds an unreadable certificate`, {
        cause: err,
      });
    }
    if (cas.length === 0) throw new IdentityError('IDENTITY_CONFIG_INVALID', `tls.caFile ${file} holds no certificate`);
    if (!cas.every((c) => c.ca))
      throw new IdentityError('IDENTITY_CONFIG_INVALID', `tls.caFile ${file} holds a certificate that is not a CA`);
    return new CertificateAuthority(cas, from);
  }

  /** Checks a client's certificate (DER) at time `now`. */
  check(der: Buffer, now: Date): CertificateCheck {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch {
      return { ok: false, reason: 'unreadable certificate' };
    }
    const issuer = this.cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!issuer) return { ok: false, reason: 'certificate not issued by the configured ca' };
    if (now < new Date(cert.validFrom) || now > new Date(cert.validTo))
      return { ok: false, reason: 'certificate outside its validity period' };
    if (cert.ca) return { ok: false, reason: 'certificate is a ca certificate' };
    const user = this.from === 'cn' ? commonName(cert) : subjectAltName(cert, SAN_PREFIX[this.from]);
    if (user === null)
      return { ok: false, reason: `certificate has no ${this.from === 'cn' ? 'common name' : this.from}` };
    return {
      ok: true,
      identity: { user, fingerprint: cert.fingerprint256, subject: cert.subject.split('\n').join(',') },
    };
  }
}

function commonName(cert: X509Certificate): string | null {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line ? unquote(line.slice(3)) : null;
}

/** Node lists SANs as "DNS:a, email:b", quoting (JSON) any value with special characters. */
function subjectAltName(cert: X509Certificate, prefix: string): string | null {
  const san = cert.subjectAltName;
  if (!san) return null;
  for (const entry of san.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const e = entry.trim();
    if (e.startsWith(prefix)) return unquote(e.slice(prefix.length)) || null;
  }
  return null;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}
