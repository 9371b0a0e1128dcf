/** Stable codes of the reasons the proxy cannot start (docs/errors.md, section proxy). */
export type ProxyStartErrorCode = 'PROXY_TLS_FILES_MISSING' | 'PROXY_TLS_FILES_UNREADABLE' | 'PROXY_LISTEN_FAILED';

/** The proxy could not start: its TLS files or listen address are unusable. */
export class ProxyStartError extends Error {
  override readonly name = 'ProxyStartError';
  constructor(
    readonly code: ProxyStartErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
