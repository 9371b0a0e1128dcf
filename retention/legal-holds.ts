/**
 * Legal holds: `hold` and `hold.released` records in the journal (recorder/format/hold-record.ts),
 * and holds and releases requested while a writer held the journal, waiting in
 * `<journal>/holds-pending/` until the writer records them (ingestPendingHolds). Prune honours
 * both (hold-ledger.ts), so a hold, or its release, is in force from the moment `pgtrail hold` returns.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  holdKind,
  holdRecordOf,
  holdReleasedKind,
  parseHoldBody,
  parseHoldReleaseBody,
  type HoldRelease,
  type HoldScope,
  type LegalHold,
} from '../recorder/format/hold-record.js';
import type { JournalWriter } from '../recorder/journal-writer.js';
import { replaceFileDurably } from '../recorder/replace-file.js';

/** The folder of holds not yet recorded in the journal. */
export const pendingHoldsDir = 'holds-pending';

const maxPendingBytes = 64 * 1024;

/** A new hold with a fresh id. */
export function newHold(scope: HoldScope, reason: string | null, now = Date.now()): LegalHold {
  return { id: `hold-${now.toString(36)}-${randomBytes(6).toString('hex')}`, ts: now, scope, reason };
}

/**
 * Writes a hold or a release into the pending folder, durably (write, fsync, rename, fsync folder):
 * `<hold id>.json` for a hold, `<hold id>.released.json` for its release, each the record's kind and body.
 */
export async function writePendingHold(dir: string, item: LegalHold | HoldRelease): Promise<void> {
  const folder = join(dir, pendingHoldsDir);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const name = 'scope' in item ? item.id : `${item.hold}.released`;
  const { kind, body } = holdRecordOf(item);
  await replaceFileDurably(join(folder, `${name}.json`), JSON.stringify({ kind, ...body }));
}

/** What waits in the pending folder. */
export interface PendingHolds {
  readonly holds: readonly { readonly hold: LegalHold; readonly file: string }[];
  readonly releases: readonly { readonly release: HoldRelease; readonly file: string }[];
}

/** The holds and releases waiting in the pending folder (malformed files are ignored). */
export async function readPendingHolds(dir: string): Promise<PendingHolds> {
  const folder = join(dir, pendingHoldsDir);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return { holds: [], releases: [] };
  }
  const holds: { hold: LegalHold; file: string }[] = [];
  const releases: { release: HoldRelease; file: string }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(folder, name);
    const text = await readFile(file).catch(() => null);
    if (text === null || text.length > maxPendingBytes) continue;
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) continue;
      body = parsed as Record<string, unknown>;
    } catch {
      continue; // Not JSON: not a hold.
    }
    // A hold written before releases existed has no `kind`.
    const { kind, ...rest } = body;
    if (kind === holdReleasedKind) {
      const release = parseHoldReleaseBody(rest);
      if (release !== null) releases.push({ release, file });
    } else if (kind === undefined || kind === holdKind) {
      const hold = parseHoldBody(rest);
      if (hold !== null) holds.push({ hold, file });
    }
  }
  return { holds, releases };
}

/**
 * Records each pending hold, then each pending release, in the journal through `writer`, removing
 * each file once its record is durable; returns how many records it appended.
 */
export async function ingestPendingHolds(dir: string, writer: JournalWriter): Promise<number> {
  const pending = await readPendingHolds(dir);
  for (const { hold, file } of pending.holds) {
    await writer.appendHold(hold);
    await unlink(file);
  }
  for (const { release, file } of pending.releases) {
    await writer.appendHold(release);
    await unlink(file);
  }
  return pending.holds.length + pending.releases.length;
}

/** Whether `hold` covers an event of `session` (of identity `user`) at time `ts`. */
export function holdCovers(hold: LegalHold, session: string, user: string | null, ts: number): boolean {
  const scope = hold.scope;
  if ('session' in scope) return scope.session === session;
  if ('user' in scope) return user !== null && scope.user === user;
  return ts < scope.before;
}
