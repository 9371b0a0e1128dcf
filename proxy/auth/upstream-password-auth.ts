/**
 * Authenticates pgtrail to the upstream server with a password it holds (for the length of the
 * exchange only): SCRAM-SHA-256(-PLUS), md5 or cleartext, whichever the server asks for. Used by
 * passthrough when the client leg is TLS, and by proxy-managed identities for their upstream
 * credentials.
 */
import { createHash } from 'node:crypto';
import { BackendError, upstreamProtocolViolation } from '../backend-error.js';
import { passwordMessage, saslInitialResponse, saslResponse } from '../protocol/frontend-messages.js';
import { AuthRequest, BackendCode } from '../protocol/message-codes.js';
import type { Message } from '../startup-channel.js';
import type { UpstreamLink } from '../upstream-link.js';
import { SCRAM_SHA_256_PLUS, ScramClient, ScramError } from './scram-client.js';
import { tlsServerEndPoint } from './tls-server-end-point.js';

/** How pgtrail proved the password upstream: the server's method, with the SASL mechanism chosen. */
export type UpstreamAuthMethod = 'trust' | 'password' | 'md5' | 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';

/**
 * Runs the server's authentication requests to completion; returns, with the method used, when it
 * has sent (and this has consumed) AuthenticationOk. `first` is a request already read from the
 * server, if any. A server ErrorResponse is thrown as BackendError UPSTREAM_ERROR carrying the
 * server's own fields.
 */
export async function authenticateUpstream(
  link: UpstreamLink,
  user: string,
  password: Buffer,
  first: Message | null = null,
): Promise<UpstreamAuthMethod> {
  let scram: ScramClient | null = null;
  let method: UpstreamAuthMethod = 'trust';
  let message = first ?? (await link.channel.readMessage());
  for (;;) {
    if (message.code === BackendCode.ErrorResponse) throw serverError(message.body);
    if (message.code !== BackendCode.Authentication || message.body.length < 4) {
      if (message.code === BackendCode.NoticeResponse) {
        message = await link.channel.readMessage();
        continue;
      }
      throw upstreamProtocolViolation('server sent an unexpected message during authentication');
    }
    const request = message.body.readInt32BE(0);
    const data = message.body.subarray(4);
    switch (request) {
      case AuthRequest.Ok:
        return method;
      case AuthRequest.CleartextPassword:
        method = 'password';
        link.channel.write(passwordMessage(password));
        break;
      case AuthRequest.MD5Password:
        if (data.length !== 4) throw upstreamProtocolViolation('server sent a malformed md5 salt');
        method = 'md5';
        link.channel.write(passwordMessage(md5Response(password, user, data)));
        break;
      case AuthRequest.SASL: {
        const binding = link.serverCertificate !== null ? tlsServerEndPoint(link.serverCertificate) : null;
        const s = new ScramClient(password, binding);
        scram = s;
        const { mechanism, clientFirst } = scramStep(() => s.start(saslMechanisms(data)));
        method = mechanism === SCRAM_SHA_256_PLUS ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
        link.channel.write(saslInitialResponse(mechanism, clientFirst));
        break;
      }
      case AuthRequest.SASLContinue: {
        if (scram === null) throw upstreamProtocolViolation('server sent SASLContinue before SASL');
        const s = scram;
        link.channel.write(saslResponse(await scramStepAsync(() => s.respond(data))));
        break;
      }
      case AuthRequest.SASLFinal: {
        if (scram === null) throw upstreamProtocolViolation('server sent SASLFinal before SASL');
        const s = scram;
        scramStep(() => s.verify(data));
        break;
      }
      default:
        throw new BackendError(
          'AUTH_METHOD_UNSUPPORTED',
          '28000',
          `upstream authentication method ${request} is not supported by pgtrail`,
        );
    }
    message = await link.channel.readMessage();
  }
}

/** A BackendError that relays the server's ErrorResponse to the client as it was sent. */
export function serverError(body: Buffer): BackendError {
  return new BackendError('UPSTREAM_ERROR', '', 'the server refused the connection', 'FATAL', Buffer.from(body));
}

/** The mechanism names in an AuthenticationSASL body (after the request code): C strings, then an empty one. */
export function saslMechanisms(data: Buffer): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < data.length && data[pos] !== 0) {
    const end = data.indexOf(0, pos);
    if (end < 0) break;
    out.push(data.toString('utf8', pos, end));
    pos = end + 1;
  }
  return out;
}

/** "md5" || md5hex(md5hex(password || user) || salt), as PostgreSQL's md5 method expects. */
function md5Response(password: Buffer, user: string, salt: Buffer): Buffer {
  const inner = createHash('md5').update(password).update(user, 'utf8').digest('hex');
  const outer = createHash('md5').update(inner, 'utf8').update(salt).digest('hex');
  return Buffer.from(`md5${outer}`, 'utf8');
}

function scramStep<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw fromScram(err);
  }
}

async function scramStepAsync<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw fromScram(err);
  }
}

function fromScram(err: unknown): unknown {
  if (!(err instanceof ScramError)) return err;
  if (err.code === 'SCRAM_NO_MECHANISM')
    return new BackendError('AUTH_METHOD_UNSUPPORTED', '28000', err.message, 'FATAL', null, { cause: err });
  if (err.code === 'SCRAM_SERVER_SIGNATURE_MISMATCH')
    return new BackendError('AUTH_FAILED', '28000', err.message, 'FATAL', null, { cause: err });
  return new BackendError('UPSTREAM_PROTOCOL_VIOLATION', '08P01', err.message, 'FATAL', null, { cause: err });
}
