/**
 * `pgtrail prune`: replaces the event records before a time by their pruned form (leaf hash kept;
 * docs/journal-format.md §10), except records under a legal hold and, with keepSessionsOpen, those
 * of sessions still open at that time.
 *
 * Safety beside a running writer: the writer only ever appends to the last segment, so prune
 * rewrites only *closed* segments — every segment but the last, and the last too when prune can
 * take the journal's lock (no writer). A segment is rewritten whole into `<segment>.prune-tmp`,
 * fsynced, renamed over the original (atomic: a reader sees the old file or the new one, never a
 * mix; an open file handle keeps reading the old one), then the folder is fsynced. Two prunes never
 * run at once (`<journal>/prune.lock`). Record indexes, `prev` members and leaf hashes are unchanged,
 * so the writer's view of the journal (size, last leaf, tree) is the same before and after.
 */
import { createHash } from 'node:crypto';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalEvent } from '../recorder/events.js';
import type { LegalHold } from '../recorder/format/hold-record.js';
import { prunedLine } from '../recorder/format/pruned-record.js';
import { parseRecordEnvelope, RecordKind } from '../recorder/format/record-line.js';
import { acquireJournalLock, type JournalLock } from '../recorder/journal-lock.js';
import { listSegments } from '../recorder/journal-scan.js';
import { fsyncDir } from '../recorder/segment-io.js';
import { HoldLedger } from './hold-ledger.js';
import { journalLines } from './journal-lines.js';
import { holdCovers, readPendingHolds } from './legal-holds.js';
import { RetentionError, RetentionErrorCode } from './retention-error.js';

/** What to prune. */
export interface PruneOptions {
  readonly dir: string;
  /** Event records with a time before this (ms since the epoch) lose their content. */
  readonly before: number;
  /** Keep the records of sessions not closed before `before`. */
  readonly keepSessionsOpen: boolean;
}

/** What a prune did. */
export interface PruneReport {
  /** Records pruned by this run. */
  readonly pruned: number;
  /** Records before the time kept because a hold covers them. */
  readonly held: number;
  /** Records before the time kept because their session was open then (keepSessionsOpen). */
  readonly keptOpen: number;
  /** Records before the time left for a later run: in the segment a running writer appends to. */
  readonly inOpenSegment: number;
  /** Segments rewritten, in order. */
  readonly segments: readonly string[];
}

interface SessionFacts {
  user: string | null;
  closedAt: number | null;
}

const pruneLockFile = 'prune.lock';

/** Prunes the journal in `options.dir` (see the module comment). */
export async function pruneJournal(options: PruneOptions): Promise<PruneReport> {
  const release = await takePruneLock(options.dir);
  let writerLock: JournalLock | null = null;
  try {
    writerLock = await acquireJournalLock(options.dir).catch(() => null);
    await removeLeftovers(options.dir);
    const { holds, sessions } = await readFacts(options.dir);
    const segments = await listSegments(options.dir);
    const closed = writerLock === null ? segments.slice(0, -1) : segments;
    const counts = { pruned: 0, held: 0, keptOpen: 0, inOpenSegment: 0 };
    const rewritten: string[] = [];
    for (const segment of segments) {
      const isClosed = closed.includes(segment);
      if (await pruneSegment(options, segment, isClosed, holds, sessions, counts)) rewritten.push(segment);
    }
    return { ...counts, segments: rewritten };
  } finally {
    await writerLock?.release();
    await release();
  }
}

async function takePruneLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, pruneLockFile);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid))
        throw new RetentionError(RetentionErrorCode.busy, `another prune (pid ${pid}) is running on this journal`);
      await unlink(path).catch(() => undefined);
    }
  }
  throw new RetentionError(RetentionErrorCode.busy, 'the prune lock could not be taken');
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Holds in force (recorded or pending, not released) and, per session, its identity and when it closed. */
async function readFacts(dir: string): Promise<{ holds: LegalHold[]; sessions: Map<string, SessionFacts> }> {
  const ledger = new HoldLedger();
  const sessions = new Map<string, SessionFacts>();
  const facts = (id: string): SessionFacts => {
    let f = sessions.get(id);
    if (f === undefined) {
      f = { user: null, closedAt: null };
      sessions.set(id, f);
    }
    return f;
  };
  for await (const line of journalLines(dir)) {
    if (line.body !== null) {
      ledger.addLine(line);
      continue;
    }
    const event = line.event;
    if (event === null) continue;
    if (event.type === 'session.opened') facts(event.session).user = event.identity.user;
    else if (event.type === 'session.auth_failed') facts(event.session).user = event.user;
    else if (event.type === 'statement.started' || event.type === 'statement') facts(event.session).user ??= event.user;
    else if (event.type === 'session.closed') facts(event.session).closedAt = event.ts;
  }
  ledger.addPending(await readPendingHolds(dir));
  return { holds: ledger.inForce, sessions };
}

