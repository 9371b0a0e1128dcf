/**
 * Legal holds: `hold` records in the journal (recorder/format/hold-record.ts) and holds requested
 * while a writer held the journal, waiting in `<journal>/holds-pending/` until the writer records
 * them (ingestPendingHolds). Prune honours both, so a hold is in force from the moment
 * `pgtrail hold` returns.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHoldBody, type HoldScope, type LegalHold } from '../recorder/format/hold-record.js';
import type { JournalWriter } from '../recorder/journal-writer.js';
import { fsyncDir } from '../recorder/segment-io.js';

/** The folder of holds not yet recorded in the journal. */
export const pendingHoldsDir = 'holds-pending';

const maxPendingBytes = 64 * 1024;

/** A new hold with a fresh id. */
export function newHold(scope: HoldScope, reason: string | null, now = Date.now()): LegalHold {
  return { id: `hold-${now.toString(36)}-${randomBytes(6).toString('hex')}`, ts: now, scope, reason };
}

/** Writes a hold into the pending folder, durably (write, fsync, rename, fsync folder). */
export async function writePendingHold(dir: string, hold: LegalHold): Promise<void> {
  const folder = join(dir, pendingHoldsDir);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const tmp = join(folder, `.${hold.id}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(hold));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(folder, `${hold.id}.json`));
  await fsyncDir(folder);
}

/** The holds waiting in the pending folder (malformed files are ignored). */
export async function readPendingHolds(dir: string): Promise<{ hold: LegalHold; file: string }[]> {
  const folder = join(dir, pendingHoldsDir);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const out: { hold: LegalHold; file: string }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(folder, name);
    const text = await readFile(file).catch(() => null);
    if (text === null || text.length > maxPendingBytes) continue;
    try {
      const hold = parseHoldBody(JSON.parse(text.toString('utf8')) as Record<string, unknown>);
      if (hold !== null) out.push({ hold, file });
    } catch {
      // Not JSON: not a hold.
    }
  }
  return out;
}

/** Records each pending hold in the journal through `writer`, then removes its file; returns how many. */
export async function ingestPendingHolds(dir: string, writer: JournalWriter): Promise<number> {
  const pending = await readPendingHolds(dir);
  for (const { hold, file } of pending) {
    await writer.appendHold(hold);
    await unlink(file);
  }
  return pending.length;
}

/** Whether `hold` covers an event of `session` (of identity `user`) at time `ts`. */
export function holdCovers(hold: LegalHold, session: string, user: string | null, ts: number): boolean {
  const scope = hold.scope;
  if ('session' in scope) return scope.session === session;
  if ('user' in scope) return user !== null && scope.user === user;
  return ts < scope.before;
}
