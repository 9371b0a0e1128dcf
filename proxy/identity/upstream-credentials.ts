/**
 * The credentials pgtrail uses upstream for proxy-managed identities, resolved once at start: a
 * password from a file (its first line) or from an environment variable whose name the config gives,
 * and/or a client certificate and key (PEM) for the upstream TLS leg, each from a file or an
 * environment variable. bin/ reads process.env and passes it in.
 */
import type { UpstreamCredential } from '../../config/config.js';
import { IdentityError } from './identity-error.js';

/** A credential ready to use: the secrets themselves. Never logged, never recorded. */
export interface ResolvedCredential {
  readonly name: string;
  readonly role: string;
  readonly password: string | null;
  /** PEM client certificate and key for the upstream TLS leg. */
  readonly tlsCert: Buffer | null;
  readonly tlsKey: Buffer | null;
}

/** Largest secret file accepted, in bytes. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Where resolution reads from: a file reader and the environment. */
export interface SecretSources {
  readonly readFile: (path: string) => Buffer;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Resolves every credential by name; throws IdentityError naming the credential and what is missing. */
export function resolveUpstreamCredentials(
  list: readonly UpstreamCredential[],
  sources: SecretSources,
): ReadonlyMap<string, ResolvedCredential> {
  const out = new Map<string, ResolvedCredential>();
  for (const c of list) {
    const at = `identity.upstream ${JSON.stringify(c.name)}`;
    if (out.has(c.name)) throw new IdentityError('IDENTITY_CONFIG_INVALID', `${at} is defined twice`);
    if (c.passwordFile !== null && c.passwordEnv !== null)
      throw new IdentityError('IDENTITY_CONFIG_INVALID', `${at}: set passwordFile or passwordEnv, not both`);
    if (c.certFile !== null && c.certEnv !== null)
      throw new IdentityError('IDENTITY_CONFIG_INVALID', `${at}: set certFile or certEnv, not both`);
    if (c.keyFile !== null && c.keyEnv !== null)
      throw new IdentityError('IDENTITY_CONFIG_INVALID', `${at}: set keyFile or keyEnv, not both`);
    if ((c.certFile === null && c.certEnv === null) !== (c.keyFile === null && c.keyEnv === null)) {
      throw new IdentityError('IDENTITY_CONFIG_INVALID', `${at}: a client certificate and its key go together`);
    }
    let password: string | null = null;
    if (c.passwordFile !== null)
      password = (readSecret(c.passwordFile, at, sources).toString('utf8').split('\n')[0] ?? '').replace(/\r$/, '');
    if (c.passwordEnv !== null) password = fromEnv(c.passwordEnv, at, sources);
    if (password === '') throw new IdentityError('IDENTITY_CREDENTIAL_UNREADABLE', `${at}: the password is empty`);
    out.set(c.name, {
      name: c.name,
      role: c.role,
      password,
      tlsCert: fileOrEnv(c.certFile, c.certEnv, at, sources),
      tlsKey: fileOrEnv(c.keyFile, c.keyEnv, at, sources),
    });
  }
  return out;
}

/** The contents of `file`, else the value of the variable `env` as bytes, else null. */
function fileOrEnv(file: string | null, env: string | null, at: string, sources: SecretSources): Buffer | null {
  if (file !== null) return readSecret(file, at, sources);
  return env === null ? null : Buffer.from(fromEnv(env, at, sources), 'utf8');
}

function fromEnv(name: string, at: string, sources: SecretSources): string {
  const value = sources.env[name];
  if (value === undefined)
    throw new IdentityError('IDENTITY_CREDENTIAL_UNREADABLE', `${at}: environment variable ${name} is not set`);
  return value;
}

function readSecret(path: string, at: string, sources: SecretSources): Buffer {
  let bytes: Buffer;
  try {
    bytes = sources.readFile(path);
  } catch (err) {
    throw new IdentityError(
      'IDENTITY_CREDENTIAL_UNREADABLE',
      `${at}: cannot read ${path}: ${(err as { code?: string }).code ?? 'error'}`,
      { cause: err },
    );
  }
  if (bytes.length > MAX_SECRET_FILE_BYTES)
    throw new IdentityError(
      'IDENTITY_CREDENTIAL_UNREADABLE',
      `${at}: ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`,
    );
  return bytes;
}
