/**
 * Passthrough identity: the user authenticates with their own database credentials and the identity
 * is the role PostgreSQL accepted (docs/proxy.md, "Authentication").
 *
 * - md5, password and trust: the server's requests and the client's answers are relayed unchanged.
 * - SCRAM-SHA-256 with a plaintext client leg: relayed byte for byte, but pgtrail offers the client
 *   only SCRAM-SHA-256: the client cannot bind to a TLS channel it does not have, and the server
 *   accepts a SCRAM exchange that does not bind.
 * - SCRAM-SHA-256 with a TLS client leg: relaying would break channel binding (the client would bind
 *   to pgtrail's certificate, the server checks its own), so pgtrail asks the client for its password
 *   with AuthenticationCleartextPassword, which TLS protects, and runs SCRAM itself upstream
 *   (-PLUS with tls-server-end-point when the upstream leg is TLS). The password lives only for the
 *   exchange and is zeroed afterwards; it is never logged.
 */
import { BackendError, protocolViolation, upstreamProtocolViolation } from '../backend-error.js';
import {
  authenticationCleartextPassword,
  authenticationSasl,
  backendMessage as frame,
} from '../protocol/backend-messages.js';
import { AuthRequest, BackendCode, FrontendCode } from '../protocol/message-codes.js';
import type { StartupChannel } from '../startup-channel.js';
import type { AuthContext, AuthOutcome, ClientAuthStrategy } from './client-auth.js';
import { SCRAM_SHA_256 } from './scram-client.js';
import { authenticateUpstream, saslMechanisms, serverError } from './upstream-password-auth.js';

/** Requests after which the client must answer with a PasswordMessage ('p'). */
const NEEDS_ANSWER = new Set<number>([
  AuthRequest.CleartextPassword,
  AuthRequest.MD5Password,
  AuthRequest.SASL,
  AuthRequest.SASLContinue,
]);

/** The passthrough strategy (see the file comment). */
export const passthroughAuth: ClientAuthStrategy = {
  name: 'passthrough',
  async authenticate(ctx: AuthContext): Promise<AuthOutcome> {
    const user = ctx.startup.params.get('user') ?? '';
    const upstream = await ctx.connectUpstream(ctx.startup.params);
    const identity = { user, method: { kind: 'passthrough' } } as const;
    for (;;) {
      const message = await upstream.channel.readMessage();
      if (message.code === BackendCode.ErrorResponse) throw serverError(message.body);
      if (message.code === BackendCode.NoticeResponse) {
        ctx.client.write(frame(message.code, message.body));
        continue;
      }
      if (message.code !== BackendCode.Authentication || message.body.length < 4) {
        throw upstreamProtocolViolation('server sent an unexpected message during authentication');
      }
      const request = message.body.readInt32BE(0);
      if (request === AuthRequest.Ok) return { identity, upstream };
      if (request === AuthRequest.SASL) {
        const mechanisms = saslMechanisms(message.body.subarray(4));
        if (!mechanisms.includes(SCRAM_SHA_256)) {
          throw new BackendError(
            'AUTH_METHOD_UNSUPPORTED',
            '28000',
            'the server offered no sasl mechanism pgtrail can relay',
          );
        }
        if (ctx.clientTls !== null) {
          ctx.client.write(authenticationCleartextPassword());
          const password = await readPassword(ctx.client);
          try {
            const method = await authenticateUpstream(upstream, user, password, message);
            ctx.logger.debug({ method }, 'authenticated upstream for a tls client');
          } finally {
            password.fill(0);
          }
          return { identity, upstream };
        }
        ctx.client.write(authenticationSasl([SCRAM_SHA_256]));
      } else if (NEEDS_ANSWER.has(request) || request === AuthRequest.SASLFinal) {
        ctx.client.write(frame(message.code, message.body));
      } else {
        throw new BackendError(
          'AUTH_METHOD_UNSUPPORTED',
          '28000',
          `upstream authentication method ${request} is not supported by pgtrail`,
        );
      }
      if (NEEDS_ANSWER.has(request)) {
        const answer = await ctx.client.readMessage();
        if (answer.code !== FrontendCode.PasswordMessage) throw protocolViolation('expected a password response');
        upstream.channel.write(frame(answer.code, answer.body));
      }
    }
  },
};

/** Reads a PasswordMessage and returns the password bytes (without the terminating zero). */
async function readPassword(client: StartupChannel): Promise<Buffer> {
  const answer = await client.readMessage();
  if (answer.code !== FrontendCode.PasswordMessage) throw protocolViolation('expected a password response');
  const end = answer.body.indexOf(0);
  if (end < 0) throw protocolViolation('password response is not a string');
  const password = Buffer.from(answer.body.subarray(0, end));
  answer.body.fill(0);
  return password;
}
