import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throwaway CA and a certificate it signed, as PEM files. */
export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Creates a CA and a certificate for `commonName` (with SANs localhost and 127.0.0.1) in `dir`,
 * using the openssl command. With `ca` given, signs with that CA instead of making a new one.
 */
export function makeTlsFiles(dir: string, commonName: string, ca?: { certFile: string; keyFile: string }): TlsFiles {
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const caFile = ca?.certFile ?? join(dir, 'ca.crt');
  const caKey = ca?.keyFile ?? join(dir, 'ca.key');
  if (!ca) {
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=pgtrail test CA',
      '-keyout',
      caKey,
      '-out',
      caFile,
    ]);
  }
  const keyFile = join(dir, `${commonName}.key`);
  const csr = join(dir, `${commonName}.csr`);
  const certFile = join(dir, `${commonName}.crt`);
  const ext = join(dir, `${commonName}.ext`);
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', csr]);
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return { caFile, certFile, keyFile };
}
