/**
 * Flags that sessions, search and replay share: where the journal is, and how results are
 * ordered, limited and shown.
 */
import { loadConfig } from '../../config/load-config.js';
import type { CommandContext } from '../cli.js';
import { UsageError } from '../cli.js';
import { SearchError } from '../../search/search-error.js';
import { parseTimeSpec } from '../../search/time-spec.js';
import type { ProgressListener } from '../../search/open-index.js';

/** parseArgs options for --journal and --config. */
export const journalFlags = {
  journal: { type: 'string' },
  config: { type: 'string' },
} as const;

/** parseArgs options for commands that read several journals: --journal (repeatable) and --config. */
export const journalsFlags = {
  journal: { type: 'string', multiple: true },
  config: { type: 'string' },
} as const;

/** The journal directories: every --journal, else journal.dir of --config, else the default. */
export function journalDirs(
  values: { journal?: string[] | undefined; config?: string | undefined },
  ctx: CommandContext,
): string[] {
  if (values.journal !== undefined && values.journal.length > 0) return values.journal;
  return [loadConfig({ file: values.config ?? null, env: ctx.env, flags: [] }).journal.dir];
}

/** parseArgs options for listings: --limit, --order, and how to show them: --json, --wide, --expanded. */
export const listingFlags = {
  limit: { type: 'string' },
  order: { type: 'string' },
  json: { type: 'boolean' },
  wide: { type: 'boolean' },
  expanded: { type: 'boolean', short: 'x' },
} as const;

/** How a listing is shown: a table fitted to the terminal, a table of whole values, records, or JSON lines. */
export type ListingForm = 'table' | 'wide' | 'expanded' | 'json';

/** The form --json, --wide or --expanded asks for (at most one of them), else a fitted table. */
export function listingForm(values: { json?: boolean; wide?: boolean; expanded?: boolean }): ListingForm {
  const chosen = (['json', 'wide', 'expanded'] as const).filter((f) => values[f] === true);
  if (chosen.length > 1) throw new UsageError(`--${chosen.join(' and --')} cannot be combined`);
  return chosen[0] ?? 'table';
}

/** The journal directory: --journal, else journal.dir of --config, else the default. */
export function journalDir(
  values: { journal?: string | undefined; config?: string | undefined },
  ctx: CommandContext,
): string {
  if (values.journal !== undefined) return values.journal;
  return loadConfig({ file: values.config ?? null, env: ctx.env, flags: [] }).journal.dir;
}

/** --limit N (null: no limit) and --order asc|desc (default asc: oldest first). */
export function listingOptions(values: { limit?: string | undefined; order?: string | undefined }): {
  limit: number | null;
  order: 'asc' | 'desc';
} {
  let limit: number | null = null;
  if (values.limit !== undefined) {
    if (!/^\d{1,15}$/.test(values.limit)) throw new UsageError('--limit must be a whole number, 0 or more');
    limit = Number(values.limit);
  }
  const order = values.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new UsageError('--order must be asc or desc');
  return { limit, order };
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

/** A time flag's value in epoch milliseconds, or undefined when not given. */
export function timeFlag(name: string, value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTimeSpec(value, nowMs);
  } catch (err) {
    if (err instanceof SearchError) throw new UsageError(`--${name}: ${err.message}`);
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

/** Width of a table when stdout is not a terminal and COLUMNS is not set: the classic terminal's. */
export const defaultWidth = 80;

/**
 * The width to fit tables to: the terminal's when stdout is one, else COLUMNS when it is a number
 * (as psql and less honour it), else 80.
 */
export function terminalWidth(ctx: CommandContext): number {
  const out = ctx.stdout as { isTTY?: boolean; columns?: number };
  if (out.isTTY === true && typeof out.columns === 'number' && out.columns > 0) return out.columns;
  const columns = Number(ctx.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : defaultWidth;
}
