/** pgtrail's own version, for `pgtrail --version`. */
import { readFileSync } from 'node:fs';

/**
 * The version in pgtrail's package.json. The compiled command runs from dist/bin/ and the sources
 * from bin/, so both places the package root can be are tried; the one named pgtrail wins.
 */
export function packageVersion(): string {
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8'));
      if (typeof pkg !== 'object' || pkg === null) continue;
      const { name, version } = pkg as { name?: unknown; version?: unknown };
      if (name === 'pgtrail' && typeof version === 'string') return version;
    } catch {
      // Not at this place: try the next one.
    }
  }
  return 'unknown';
}
