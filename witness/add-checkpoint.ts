/**
 * The witness's one operation, C2SP tlog-witness `add-checkpoint` (https://c2sp.org/tlog-witness):
 *
 *   old <size>\n                   the size of the latest checkpoint the log believes we cosigned
 *   <base64 hash>\n ...            at most 63 lines: the RFC 9162 consistency proof from old to new
 *   \n
 *   <signed checkpoint note>
 *
 * Answers, in the order the specification checks them: 400 malformed or old > new size; 404 unknown
 * origin; 403 no valid signature by a key we trust for that origin (or a bad one by such a key);
 * 409 with our size (`text/x.tlog.size`) when old is not our latest cosigned size; 422 when the
 * proof does not prove consistency (or equal sizes with different roots, or a non-empty proof from
 * 0); 200 with one cosignature/v1 line once the new state is durable.
 */
import { decodeBase64 } from '../recorder/format/base64.js';
import { parseCheckpoint, type Checkpoint } from '../recorder/format/checkpoint.js';
import { emptyRoot, equalBytes, hashSize, verifyConsistency } from '../recorder/format/merkle.js';
import { openNote, parseNoteUnverified, type NoteVerifierKey } from '../recorder/format/note.js';
import type { Sha256 } from '../recorder/format/sha256.js';
import { VerifyError, VerifyErrorCode } from '../recorder/verify/verify-error.js';
import type { WitnessKey } from './witness-key.js';
import type { WitnessState } from './witness-state.js';

/** The most proof lines a request may carry (C2SP tlog-witness). */
export const maxProofLines = 63;

/** An HTTP answer. */
export interface WitnessResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The origin the request named, when it parsed that far (for the log line). */
  readonly origin: string | null;
}

/** What add-checkpoint needs: the logs it witnesses, its state and key, a clock and SHA-256. */
export interface AddCheckpointContext {
  /** Trusted log keys by origin. */
  readonly logs: ReadonlyMap<string, readonly NoteVerifierKey[]>;
  readonly state: WitnessState;
  readonly key: WitnessKey;
  /** POSIX seconds, for the cosignature's timestamp. */
  readonly now: () => bigint;
  readonly sha256: Sha256;
}

interface ParsedRequest {
  readonly old: number;
  readonly proof: readonly Uint8Array[];
  readonly note: string;
  readonly checkpoint: Checkpoint;
}

const text = (status: number, body: string, origin: string | null = null): WitnessResponse => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: `${body}\n`,
  origin,
});

/** Parses the body strictly; a string is the reason for a 400. */
function parseRequest(body: Uint8Array): ParsedRequest | string {
  let all: string;
  try {
    all = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return 'request is not UTF-8';
  }
  const firstEnd = all.indexOf('\n');
  const oldMatch = /^old (0|[1-9][0-9]{0,15})$/.exec(all.slice(0, Math.max(firstEnd, 0)));
  if (firstEnd < 0 || oldMatch === null) return 'first line is not "old <size>"';
  const old = Number(oldMatch[1]);
  if (!Number.isSafeInteger(old)) return 'old size is too large';
  const proof: Uint8Array[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = all.indexOf('\n', at);
    if (end < 0) return 'no empty line before the checkpoint';
    const line = all.slice(at, end);
    at = end + 1;
    if (line.length === 0) break;
    const hash = decodeBase64(line);
    if (hash === null || hash.length !== hashSize) return 'a proof line is not a base64 32-byte hash';
    if (proof.length === maxProofLines) return `more than ${maxProofLines} proof lines`;
    proof.push(hash);
  }
  const note = all.slice(at);
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNoteUnverified(note).text);
  } catch {
    return 'the checkpoint is not a well-formed signed checkpoint';
  }
  return { old, proof, note, checkpoint };
}

/** Handles one add-checkpoint request body (see the module comment). */
export async function addCheckpoint(ctx: AddCheckpointContext, body: Uint8Array): Promise<WitnessResponse> {
  const request = parseRequest(body);
  if (typeof request === 'string') return text(400, request);
  const { old, proof, note, checkpoint } = request;
  const origin = checkpoint.origin;
  const keys = ctx.logs.get(origin);
  if (keys === undefined) return text(404, 'unknown origin', origin);
  let signedText: string;
  try {
    signedText = openNote(note, keys).text;
  } catch (err) {
    if (err instanceof VerifyError && err.code !== VerifyErrorCode.noteMalformed)
      return text(403, 'no valid signature by a trusted log key', origin);
    return text(400, 'the checkpoint is not a well-formed signed note', origin);
  }
  if (old > checkpoint.size) return text(400, 'old size is larger than the checkpoint size', origin);
  if (checkpoint.size === 0 && !equalBytes(checkpoint.root, emptyRoot(ctx.sha256)))
    return text(422, 'a checkpoint of size 0 must have the empty root', origin);
  return ctx.state.update(origin, async (current) => {
    const size = current?.size ?? 0;
    if (old !== size)
      return { next: null, result: { status: 409, contentType: 'text/x.tlog.size', body: `${size}\n`, origin } };
    const consistent =
      old === 0
        ? proof.length === 0
        : verifyConsistency(ctx.sha256, old, checkpoint.size, current!.root, checkpoint.root, proof);
    if (!consistent) return { next: null, result: text(422, 'the consistency proof does not verify', origin) };
    const line = ctx.key.cosign(signedText, ctx.now());
    return {
      next: { size: checkpoint.size, root: checkpoint.root },
      result: { status: 200, contentType: 'text/plain; charset=utf-8', body: `${line}\n`, origin },
    };
  });
}
