import { ConfigError } from './config-error.js';
import type { Override } from './load-config.js';

/**
 * Turns `--upstream postgres://host:port/?sslmode=...&sslrootcert=...` into config overrides.
 * User, password and database in the URL are refused: in passthrough mode they come from each client.
 */
export function upstreamUrlOverrides(url: string): Override[] {
  const source = 'flag --upstream';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('CONFIG_FLAG_INVALID', 'flag --upstream must be a postgres:// URL', 'upstream', null, null);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError('CONFIG_FLAG_INVALID', 'flag --upstream must be a postgres:// URL', 'upstream', null, null);
  }
  if (parsed.password) {
    throw new ConfigError('CONFIG_FLAG_INVALID', 'flag --upstream must not carry a password', 'upstream', null, null);
  }
  // Taken silently, a user or database would be ignored: each client's own would be used instead.
  if (parsed.username || (parsed.pathname !== '' && parsed.pathname !== '/')) {
    throw new ConfigError(
      'CONFIG_FLAG_INVALID',
      'flag --upstream must not carry a user or database: each client names its own',
      'upstream',
      null,
      null,
    );
  }
  const out: Override[] = [];
  if (parsed.hostname) out.push({ key: 'upstream.host', value: parsed.hostname.replace(/^\[|\]$/g, ''), source });
  if (parsed.port) out.push({ key: 'upstream.port', value: parsed.port, source });
  for (const [name, value] of parsed.searchParams) {
    if (name === 'sslmode') out.push({ key: 'upstream.tls.mode', value, source });
    else if (name === 'sslrootcert') out.push({ key: 'upstream.tls.caFile', value, source });
    else if (name === 'connect_timeout')
      out.push({ key: 'upstream.connectTimeoutMs', value: String(Number(value) * 1000), source });
    else
      throw new ConfigError(
        'CONFIG_FLAG_INVALID',
        `flag --upstream: unsupported parameter ${name}`,
        'upstream',
        null,
        null,
      );
  }
  return out;
}

/** Turns `--listen HOST:PORT` (or `[::1]:PORT`) into config overrides for the given prefix. */
export function listenOverrides(
  value: string,
  prefix: 'listen' | 'metrics.listen' | 'recorderService.listen' | 'viewer.listen',
  flag: string,
): Override[] {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  if (!m) throw new ConfigError('CONFIG_FLAG_INVALID', `flag ${flag} must be HOST:PORT`, prefix, null, null);
  const source = `flag ${flag}`;
  return [
    { key: `${prefix}.host`, value: m[1] ?? m[2], source },
    { key: `${prefix}.port`, value: m[3], source },
  ];
}
