/**
 * Checks an evidence bundle (docs/bundles.md): one session's records, each with an RFC 9162
 * inclusion proof against one signed (and perhaps cosigned) checkpoint, and the session chain
 * (docs/journal-format.md §13) that proves no record of the session is missing. Bytes in, findings
 * out: browser-safe (no node: modules), so the viewer runs the same check as `pgtrail verify --bundle`.
 */
import { decodeBase64 } from '../format/base64.js';
import { parseCheckpoint, type Checkpoint } from '../format/checkpoint.js';
import { parseCosignerKey, verifiedCosignatures } from '../format/cosignature.js';
import { hashSize, leafHash, verifyInclusion } from '../format/merkle.js';
import { openNote, parseVerifierKey } from '../format/note.js';
import { parsePrunedLine } from '../format/pruned-record.js';
import { EventEnvelopeReader, parseRecordLine, RecordKind } from '../format/record-line.js';
import { ChainRole, readEventChain, SessionChains, sessionChainFormat } from '../format/session-chain.js';
import { portableSha256, type Sha256 } from '../format/sha256.js';

/** The bundle format's name and version, its `bundle` member. */
export const bundleVersion = 'pgtrail-bundle/1';

/** One record in a bundle: its index in the journal, its line exactly as stored, its inclusion proof. */
export interface BundleRecord {
  readonly index: number;
  readonly line: string;
  /** Base64 hashes of the RFC 9162 inclusion proof in the tree of the checkpoint. */
  readonly proof: readonly string[];
}

/** An evidence bundle as written to its file (one JSON object; docs/bundles.md). */
export interface EvidenceBundle {
  readonly bundle: typeof bundleVersion;
  /** The session's full id. */
  readonly session: string;
  /** The signed checkpoint note every proof leads to, with any witness cosignature lines. */
  readonly checkpoint: string;
  /** Record 0 (journal.started): it says the journal's format, which says whether sessions are chained. */
  readonly journalStarted: BundleRecord;
  /** The session's records in the tree, in index order. */
  readonly records: readonly BundleRecord[];
  /** Whether the bundle holds the session's close; false: the session was open at the checkpoint. */
  readonly closed: boolean;
}

/** What a bundle check found wrong, with the record it concerns (null: the bundle as a whole). */
export interface BundleFinding {
  readonly code: BundleFindingCode;
  readonly message: string;
  readonly index: number | null;
}

/** Every code a bundle finding can carry (docs/errors.md). */
export const BundleFindingCode = {
  /** The checkpoint is malformed or not signed by a given --vkey. */
  signatureInvalid: 'BUNDLE_SIGNATURE_INVALID',
  /** A record's inclusion proof does not lead to the checkpoint's root: the record was edited, or the proof. */
  proofMismatch: 'BUNDLE_PROOF_MISMATCH',
  /** Records are not in increasing index order, or one is repeated. */
  outOfOrder: 'BUNDLE_OUT_OF_ORDER',
  /** The session chain is broken: a record is missing, added, reordered or of another session. */
  incomplete: 'BUNDLE_INCOMPLETE',
  /** Fewer than --quorum given witnesses cosigned the checkpoint. */
  notWitnessed: 'BUNDLE_NOT_WITNESSED',
} as const;

/** One of BundleFindingCode's values. */
export type BundleFindingCode = (typeof BundleFindingCode)[keyof typeof BundleFindingCode];

/** The outcome of checking a bundle. */
export interface BundleReport {
  readonly intact: boolean;
  readonly findings: readonly BundleFinding[];
  readonly session: string;
  readonly records: number;
  /** The checkpoint's tree size and root (base64), as signed. */
  readonly treeSize: number;
  /** Whether the session's close is in the bundle; else it is complete up to `upTo` records. */
  readonly closed: boolean;
  /** The session's records the chain proves present, counting from its first (its last `sn`). */
  readonly upTo: number;
  /** Distinct given witnesses whose cosignature on the checkpoint verifies. */
  readonly witnessed: number;
}

