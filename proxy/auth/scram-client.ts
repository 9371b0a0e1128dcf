/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677; PostgreSQL docs,
 * "SASL Authentication"), used when pgtrail itself authenticates to PostgreSQL: in passthrough with
 * the password a TLS client gave pgtrail, and for proxy-managed upstream credentials.
 *
 * Messages, as PostgreSQL expects them (the user name is empty: the server uses the startup user):
 *   client-first  = gs2-header "n=,r=" client-nonce
 *   gs2-header    = "n,," (no channel binding) | "y,," (client could bind, server offered no -PLUS)
 *                 | "p=tls-server-end-point,," (-PLUS)
 *   server-first  = "r=" nonce ",s=" base64(salt) ",i=" iterations
 *   client-final  = "c=" base64(gs2-header || binding data) ",r=" nonce ",p=" base64(ClientProof)
 *   server-final  = "v=" base64(ServerSignature) | "e=" error
 * SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, iterations), SASLprep as PostgreSQL
 *                  does it (saslprep.ts), so the server's verifier of the same password matches
 * ClientKey = HMAC(SaltedPassword, "Client Key"); StoredKey = SHA-256(ClientKey)
 * AuthMessage = client-first-bare "," server-first "," client-final-without-proof
 * ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)
 * ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage)
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { saslPrep } from './saslprep.js';

/** Stable codes of SCRAM failures (docs/errors.md, section proxy/auth). */
export type ScramErrorCode =
  | 'SCRAM_NO_MECHANISM'
  | 'SCRAM_BAD_SERVER_MESSAGE'
  | 'SCRAM_SERVER_SIGNATURE_MISMATCH'
  | 'SCRAM_SERVER_ERROR';

/** The server's SCRAM messages were malformed, or it could not prove that it knows the password. */
export class ScramError extends Error {
  override readonly name = 'ScramError';
  constructor(
    readonly code: ScramErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Mechanism names as PostgreSQL advertises them. */
export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';

/** Iteration counts above this are refused: a hostile server could otherwise burn pgtrail's CPU. */
const MAX_ITERATIONS = 1_000_000;
const NONCE_BYTES = 18;

/** One SCRAM exchange, from the first message to verifying the server's signature. */
export class ScramClient {
  private readonly clientNonce = randomBytes(NONCE_BYTES).toString('base64');
  private gs2Header = 'n,,';
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;

  /**
   * @param password the password bytes as the user typed them; the caller zeroes them afterwards
   * @param channelBinding tls-server-end-point data when the connection to the server is TLS, else null
   */
  constructor(
    private readonly password: Buffer,
    private readonly channelBinding: Buffer | null,
  ) {}

  /** Chooses the mechanism from those the server offered and builds the client-first message. */
  start(offered: readonly string[]): { mechanism: string; clientFirst: Buffer } {
    let mechanism: string;
    if (this.channelBinding !== null && offered.includes(SCRAM_SHA_256_PLUS)) {
      mechanism = SCRAM_SHA_256_PLUS;
      this.gs2Header = 'p=tls-server-end-point,,';
    } else if (offered.includes(SCRAM_SHA_256)) {
      mechanism = SCRAM_SHA_256;
      this.gs2Header = this.channelBinding !== null ? 'y,,' : 'n,,';
    } else {
      throw new ScramError('SCRAM_NO_MECHANISM', 'the server offered no scram-sha-256 mechanism');
    }
    this.clientFirstBare = `n=,r=${this.clientNonce}`;
    return { mechanism, clientFirst: Buffer.from(this.gs2Header + this.clientFirstBare, 'utf8') };
  }

  /** Answers the server-first message with the client-final message. */
  async respond(serverFirstBytes: Buffer): Promise<Buffer> {
    const serverFirst = serverFirstBytes.toString('utf8');
    const attrs = parseAttributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (nonce === undefined || !nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new ScramError('SCRAM_BAD_SERVER_MESSAGE', 'server nonce does not extend the client nonce');
    }
    if (salt === undefined || salt.length === 0)
      throw new ScramError('SCRAM_BAD_SERVER_MESSAGE', 'server sent no salt');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new ScramError('SCRAM_BAD_SERVER_MESSAGE', 'server sent an invalid iteration count');
    }
    const binding = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.gs2Header.startsWith('p=') ? (this.channelBinding as Buffer) : Buffer.alloc(0),
    ]);
    const clientFinalWithoutProof = `c=${binding.toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const prepared = saslPrep(this.password);
    const salted = await pbkdf2Async(prepared, Buffer.from(salt, 'base64'), iterations).finally(() => prepared.fill(0));
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number);
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    salted.fill(0);
    return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server-final message: the server must prove it knows the password too. */
  verify(serverFinalBytes: Buffer): void {
    const attrs = parseAttributes(serverFinalBytes.toString('utf8'));
    const error = attrs.get('e');
    if (error !== undefined) throw new ScramError('SCRAM_SERVER_ERROR', `server reported scram error ${error}`);
    const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (expected === null || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new ScramError('SCRAM_SERVER_SIGNATURE_MISMATCH', 'server signature does not match');
    }
  }
}

function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part.slice(0, 1), part.slice(2));
  }
  return out;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function pbkdf2Async(password: Buffer, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  });
}
