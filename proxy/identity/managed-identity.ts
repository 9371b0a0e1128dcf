/**
 * Proxy-managed identity: proves who a client is with the methods the config enables, applies the
 * access policy, and picks the upstream credential. The proxy calls `authenticate` once per session
 * after the StartupMessage, then authenticates upstream with the credential it returns; the user
 * never sees that credential.
 *
 * How the method is chosen, in order:
 * 1. The client's address is over its failure budget: refused (28000), nothing else is tried.
 * 2. Certificates are enabled and the client presented one on TLS: that certificate decides (28000
 *    when it is not from the CA or names someone other than the startup user).
 * 3. The startup user is in identity.users: SCRAM-SHA-256 (-PLUS on TLS) against its verifier (28P01).
 * 4. SSO tokens are enabled and the client leg is TLS: the password asked for in clear (inside TLS)
 *    must be a valid JWT (28P01 when it is not; recorded as 'unknown user' when it is not even
 *    shaped like a JWT).
 * 5. Otherwise a SCRAM exchange against a made-up verifier, refused as a wrong password (28P01), so
 *    unknown users look like known ones. On plaintext this is also what a token user gets: the
 *    token never crosses the network in clear (SCRAM sends only a proof derived from it).
 * Proven identities must match the startup user name. Failures of proof count against the address.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Config } from '../../config/config.js';
import type { Identity, IdentityMethod, Peer } from '../../recorder/events.js';
import { tlsServerEndPoint } from '../auth/tls-server-end-point.js';
import {
  authenticationCleartextPassword,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
} from '../protocol/backend-messages.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { decideAccess } from './access-policy.js';
import { authorizationRefusal, passwordRefusal, refusalBy, type AuthRefusal } from './auth-refusal.js';
import { parsePasswordMessage, parseSaslInitialResponse } from './password-messages.js';
import { CertificateAuthority } from './certificate-identity.js';
import { FailureRateLimiter } from './failure-rate-limiter.js';
import { IdentityError } from './identity-error.js';
import { createJwtVerifier, MAX_TOKEN_CHARS, type JwtVerifier } from './jwt-verifier.js';
import { ScramServerExchange } from './scram-server.js';
import { DEFAULT_SCRAM_ITERATIONS, parseScramVerifier, type ScramVerifier } from './scram-verifier.js';
import { resolveUpstreamCredentials, type ResolvedCredential } from './upstream-credentials.js';

/** How identity reads and writes messages during authentication (the proxy's StartupChannel fits). */
export interface ClientAuthChannel {
  readMessage(): Promise<{ readonly code: number; readonly body: Buffer }>;
  write(bytes: Buffer): void;
}

/** What the proxy knows about a session when authentication starts. */
export interface ClientAuthContext {
  /** The user and database of the StartupMessage. */
  readonly user: string;
  readonly database: string;
  readonly client: Peer;
  /** The client leg's TLS, or null when it is plaintext. */
  readonly tls: {
    /** The client's certificate (DER), when it presented one. */
    readonly peerCertificateDer: Buffer | null;
  } | null;
}

/** The result of authenticate: who it is and which credential to use upstream, or why not. */
export type ManagedAuthOutcome =
  | { readonly ok: true; readonly identity: Identity; readonly credential: ResolvedCredential }
  | { readonly ok: false; readonly refusal: AuthRefusal };

/** Where ManagedIdentity reads files and environment variables named by the config (bin/ passes them). */
export interface IdentitySources {
  readonly readFile: (path: string) => Buffer;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** header.payload.signature in base64url: what a password must look like to be taken for a token. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type Proof =
  | { readonly ok: true; readonly user: string; readonly method: IdentityMethod }
  | { readonly ok: false; readonly refusal: AuthRefusal; readonly counts: boolean };

/** The configured proxy-managed identity of one pgtrail process. */
export class ManagedIdentity {
  private readonly limiter: FailureRateLimiter;
  /** Derives unknown users' SCRAM salts; random per process. */
  private readonly unknownUserSecret = randomBytes(32);
  /** The iteration count unknown users are shown: the most common among configured users. */
  private readonly unknownUserIterations: number;

  private constructor(
    private readonly config: Config,
    private readonly verifiers: ReadonlyMap<string, ScramVerifier>,
    private readonly certificates: CertificateAuthority | null,
    private readonly jwt: JwtVerifier | null,
    private readonly credentials: ReadonlyMap<string, ResolvedCredential>,
    /** tls-server-end-point of pgtrail's client-facing certificate, for SCRAM-SHA-256-PLUS; null without TLS. */
    private readonly channelBinding: Buffer | null,
  ) {
    this.limiter = new FailureRateLimiter(config.identity.rateLimit.maxFailures, config.identity.rateLimit.windowMs);
    this.unknownUserIterations =
      mostCommon([...verifiers.values()].map((v) => v.iterations)) ?? DEFAULT_SCRAM_ITERATIONS;
  }

