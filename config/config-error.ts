/** Stable codes for configuration errors (docs/errors.md). */
export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNREADABLE' | 'CONFIG_FLAG_INVALID';

/** A configuration problem, naming the key and, when it came from a file, the file and line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly key: string | null,
    readonly file: string | null,
    readonly line: number | null,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