/** What to check a bundle against. */
export interface BundleCheckOptions {
  /** Verifier keys any of which must have signed the checkpoint (--vkey). */
  readonly vkeys: readonly string[];
  /** Witness cosigner keys (--witness); none by default. */
  readonly witnessKeys?: readonly string[];
  /** Distinct given witnesses that must have cosigned (default: 0, none needed). */
  readonly quorum?: number;
  readonly sha256?: Sha256;
}

/** A bundle file that cannot be read as a bundle (its JSON or shape): the caller's exit 2. */
export class BundleUnreadableError extends Error {
  readonly code = 'BUNDLE_UNREADABLE';
}

// Bounds that keep a hostile bundle's cost small.
const maxRecords = 10_000_000;
const maxProofHashes = 64;

/** Parses a bundle file's text; throws BundleUnreadableError when it is not one. */
export function parseBundle(text: string): EvidenceBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BundleUnreadableError('the bundle is not valid JSON');
  }
  const b = value as Partial<Record<keyof EvidenceBundle, unknown>>;
  if (typeof value !== 'object' || value === null || b.bundle !== bundleVersion)
    throw new BundleUnreadableError(`the file is not a ${bundleVersion} bundle`);
  if (typeof b.session !== 'string' || typeof b.checkpoint !== 'string' || typeof b.closed !== 'boolean')
    throw new BundleUnreadableError('the bundle lacks its session, checkpoint or closed member');
  if (!Array.isArray(b.records) || b.records.length > maxRecords)
    throw new BundleUnreadableError('the bundle lacks its records');
  return {
    bundle: bundleVersion,
    session: b.session,
    checkpoint: b.checkpoint,
    closed: b.closed,
    journalStarted: bundleRecord(b.journalStarted),
    records: b.records.map(bundleRecord),
  };
}

function bundleRecord(value: unknown): BundleRecord {
  const r = value as Partial<Record<keyof BundleRecord, unknown>> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    !Number.isSafeInteger(r.index) ||
    (r.index as number) < 0 ||
    typeof r.line !== 'string' ||
    !Array.isArray(r.proof) ||
    r.proof.length > maxProofHashes ||
    !r.proof.every((h) => typeof h === 'string')
  )
    throw new BundleUnreadableError('a bundle record is not {index, line, proof}');
  return { index: r.index as number, line: r.line, proof: r.proof as string[] };
}