type Counts = { pruned: number; held: number; keptOpen: number; inOpenSegment: number };

/** Rewrites one segment when any of its records is to be pruned; true when it did. */
async function pruneSegment(
  options: PruneOptions,
  segment: string,
  isClosed: boolean,
  holds: readonly LegalHold[],
  sessions: ReadonlyMap<string, SessionFacts>,
  counts: Counts,
): Promise<boolean> {
  const path = join(options.dir, segment);
  const bytes = await readFile(path).catch((err: unknown) => {
    throw new RetentionError(RetentionErrorCode.segmentUnreadable, `cannot read segment ${segment}`, { cause: err });
  });
  // A closed segment ends with a newline; anything else is for verify and the writer's recovery.
  if (isClosed && bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) return false;
  const out: Buffer[] = [];
  let changed = false;
  let start = 0;
  for (let end = bytes.indexOf(0x0a, start); end >= 0; end = bytes.indexOf(0x0a, start)) {
    const raw = bytes.subarray(start, end);
    start = end + 1;
    const replacement = decide(options, raw, holds, sessions, counts, isClosed);
    out.push(replacement ?? raw, newline);
    if (replacement !== null) changed = true;
  }
  if (!changed || !isClosed) return false;
  if (start < bytes.length) out.push(bytes.subarray(start));
  await replaceSegment(options.dir, segment, out);
  return true;
}

const newline = Buffer.from('\n');

/** The pruned line for `raw`, or null to keep it as it is (and count why). */
function decide(
  options: PruneOptions,
  raw: Buffer,
  holds: readonly LegalHold[],
  sessions: ReadonlyMap<string, SessionFacts>,
  counts: Counts,
  isClosed: boolean,
): Buffer | null {
  const text = raw.toString('utf8');
  const head = parseRecordEnvelope(text);
  if (head === null || head.kind !== RecordKind.event || head.index === 0) return null;
  let event: JournalEvent;
  try {
    event = (JSON.parse(text) as { event: JournalEvent }).event;
  } catch {
    return null;
  }
  if (typeof event?.ts !== 'number' || event.ts >= options.before) return null;
  const facts = sessions.get(event.session);
  const user = facts?.user ?? null;
  if (holds.some((h) => holdCovers(h, event.session, user, event.ts))) {
    counts.held++;
    return null;
  }
  if (options.keepSessionsOpen && event.type !== 'session.auth_failed') {
    const closedAt = facts?.closedAt ?? null;
    if (closedAt === null || closedAt >= options.before) {
      counts.keptOpen++;
      return null;
    }
  }
  if (!isClosed) {
    counts.inOpenSegment++;
    return null;
  }
  // Leaf hash = SHA-256(0x00 || the line as stored): the value the tree and the next record's prev hold.
  const leaf = createHash('sha256').update(Buffer.of(0)).update(raw).digest('base64');
  const statement = 'statement' in event && typeof event.statement === 'number' ? event.statement : null;
  try {
    const line = prunedLine(head.index, head.prev, leaf, {
      type: event.type,
      ts: event.ts,
      session: event.session,
      statement,
    });
    counts.pruned++;
    return Buffer.from(line, 'utf8');
  } catch {
    // A session id or type that the pruned form cannot spell (not one pgtrail writes): kept whole.
    return null;
  }
}

/** Atomically replaces a closed segment (see the module comment). */
async function replaceSegment(dir: string, segment: string, content: readonly Buffer[]): Promise<void> {
  // The segment must still be closed: a writer may have started since the list was taken.
  const segments = await listSegments(dir);
  if (!segments.includes(segment)) return;
  const tmp = join(dir, `${segment}.prune-tmp`);
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(Buffer.concat(content));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, segment));
  await fsyncDir(dir);
}

/** Removes temporary files of an interrupted prune (their segment was never replaced). */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.endsWith('.prune-tmp')) await unlink(join(dir, name));
}
