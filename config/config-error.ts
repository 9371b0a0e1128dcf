/** Stable codes for configuration errors (docs/errors.md). */
export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNREADABLE' | 'CONFIG_FLAG_INVALID';

/** A configuration problem, naming the key and, when it came from a file, the file and line (and column). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** 1-based column in the file, when the problem has one (a YAML syntax error). */
  readonly column: number | null;
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly key: string | null,
    readonly file: string | null,
    readonly line: number | null,
    options?: { cause?: unknown; column?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.column = options?.column ?? null;
  }
}