/** Checks a parsed bundle; never throws for what the bundle says (that is a finding), only for a malformed --vkey or --witness. */
export function checkBundle(bundle: EvidenceBundle, options: BundleCheckOptions): BundleReport {
  const sha256 = options.sha256 ?? portableSha256;
  const findings: BundleFinding[] = [];
  const report = (code: BundleFindingCode, message: string, index: number | null = null): void => {
    if (findings.length < 1000) findings.push({ code, message, index });
  };
  const keys = options.vkeys.map((k) => parseVerifierKey(k, sha256));
  const witnessKeys = (options.witnessKeys ?? []).map((k) => parseCosignerKey(k, sha256));
  let head: Checkpoint | null = null;
  try {
    const opened = openNote(bundle.checkpoint, keys);
    head = parseCheckpoint(opened.text);
    if (!keys.some((k) => k.name === head!.origin)) throw new Error('origin');
  } catch {
    report(BundleFindingCode.signatureInvalid, 'the checkpoint is not a checkpoint signed by a given --vkey');
  }
  let witnessed = 0;
  if (head !== null) {
    witnessed = verifiedCosignatures(bundle.checkpoint, witnessKeys).length;
    const quorum = options.quorum ?? 0;
    if (witnessed < quorum)
      report(
        BundleFindingCode.notWitnessed,
        `${witnessed} of the given witnesses cosigned the checkpoint, fewer than ${quorum}`,
      );
  }
  const included = (r: BundleRecord, leaf: Uint8Array | null): boolean => {
    if (head === null || leaf === null) return false;
    const proof = r.proof.map((h) => decodeBase64(h) ?? new Uint8Array(0));
    return verifyInclusion(sha256, r.index, head.size, leaf, proof, head.root);
  };
  const encoder = new TextEncoder();
  const format = journalFormat(bundle.journalStarted, head, included, encoder, sha256, report);
  const chains = new SessionChains();
  const reader = new EventEnvelopeReader();
  const fields = { role: ChainRole.member as ChainRole, session: null as string | null, sn: -1, sprevStart: 0 };
  let last = -1;
  let closedAt: number | null = null;
  let upTo = 0;
  for (const r of bundle.records) {
    if (r.index <= last)
      report(BundleFindingCode.outOfOrder, `record ${r.index} comes after record ${last} in the bundle`, r.index);
    last = Math.max(last, r.index);
    const bytes = encoder.encode(r.line);
    const pruned = parsePrunedLine(r.line);
    const stored = pruned === null ? null : decodeBase64(pruned.leaf);
    const leaf = pruned === null ? leafHash(sha256, bytes) : stored?.length === hashSize ? stored : null;
    if (head !== null && !included(r, leaf))
      report(BundleFindingCode.proofMismatch, `record ${r.index} is not in the signed tree as given`, r.index);
    if (leaf === null) continue;
    if (closedAt !== null) {
      report(BundleFindingCode.incomplete, `record ${r.index} comes after the session's close`, r.index);
      continue;
    }
    let session: string | null;
    let problem: string | null = null;
    if (pruned !== null) {
      session = pruned.was.session;
      const opens = pruned.was.type === 'session.opened';
      if (opens && upTo > 0) problem = 'the session opens twice';
      else if (!opens && !chains.open.has(session)) problem = 'the first record is not the session opening';
      chains.pruned(pruned.was.type, session, leaf);
    } else if (reader.read(bytes, 0, bytes.length)) {
      readEventChain(bytes, reader.eventStart, bytes.length - 1, fields);
      session = fields.session;
      if (upTo === 0 && fields.role !== ChainRole.opened) problem = 'the first record is not the session opening';
      else if (upTo > 0 && fields.role === ChainRole.opened) problem = 'the session opens twice';
      else problem = chains.event(bytes, reader.eventStart, bytes.length - 1, leaf);
    } else {
      report(BundleFindingCode.incomplete, `record ${r.index} is not an event record`, r.index);
      continue;
    }
    if (session !== bundle.session) problem = 'the record belongs to another session';
    if (problem !== null) report(BundleFindingCode.incomplete, `record ${r.index}: ${problem}`, r.index);
    const link = chains.open.get(bundle.session);
    if (link !== undefined) upTo = link.sn;
    else if (problem === null) {
      upTo++;
      closedAt = r.index;
    }
  }
  if (format !== null && format < sessionChainFormat)
    report(
      BundleFindingCode.incomplete,
      `the journal's format ${format} has no session chain: completeness is not proven`,
    );
  if (bundle.records.length === 0) report(BundleFindingCode.incomplete, 'the bundle holds no record');
  const closed = closedAt !== null;
  if (closed !== bundle.closed)
    report(
      BundleFindingCode.incomplete,
      bundle.closed
        ? 'the bundle says the session closed but holds no valid close'
        : 'the bundle holds a close it does not declare',
    );
  return {
    intact: findings.length === 0,
    findings,
    session: bundle.session,
    records: bundle.records.length,
    treeSize: head?.size ?? 0,
    closed,
    upTo,
    witnessed,
  };
}

/** The format journal.started states, once it is proven in the tree at index 0; null (and a finding) otherwise. */
function journalFormat(
  r: BundleRecord,
  head: Checkpoint | null,
  included: (r: BundleRecord, leaf: Uint8Array) => boolean,
  encoder: TextEncoder,
  sha256: Sha256,
  report: (code: BundleFindingCode, message: string, index: number | null) => void,
): number | null {
  const parsed = parseRecordLine(r.line);
  const leaf = leafHash(sha256, encoder.encode(r.line));
  if (r.index !== 0 || 'malformed' in parsed || parsed.kind !== RecordKind.journalStarted) {
    report(BundleFindingCode.proofMismatch, 'the bundle does not hold the journal.started record', 0);
    return null;
  }
  if (head !== null && !included(r, leaf)) {
    report(BundleFindingCode.proofMismatch, 'record 0 is not in the signed tree as given', 0);
    return null;
  }
  const format = parsed.body['format'];
  return typeof format === 'number' ? format : 1;
}
