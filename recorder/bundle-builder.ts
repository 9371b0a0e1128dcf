/**
 * Builds an evidence bundle (docs/bundles.md) of one session from a journal on disk: the session's
 * records up to the latest checkpoint, each with its RFC 9162 inclusion proof in that checkpoint's
 * tree, record 0 (which states the format), and the checkpoint note with the cosignatures the
 * `checkpoint` file holds. The check is verify/bundle-check.ts; this side only gathers and proves.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpointFile } from './journal-files.js';
import { latestCheckpointSize } from './journal-proof.js';
import { readJournalLeaves } from './journal-leaves.js';
import { nodeSha256 } from './node-sha256.js';
import { inclusionPath, leafStoreRoots } from './tree-prover.js';
import { encodeBase64 } from './format/base64.js';
import { parseCheckpoint } from './format/checkpoint.js';
import { parseNoteUnverified } from './format/note.js';
import { parsePrunedLine } from './format/pruned-record.js';
import { EventEnvelopeReader, parseRecordLine, RecordKind } from './format/record-line.js';
import { ChainRole, readEventChain, sessionChainFormat, type EventChainFields } from './format/session-chain.js';
import { bundleVersion, type BundleRecord, type EvidenceBundle } from './verify/bundle-check.js';

/** The one error class of bundle building; codes in docs/errors.md. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  constructor(
    readonly code: 'BUNDLE_SESSION_UNKNOWN' | 'BUNDLE_SESSION_AMBIGUOUS' | 'BUNDLE_NO_CHECKPOINT' | 'BUNDLE_OLD_FORMAT',
    message: string,
  ) {
    super(message);
  }
}

/** A session's record, found while reading: its index and line. */
interface Found {
  readonly index: number;
  readonly line: string;
}

const decoder = new TextDecoder();

/** The type and session of a record line (event or pruned), or null when it has no session. */
function sessionOfLine(
  line: Uint8Array,
  isEvent: boolean,
  reader: EventEnvelopeReader,
  fields: EventChainFields,
): { readonly session: string; readonly opens: boolean; readonly closes: boolean } | null {
  if (isEvent) {
    if (!reader.read(line, 0, line.length)) return null;
    readEventChain(line, reader.eventStart, line.length - 1, fields);
    if (fields.session === null) return null;
    return {
      session: fields.session,
      opens: fields.role === ChainRole.opened,
      closes: fields.role === ChainRole.closed,
    };
  }
  const pruned = parsePrunedLine(decoder.decode(line));
  if (pruned === null) return null;
  return {
    session: pruned.was.session,
    opens: pruned.was.type === 'session.opened',
    closes: pruned.was.type === 'session.closed',
  };
}

/**
 * The bundle of the session `name` names (its id, or a prefix of an id only one opened session has)
 * in the journal at `dir`, against its latest checkpoint or, with `cosigned`, the latest one a
 * witness cosigned (a writer's closing checkpoint never is). Throws BundleError when there is no
 * such session, no such checkpoint, or the journal's format has no session chain.
 */