  /**
   * Builds it from the config, or returns null when no method is configured (identity is then
   * passthrough). Throws IdentityError for an inconsistent configuration or unreadable files.
   */
  static fromConfig(config: Config, sources: IdentitySources): ManagedIdentity | null {
    const id = config.identity;
    const enabled = id.users.length > 0 || id.certificate.from !== 'off' || id.jwt.issuer !== null;
    const invalid = (message: string) => new IdentityError('IDENTITY_CONFIG_INVALID', message);
    if (!enabled) {
      if (id.policy.length > 0 || id.upstream.length > 0)
        throw invalid(
          'identity.policy and identity.upstream need identity.users, identity.certificate or identity.jwt',
        );
      return null;
    }
    const verifiers = new Map<string, ScramVerifier>();
    for (const u of id.users) {
      if (verifiers.has(u.name)) throw invalid(`identity.users has ${JSON.stringify(u.name)} twice`);
      verifiers.set(u.name, parseScramVerifier(u.verifier, u.name));
    }
    const tlsOn = config.tls.mode !== 'disable' && config.tls.certFile !== null;
    let certificates: CertificateAuthority | null = null;
    if (id.certificate.from !== 'off') {
      if (!tlsOn || config.tls.caFile === null)
        throw invalid(
          'identity.certificate needs tls.certFile, tls.keyFile and tls.caFile, and tls.mode other than disable',
        );
      let pem: string;
      try {
        pem = sources.readFile(config.tls.caFile).toString('utf8');
      } catch (err) {
        throw new IdentityError('IDENTITY_CONFIG_INVALID', `cannot read tls.caFile ${config.tls.caFile}`, {
          cause: err,
        });
      }
      certificates = CertificateAuthority.fromPem(pem, id.certificate.from, config.tls.caFile);
    }
    let jwt: JwtVerifier | null = null;
    if (id.jwt.issuer !== null) {
      if (!tlsOn)
        throw invalid(
          'identity.jwt needs tls.certFile and tls.keyFile, and tls.mode other than disable: tokens travel only over TLS',
        );
      jwt = createJwtVerifier(id.jwt, sources.readFile);
    }
    const credentials = resolveUpstreamCredentials(id.upstream, sources);
    for (const c of credentials.values()) {
      if (c.tlsCert !== null && config.upstream.tls.mode === 'disable')
        throw invalid(
          `identity.upstream ${JSON.stringify(c.name)} has a client certificate but upstream.tls.mode is disable`,
        );
    }
    if (id.policy.length === 0) throw invalid('identity.policy has no rules: every identity would be refused');
    id.policy.forEach((rule, i) => {
      if (!credentials.has(rule.upstream))
        throw invalid(`identity.policy[${i}].upstream names no entry of identity.upstream`);
    });
    return new ManagedIdentity(
      config,
      verifiers,
      certificates,
      jwt,
      credentials,
      tlsOn ? serverChannelBinding(config.tls.certFile as string, sources) : null,
    );
  }

  /** Authenticates one client (see the file comment). Rejects only when the channel fails. */
  async authenticate(
    ctx: ClientAuthContext,
    channel: ClientAuthChannel,
    nowMs = Date.now(),
  ): Promise<ManagedAuthOutcome> {
    const address = ctx.client.address;
    if (this.limiter.isBlocked(address, nowMs)) {
      return { ok: false, refusal: authorizationRefusal('too many failed authentication attempts', 'rate limited') };
    }
    const proof = await this.prove(ctx, channel);
    if (!proof.ok) {
      if (proof.counts) this.limiter.recordFailure(address, nowMs);
      return { ok: false, refusal: proof.refusal };
    }
    const upstream = decideAccess(this.config.identity.policy, proof.user, ctx.database);
    const credential = upstream === null ? undefined : this.credentials.get(upstream);
    if (!credential) {
      return {
        ok: false,
        refusal: refusalBy(
          proof.method.kind,
          authorizationRefusal(
            `access to database "${ctx.database}" denied for "${proof.user}"`,
            'denied by access policy',
          ),
        ),
      };
    }
    return { ok: true, identity: { user: proof.user, method: proof.method }, credential };
  }

