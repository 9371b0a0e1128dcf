/**
 * Why a client was not let in. It becomes one ErrorResponse to the client (`code`, `message`) and one
 * session.auth_failed record (`code`, `reason`). The message says as little as PostgreSQL would; the
 * reason, which only the journal sees, says exactly what failed (never a secret).
 */
import type { IdentityMethod } from '../../recorder/events.js';

/** Why a client was not let in (see the file comment). */
export interface AuthRefusal {
  /** SQLSTATE: 28P01 invalid_password, 28000 invalid_authorization_specification, 08P01 protocol_violation. */
  readonly code: '28P01' | '28000' | '08P01';
  readonly message: string;
  readonly reason: string;
  /** How the client tried to prove who it is, when the refusal came after that was decided. */
  readonly method?: IdentityMethod['kind'];
}

/** The refusal, saying which method the client had tried. */
export function refusalBy(method: IdentityMethod['kind'], refusal: AuthRefusal): AuthRefusal {
  return { ...refusal, method };
}

/** A failed password, SCRAM exchange or token: the client learns only that authentication failed. */
export function passwordRefusal(user: string, reason: string): AuthRefusal {
  return { code: '28P01', message: `password authentication failed for user "${user}"`, reason };
}

/** Not allowed, though perhaps proven: a policy denial, a bad certificate, TLS missing, rate limiting. */
export function authorizationRefusal(message: string, reason: string): AuthRefusal {
  return { code: '28000', message, reason };
}
