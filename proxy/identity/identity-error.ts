/** Stable codes of identity configuration problems (docs/errors.md). */
export type IdentityErrorCode =
  | 'IDENTITY_CONFIG_INVALID'
  | 'IDENTITY_VERIFIER_INVALID'
  | 'IDENTITY_JWKS_UNREADABLE'
  | 'IDENTITY_CREDENTIAL_UNREADABLE';

/**
 * A problem with the identity configuration or the files it names, found when pgtrail starts.
 * Failures of a client to authenticate are not errors of this kind: they are AuthRefusal values
 * that become an ErrorResponse and a session.auth_failed record.
 */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
