/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802 section 5, RFC 7677), with channel binding
 * type tls-server-end-point (RFC 5929 section 4) when the client leg is TLS, as PostgreSQL does it
 * (docs "SASL Authentication"). The user name inside the SCRAM messages is ignored: PostgreSQL clients
 * send it empty and the startup packet's user is the one authenticated.
 *
 *   client-first  = gs2-header client-first-bare        e.g. "n,,n=,r=<cnonce>"
 *   server-first  = "r=" cnonce snonce ",s=" salt ",i=" iterations
 *   client-final  = "c=" base64(gs2-header || cbind-data) ",r=" nonce ",p=" base64(ClientProof)
 *   AuthMessage   = client-first-bare "," server-first "," client-final-without-proof
 *   ClientKey     = ClientProof XOR HMAC-SHA-256(StoredKey, AuthMessage); valid iff SHA-256(ClientKey) = StoredKey
 *   server-final  = "v=" base64(HMAC-SHA-256(ServerKey, AuthMessage))
 *
 * For an unknown user the exchange runs against a made-up verifier whose salt is derived from the
 * name, so a stranger cannot tell unknown users from wrong passwords; it always fails at the proof.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS } from '../auth/scram-client.js';
import type { ScramVerifier } from './scram-verifier.js';

/** Outcome of one step: the bytes to send next, or why the exchange failed (never a secret). */
export type ScramStep = { readonly ok: true; readonly reply: Buffer } | { readonly ok: false; readonly reason: string };

const NONCE_BYTES = 18;
/** Longest SCRAM client message accepted, in bytes; real ones are about 100. */
const MAX_MESSAGE_BYTES = 1024;
const CBIND_TYPE = 'tls-server-end-point';

/** One exchange; create one per authentication attempt. */
export class ScramServerExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';
  private step: 'first' | 'final' | 'done' = 'first';

  /**
   * @param verifier the user's verifier, or null for an unknown user (see the file comment)
   * @param channelBinding the tls-server-end-point hash of pgtrail's certificate on this session, or
   *   null on a plaintext client leg (then SCRAM-SHA-256-PLUS is not offered)
   * @param unknownUserKey a per-process secret that derives unknown users' salts, and the iteration
   *   count to show them (that of the configured users, so that it gives nothing away)
   */
  constructor(
    private readonly verifier: ScramVerifier | null,
    private readonly channelBinding: Buffer | null,
    private readonly unknownUserKey: { readonly secret: Buffer; readonly user: string; readonly iterations: number },
  ) {}

  /** Mechanisms for AuthenticationSASL, preferred first. */
  get mechanisms(): readonly string[] {
    return this.channelBinding ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
  }

  /** Takes SASLInitialResponse (mechanism and client-first-message); replies with server-first-message. */
  clientFirst(mechanism: string, data: Buffer): ScramStep {
    if (this.step !== 'first') return fail('out-of-order scram message');
    this.step = 'done';
    if (!this.mechanisms.includes(mechanism)) return fail('unsupported sasl mechanism');
    if (data.length > MAX_MESSAGE_BYTES) return fail('malformed scram client-first-message');
    const text = data.toString('utf8');
    const m = /^(n|y|p=([^,]*)),(a=[^,]*)?,(.*)$/.exec(text);
    if (!m) return fail('malformed scram client-first-message');
    const [, flag, cbType, authzid, bare] = m as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
      string,
    ];
    if (authzid !== undefined) return fail('scram authorization identity is not supported');
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    if (plus && cbType !== CBIND_TYPE) return fail('unsupported channel binding type');
    if (!plus && flag.startsWith('p=')) return fail('channel binding requested without scram-sha-256-plus');
    // 'y' means "I could bind but you did not offer it": we did, so something stripped it.
    if (!plus && flag === 'y' && this.channelBinding) return fail('channel binding downgrade detected');
    const attrs = /^(?:n=[^,]*),r=([\x21-\x2b\x2d-\x7e]+)(?:,.*)?$/.exec(bare);
    if (!attrs) return fail('malformed scram client-first-message');
    const v = this.verifier ?? this.unknownUserVerifier();
    this.gs2Header = text.slice(0, text.length - bare.length);
    this.clientFirstBare = bare;
    this.nonce = (attrs[1] as string) + randomBytes(NONCE_BYTES).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
    this.step = 'final';
    return { ok: true, reply: Buffer.from(this.serverFirst, 'utf8') };
  }

  /** Takes SASLResponse (client-final-message); replies with server-final-message when the proof holds. */
  clientFinal(data: Buffer): ScramStep {
    if (this.step !== 'final') return fail('out-of-order scram message');
    this.step = 'done';
    if (data.length > MAX_MESSAGE_BYTES) return fail('malformed scram client-final-message');
    const text = data.toString('utf8');
    const m = /^c=([A-Za-z0-9+/=]*),r=([^,]*)(?:,[^p][^,]*)*,p=([A-Za-z0-9+/=]+)$/.exec(text);
    if (!m) return fail('malformed scram client-final-message');
    const [, cbind, nonce, proofB64] = m as unknown as [string, string, string, string];
    const expectedCbind = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.gs2Header.startsWith('p=') ? (this.channelBinding ?? Buffer.alloc(0)) : Buffer.alloc(0),
    ]);
    if (!safeEqual(Buffer.from(cbind, 'base64'), expectedCbind)) return fail('scram channel binding does not match');
    if (!safeEqual(Buffer.from(nonce, 'utf8'), Buffer.from(this.nonce, 'utf8')))
      return fail('scram nonce does not match');
    const proof = Buffer.from(proofB64, 'base64');
    const withoutProof = text.slice(0, text.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const v = this.verifier ?? this.unknownUserVerifier();
    const signature = createHmac('sha256', v.storedKey).update(authMessage).digest();
    if (proof.length !== signature.length) return fail('wrong password');
    const clientKey = Buffer.alloc(signature.length);
    for (let i = 0; i < signature.length; i++) clientKey[i] = (proof[i] as number) ^ (signature[i] as number);
    const valid = safeEqual(createHash('sha256').update(clientKey).digest(), v.storedKey);
    if (!valid || this.verifier === null) return fail(this.verifier === null ? 'unknown user' : 'wrong password');
    const serverSignature = createHmac('sha256', v.serverKey).update(authMessage).digest('base64');
    return { ok: true, reply: Buffer.from(`v=${serverSignature}`, 'utf8') };
  }

  private unknownUserVerifier(): ScramVerifier {
    const derive = (label: string) =>
      createHmac('sha256', this.unknownUserKey.secret).update(`${label}\0${this.unknownUserKey.user}`).digest();
    return {
      iterations: this.unknownUserKey.iterations,
      salt: derive('salt').subarray(0, 16),
      storedKey: derive('stored'),
      serverKey: derive('server'),
    };
  }
}

function fail(reason: string): ScramStep {
  return { ok: false, reason };
}

/** Constant-time equality; unequal lengths are unequal without comparing contents. */
function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
