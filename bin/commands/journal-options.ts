/**
 * Flags that sessions, search and replay share: where the journal is, and how results are
 * ordered, limited and shown.
 */
import { loadConfig } from '../../config/load-config.js';
import type { CommandContext } from '../cli.js';
import { UsageError } from '../cli.js';
import { SearchError } from '../../search/search-error.js';
import type { ProgressListener } from '../../search/open-index.js';

/** parseArgs options for --journal and --config. */
export const journalFlags = {
  journal: { type: 'string' },
  config: { type: 'string' },
} as const;

/** parseArgs options for listings: --limit, --order, --json. */
export const listingFlags = {
  limit: { type: 'string' },
  order: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The journal directory: --journal, else journal.dir of --config, else the default. */
export function journalDir(
  values: { journal?: string | undefined; config?: string | undefined },
  ctx: CommandContext,
): string {
  if (values.journal !== undefined) return values.journal;
  return loadConfig({ file: values.config ?? null, env: ctx.env, flags: [] }).journal.dir;
}

/**
 * Runs the shared filter parsing (search/query-params.ts) on flag values; a bad value becomes a
 * UsageError naming the flag.
 */
export function fromFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SearchError && err.code === 'SEARCH_BAD_FILTER') throw new UsageError(`--${err.message}`);
    throw err;
  }
}

/** A progress line on stderr while the index is built, only when stderr is a terminal. */
export function progressOnTerminal(ctx: CommandContext): { listener?: ProgressListener; done(): void } {
  if (ctx.stderr.isTTY !== true) return { done() {} };
  let shown = false;
  return {
    listener: ({ records, bytes, totalBytes }) => {
      const pct = totalBytes > 0 ? Math.floor((bytes / totalBytes) * 100) : 100;
      ctx.stderr.write(`\rreading journal: ${pct}% (${records.toLocaleString('en-US')} records)`);
      shown = true;
    },
    done() {
      if (shown) ctx.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Writes one JSON object per line. */
export function writeJsonLines(ctx: CommandContext, rows: readonly unknown[]): void {
  ctx.stdout.write(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
}

/** The terminal's width when stdout is one, else null (no cutting). */
export function terminalWidth(ctx: CommandContext): number | null {
  const out = ctx.stdout as { isTTY?: boolean; columns?: number };
  return out.isTTY === true && typeof out.columns === 'number' ? out.columns : null;
}
