import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTlsFiles } from '../../embedded/tls-files.js';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS } from '../auth/scram-client.js';
import { tlsServerEndPoint } from '../auth/tls-server-end-point.js';
import { ScramServerExchange } from './scram-server.js';
import { formatScramVerifier, makeScramVerifier, parseScramVerifier } from './scram-verifier.js';

/** node-postgres's own SCRAM client: the exchange is tested against real client code. */
interface PgSasl {
  startSession(mechanisms: string[], stream?: unknown): { mechanism: string; response: string };
  continueSession(session: object, password: string, serverData: string, stream?: unknown): Promise<void>;
  finalizeSession(session: object, serverData: string): void;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as PgSasl;

const secret = Buffer.alloc(32, 7);
const verifier = makeScramVerifier('correct horse', 4096);
const dir = mkdtempSync(join(tmpdir(), 'pgtrail-scram-'));
const tls = makeTlsFiles(dir, 'localhost');
const certDer = new X509Certificate(readFileSync(tls.certFile)).raw;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one exchange with pg's client; returns the server's verdict and whether pg accepted the server. */
async function exchange(server: ScramServerExchange, password: string, stream?: unknown) {
  const session = sasl.startSession([...server.mechanisms], stream) as { mechanism: string; response: string };
  const first = server.clientFirst(session.mechanism, Buffer.from(session.response));
  if (!first.ok) return { reason: first.reason, clientAccepted: false };
  await sasl.continueSession(session, password, first.reply.toString(), stream);
  const final = server.clientFinal(Buffer.from(session.response));
  if (!final.ok) return { reason: final.reason, clientAccepted: false };
  sasl.finalizeSession(session, final.reply.toString());
  return { reason: null, clientAccepted: true };
}

describe('SCRAM verifiers', () => {
  it('round-trips through the text form PostgreSQL stores', () => {
    const text = formatScramVerifier(verifier);
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(parseScramVerifier(text, 'alice')).toEqual(verifier);
  });

  it('refuses malformed verifiers with a code naming the user', () => {
    for (const bad of [
      'md5abc',
      'SCRAM-SHA-256$0:c2FsdA==$AAAA:AAAA',
      'SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA',
      'SCRAM-SHA-256$4096:!!$x:y',
    ]) {
      expect(() => parseScramVerifier(bad, 'alice')).toThrow(
        expect.objectContaining({ code: 'IDENTITY_VERIFIER_INVALID', message: expect.stringContaining('"alice"') }),
      );
    }
  });
});

describe('ScramServerExchange against node-postgres', () => {
  it('accepts the right password, and the client accepts the server signature', async () => {
    const result = await exchange(
      new ScramServerExchange(verifier, null, { secret, user: 'alice', iterations: 4096 }),
      'correct horse',
    );
    expect(result).toEqual({ reason: null, clientAccepted: true });
  });

  it('refuses a wrong password', async () => {
    const result = await exchange(
      new ScramServerExchange(verifier, null, { secret, user: 'alice', iterations: 4096 }),
      'wrong',
    );
    expect(result.reason).toBe('wrong password');
  });

  it('runs a full exchange for an unknown user with a stable salt, and refuses it at the proof', async () => {
    const serverFirst = (user: string) => {
      const s = new ScramServerExchange(null, null, { secret, user, iterations: 4096 });
      const r = s.clientFirst(SCRAM_SHA_256, Buffer.from('n,,n=,r=abcdefgh'));
      if (!r.ok) throw new Error(r.reason);
      return r.reply.toString().replace(/^r=[^,]*,/, '');
    };
    expect(serverFirst('mallory')).toBe(serverFirst('mallory'));
    expect(serverFirst('mallory')).not.toBe(serverFirst('eve'));
    const result = await exchange(
      new ScramServerExchange(null, null, { secret, user: 'mallory', iterations: 4096 }),
      'anything',
    );
    expect(result.reason).toBe('unknown user');
  });

  it('offers SCRAM-SHA-256-PLUS on TLS and binds to the certificate the client saw', async () => {
    const server = new ScramServerExchange(verifier, tlsServerEndPoint(certDer), {
      secret,
      user: 'alice',
      iterations: 4096,
    });
    expect(server.mechanisms).toEqual([SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
    const stream = { getPeerCertificate: () => ({ raw: certDer }) };
    expect(await exchange(server, 'correct horse', stream)).toEqual({ reason: null, clientAccepted: true });
  });

  it('refuses a binding to another certificate (a man in the middle)', async () => {
    const other = new X509Certificate(readFileSync(makeTlsFiles(join(dir, 'other'), 'other').certFile)).raw;
    const server = new ScramServerExchange(verifier, tlsServerEndPoint(certDer), {
      secret,
      user: 'alice',
      iterations: 4096,
    });
    const result = await exchange(server, 'correct horse', { getPeerCertificate: () => ({ raw: other }) });
    expect(result.reason).toBe('scram channel binding does not match');
  });

  it('refuses a client that says the server cannot bind when it offered to (a downgrade)', () => {
    const server = new ScramServerExchange(verifier, tlsServerEndPoint(certDer), {
      secret,
      user: 'alice',
      iterations: 4096,
    });
    const r = server.clientFirst(SCRAM_SHA_256, Buffer.from('y,,n=,r=abcdefgh'));
    expect(r).toEqual({ ok: false, reason: 'channel binding downgrade detected' });
  });

  it('refuses malformed and out-of-order messages', () => {
    const s = new ScramServerExchange(verifier, null, { secret, user: 'alice', iterations: 4096 });
    expect(s.clientFinal(Buffer.from('c=biws,r=x,p=AAAA')).ok).toBe(false);
    const t = new ScramServerExchange(verifier, null, { secret, user: 'alice', iterations: 4096 });
    expect(t.clientFirst(SCRAM_SHA_256, Buffer.from('garbage')).ok).toBe(false);
    expect(t.clientFirst(SCRAM_SHA_256, Buffer.from('n,,n=,r=abc')).ok).toBe(false);
  });
});
