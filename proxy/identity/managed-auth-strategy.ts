/**
 * Proxy-managed identity as a client authentication strategy (proxy/auth/client-auth.ts): the client
 * proves who it is to pgtrail (ManagedIdentity), then pgtrail logs in upstream as the role of the
 * credential the access policy chose, presenting its client certificate on the TLS leg when it has
 * one, and answering with its password what the server asks (SCRAM-SHA-256, -PLUS when the upstream
 * leg is TLS, via authenticateUpstream). The client's other startup parameters (database,
 * application_name, options, ...) are passed on unchanged; only `user` is replaced.
 */
import { BackendError } from '../backend-error.js';
import type { AuthContext, AuthOutcome, AuthStrategySelector, ClientAuthStrategy } from '../auth/client-auth.js';
import { passthroughAuth } from '../auth/passthrough.js';
import { authenticateUpstream } from '../auth/upstream-password-auth.js';
import { parseErrorFields } from '../protocol/error-fields.js';
import type { IdentityMethod } from '../../recorder/events.js';
import type { AuthRefusal } from './auth-refusal.js';
import type { ManagedIdentity } from './managed-identity.js';

/**
 * A refusal by proxy-managed identity: the client gets `message` with `sqlstate`; the
 * session.auth_failed record gets `reason`, which says exactly what failed (e.g. 'token expired',
 * 'unknown user') where the client is told only that authentication failed.
 */
export class IdentityRefusal extends BackendError {
  readonly reason: string;
  /** How the client tried to prove who it is, when that was decided before the refusal. */
  readonly method: IdentityMethod['kind'] | null;
  constructor(refusal: AuthRefusal) {
    super(refusal.code === '08P01' ? 'PROTOCOL_VIOLATION' : 'AUTH_FAILED', refusal.code, refusal.message);
    this.reason = refusal.reason;
    this.method = refusal.method ?? null;
  }
}

/** The strategy of proxy-managed identities. */
export function managedAuth(identity: ManagedIdentity): ClientAuthStrategy {
  return {
    name: 'managed',
    async authenticate(ctx: AuthContext): Promise<AuthOutcome> {
      const user = ctx.startup.params.get('user') ?? '';
      const database = ctx.startup.params.get('database') ?? user;
      const tls = ctx.clientTls === null ? null : { peerCertificateDer: ctx.clientCertificate };
      const outcome = await identity.authenticate({ user, database, client: ctx.clientPeer, tls }, ctx.client);
      if (!outcome.ok) {
        ctx.logger.info(
          { user, database, client: ctx.clientPeer, code: outcome.refusal.code, reason: outcome.refusal.reason },
          'identity refused',
        );
        throw new IdentityRefusal(outcome.refusal);
      }
      const { credential } = outcome;
      const params = new Map(ctx.startup.params);
      params.set('user', credential.role);
      params.set('database', database);
      const clientCertificate =
        credential.tlsCert !== null && credential.tlsKey !== null
          ? { cert: credential.tlsCert, key: credential.tlsKey }
          : null;
      const upstream = await ctx.connectUpstream(params, clientCertificate);
      const password = Buffer.from(credential.password ?? '', 'utf8');
      try {
        await authenticateUpstream(upstream, credential.role, password);
      } catch (err) {
        throw hideUpstreamRefusal(err, credential.name, outcome.identity.method.kind);
      } finally {
        password.fill(0);
      }
      ctx.logger.info(
        {
          user: outcome.identity.user,
          method: outcome.identity.method.kind,
          role: credential.role,
          credential: credential.name,
        },
        'identity accepted',
      );
      return { identity: outcome.identity, upstream };
    },
  };
}

/**
 * The server refusing pgtrail's own credential (28xxx) is pgtrail's configuration problem, and its
 * message would name the upstream role: the client gets a plain 28000, the record the server's words.
 */
function hideUpstreamRefusal(err: unknown, credential: string, method: IdentityMethod['kind']): unknown {
  if (!(err instanceof BackendError) || err.serverBody === null) return err;
  const fields = parseErrorFields(err.serverBody);
  if (!fields.code.startsWith('28')) return err;
  return new IdentityRefusal({
    code: '28000',
    message: 'pgtrail could not log in to the database for this identity',
    reason: `upstream refused credential ${JSON.stringify(credential)}: ${fields.code} ${fields.message}`,
    method,
  });
}

/** Chooses managed identity for every session when it is configured, else passthrough. */
export function identityStrategySelector(identity: ManagedIdentity | null): AuthStrategySelector {
  const strategy = identity === null ? passthroughAuth : managedAuth(identity);
  return () => strategy;
}