  /** The proof of `ctx.user`'s identity; a failed one says which method the client tried. */
  private async prove(ctx: ClientAuthContext, channel: ClientAuthChannel): Promise<Proof> {
    const peerCert = ctx.tls?.peerCertificateDer ?? null;
    if (this.certificates && peerCert) {
      const check = this.certificates.check(peerCert, new Date());
      if (!check.ok)
        return refused(
          refusalBy(
            'certificate',
            authorizationRefusal(`certificate authentication failed for user "${ctx.user}"`, check.reason),
          ),
          true,
        );
      if (check.identity.user !== ctx.user) {
        return refused(
          refusalBy(
            'certificate',
            authorizationRefusal(
              `certificate authentication failed for user "${ctx.user}"`,
              'certificate identity does not match user',
            ),
          ),
          true,
        );
      }
      const { fingerprint, subject } = check.identity;
      return { ok: true, user: ctx.user, method: { kind: 'certificate', fingerprint, subject } };
    }
    const verifier = this.verifiers.get(ctx.user);
    if (verifier) return tried('password', await this.scram(ctx, channel, verifier));
    if (this.jwt && ctx.tls !== null) return tried('token', await this.token(ctx, channel, this.jwt));
    if (this.certificates && this.verifiers.size === 0 && !this.jwt) {
      return refused(
        refusalBy(
          'certificate',
          authorizationRefusal(`connection requires a valid client certificate`, 'no client certificate'),
        ),
        true,
      );
    }
    const unknown = this.jwt ? 'unknown user (tokens need tls)' : 'unknown user';
    return tried('password', await this.scram(ctx, channel, null, unknown));
  }

  private async scram(
    ctx: ClientAuthContext,
    channel: ClientAuthChannel,
    verifier: ScramVerifier | null,
    unknownReason = 'unknown user',
  ): Promise<Proof> {
    const binding = ctx.tls === null ? null : this.channelBinding;
    const exchange = new ScramServerExchange(verifier, binding, {
      secret: this.unknownUserSecret,
      user: ctx.user,
      iterations: this.unknownUserIterations,
    });
    channel.write(authenticationSasl(exchange.mechanisms));
    const initial = parseSaslInitialResponse(await readPasswordMessage(channel));
    if (!initial) return refused(protocolRefusal('malformed SASLInitialResponse'), true);
    const first = exchange.clientFirst(initial.mechanism, initial.data);
    if (!first.ok) return refused(passwordRefusal(ctx.user, first.reason), true);
    channel.write(authenticationSaslContinue(first.reply));
    const final = exchange.clientFinal(await readPasswordMessage(channel));
    if (!final.ok) return refused(passwordRefusal(ctx.user, verifier === null ? unknownReason : final.reason), true);
    channel.write(authenticationSaslFinal(final.reply));
    return { ok: true, user: ctx.user, method: { kind: 'password' } };
  }

  private async token(ctx: ClientAuthContext, channel: ClientAuthChannel, jwt: JwtVerifier): Promise<Proof> {
    channel.write(authenticationCleartextPassword());
    const token = parsePasswordMessage(await readPasswordMessage(channel));
    if (token === null) return refused(protocolRefusal('malformed PasswordMessage'), true);
    if (token.length <= MAX_TOKEN_CHARS && !JWT_SHAPE.test(token))
      return refused(passwordRefusal(ctx.user, 'unknown user'), true);
    const check = await jwt.verify(token);
    if (!check.ok) return refused(passwordRefusal(ctx.user, check.reason), true);
    if (check.identity.user !== ctx.user)
      return refused(passwordRefusal(ctx.user, 'token identity does not match user'), true);
    return {
      ok: true,
      user: ctx.user,
      method: { kind: 'token', issuer: check.identity.issuer, subject: check.identity.subject },
    };
  }
}

/** The binding data of the first (leaf) certificate in tls.certFile. */
function serverChannelBinding(certFile: string, sources: IdentitySources): Buffer {
  let der: Buffer;
  try {
    der = new X509Certificate(sources.readFile(certFile)).raw;
  } catch (err) {
    throw new IdentityError('IDENTITY_CONFIG_INVALID', `cannot read the certificate in tls.certFile ${certFile}`, {
      cause: err,
    });
  }
  return tlsServerEndPoint(der);
}

function mostCommon(values: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | null = null;
  for (const [v, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = v;
  return best;
}

function refused(refusal: AuthRefusal, counts: boolean): Proof {
  return { ok: false, refusal, counts };
}

/** A failed proof, saying which method the client tried (recorded in session.auth_failed). */
function tried(method: IdentityMethod['kind'], proof: Proof): Proof {
  return proof.ok ? proof : { ...proof, refusal: refusalBy(method, proof.refusal) };
}

/** A client that sends something other than the expected 'p' message is cut off as PostgreSQL does. */
function protocolRefusal(reason: string): AuthRefusal {
  return { code: '08P01', message: 'invalid authentication message', reason };
}

/** Reads the next message; anything but a 'p' message yields an empty body, which no parser accepts. */
async function readPasswordMessage(channel: ClientAuthChannel): Promise<Buffer> {
  const m = await channel.readMessage();
  return m.code === FrontendCode.PasswordMessage ? m.body : Buffer.alloc(0);
}