export async function buildBundle(dir: string, name: string, cosigned = false): Promise<EvidenceBundle> {
  const reader = new EventEnvelopeReader();
  const fields: EventChainFields = { role: ChainRole.member, session: null, sn: -1, sprevStart: 0 };
  // First pass: the opened sessions, to resolve the name as search and replay do.
  const opened = new Set<string>();
  let first: string | null = null;
  await readJournalLeaves(dir, (index, line, isEvent) => {
    if (index === 0) first = decoder.decode(line);
    const s = sessionOfLine(line, isEvent, reader, fields);
    if (s?.opens === true) opened.add(s.session);
  });
  const session = resolve(opened, name);
  const format = first === null ? 1 : formatOf(first);
  if (format < sessionChainFormat)
    throw new BundleError(
      'BUNDLE_OLD_FORMAT',
      `the journal is format ${format}: bundles need format 3 (session chains)`,
    );
  // Second pass: the session's records, from its opening to its close.
  const found: Found[] = [];
  let inSession = false;
  let closed = false;
  const cosignatures = new Map<number, string[]>();
  const leaves = await readJournalLeaves(dir, (index, line, isEvent) => {
    if (!isEvent) collectCosignature(line, cosignatures);
    if (closed && inSession) return;
    const s = sessionOfLine(line, isEvent, reader, fields);
    if (s === null || s.session !== session) return;
    if (s.opens && found.length === 0) inSession = true;
    if (!inSession) return;
    found.push({ index, line: decoder.decode(line) });
    if (s.closes) closed = true;
  });
  const size = cosigned ? latestCosigned(leaves.checkpoints, cosignatures) : latestCheckpointSize(leaves);
  if (size === null)
    throw new BundleError(
      'BUNDLE_NO_CHECKPOINT',
      cosigned ? 'no checkpoint of the journal carries a cosignature' : 'the journal has no checkpoint yet',
    );
  const rootOf = leafStoreRoots(nodeSha256, leaves.hashes);
  const prove = (r: Found): BundleRecord => ({
    index: r.index,
    line: r.line,
    proof: inclusionPath(rootOf, r.index, size).map(encodeBase64),
  });
  const inTree = found.filter((r) => r.index < size);
  return {
    bundle: bundleVersion,
    session,
    checkpoint: await checkpointNote(dir, size, leaves.checkpoints.get(size)!, cosignatures.get(size) ?? []),
    journalStarted: prove({ index: 0, line: first! }),
    records: inTree.map(prove),
    closed: closed && inTree.length === found.length,
  };
}

/**
 * The checkpoint's note with every cosignature line the journal holds for it: from `cosignature`
 * records (format 2 on) and, when it is the latest, from the `checkpoint` file.
 */
async function checkpointNote(dir: string, size: number, recorded: string, lines: readonly string[]): Promise<string> {
  const extra = new Set(lines);
  try {
    const file = await readFile(join(dir, latestCheckpointFile), 'utf8');
    if (parseCheckpoint(parseNoteUnverified(file).text).size === size && file.startsWith(recorded))
      for (const line of file.slice(recorded.length).split('\n')) if (line !== '') extra.add(line);
  } catch {
    // No usable file: the records' cosignatures only.
  }
  return recorded + [...extra].map((line) => `${line}\n`).join('');
}

/** A `cosignature` record's line, by the size of the checkpoint it cosigns. */
function collectCosignature(line: Uint8Array, into: Map<number, string[]>): void {
  const record = parseRecordLine(decoder.decode(line));
  if ('malformed' in record || record.kind !== RecordKind.cosignature) return;
  const size = record.body['size'];
  const cosignature = record.body['cosignature'];
  if (typeof size !== 'number' || typeof cosignature !== 'string') return;
  const list = into.get(size) ?? [];
  into.set(size, list);
  list.push(cosignature);
}

/** The largest tree size with a checkpoint record and at least one cosignature, or null. */
function latestCosigned(
  checkpoints: ReadonlyMap<number, string>,
  cosignatures: ReadonlyMap<number, string[]>,
): number | null {
  let latest: number | null = null;
  for (const size of cosignatures.keys())
    if (checkpoints.has(size) && (latest === null || size > latest)) latest = size;
  return latest;
}

function formatOf(line: string): number {
  try {
    const format = (JSON.parse(line) as { format?: unknown }).format;
    return typeof format === 'number' ? format : 1;
  } catch {
    return 1;
  }
}

function resolve(opened: ReadonlySet<string>, name: string): string {
  if (opened.has(name)) return name;
  const matches = [...opened].filter((id) => id.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0 || name.length === 0)
    throw new BundleError('BUNDLE_SESSION_UNKNOWN', 'no session opened in the journal has that id or prefix');
  throw new BundleError('BUNDLE_SESSION_AMBIGUOUS', `${matches.length} sessions start with that prefix`);
}
