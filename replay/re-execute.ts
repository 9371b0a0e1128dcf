import pg from 'pg';
import type { StatementRow } from '../search/trail-rows.js';
import { OutcomeTap, type ReplayedOutcome } from './outcome-tap.js';
import { ReplayError } from './replay-error.js';

/** One way a replayed statement's outcome differs from the record. */
export interface Divergence {
  readonly field: 'command' | 'rows' | 'error' | 'result_digest';
  readonly recorded: string | number | null;
  readonly replayed: string | number | null;
}

/** One statement of a re-execution: what was recorded, what happened now, and how they differ. */
export interface ReplayStep {
  readonly row: StatementRow;
  /** Null when the statement was not re-executed (see `skipped`). */
  readonly outcome: ReplayedOutcome | null;
  /** Why the statement was not re-executed or not compared, or null. */
  readonly skipped: string | null;
  readonly divergences: readonly Divergence[];
}

/** Compares a replayed outcome with the record; only what the record holds is compared. */
export function compareOutcome(row: StatementRow, now: ReplayedOutcome): Divergence[] {
  const out: Divergence[] = [];
  const recordedError = row.error?.code ?? null;
  if (recordedError !== now.errorCode) out.push({ field: 'error', recorded: recordedError, replayed: now.errorCode });
  if (recordedError !== null || now.errorCode !== null) return out;
  if (row.command !== now.command) out.push({ field: 'command', recorded: row.command, replayed: now.command });
  if (row.rows !== null && row.rows !== now.rows) out.push({ field: 'rows', recorded: row.rows, replayed: now.rows });
  if (row.result_digest !== now.resultDigest)
    out.push({ field: 'result_digest', recorded: row.result_digest, replayed: now.resultDigest });
  return out;
}

function skipReason(row: StatementRow): string | null {
  if (row.pruned) return 'pruned: its SQL is no longer in the journal';
  if (row.not_executed) return 'not executed when recorded';
  // Dropped parameters would run as NULL, normalised text ($n without values) fails with 42P02, a
  // scrubbed password would be set to the placeholder: none of it is what ran, so nothing is compared.
  if (row.redaction !== null)
    return `redacted when recorded (${row.redaction}): the recorded text or parameters are not what ran`;
  if (row.protocol === 'function_call') return 'a fastpath function call is not re-executed';
  if (row.copy?.direction === 'in' || (row.copy === null && /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(row.sql)))
    return 'COPY FROM STDIN data is not in the journal';
  return null;
}

// Results are compared by digest over the raw bytes, so pg need not convert any value.
const rawText = { getTypeParser: () => (value: string) => value };

/** A connection to the replay target, and the cluster it says it is. */
export interface ReplayConnection {
  readonly client: pg.Client;
  /** The target cluster's `system_identifier`, or null when it would not say (the function revoked). */
  readonly systemId: string | null;
  close(): Promise<void>;
}

/**
 * Connects to the target and asks which cluster it is, before anything is re-executed: through
 * pgtrail or any other proxy the answer is the cluster behind it, which is what replay must not
 * write into (replay-target.ts).
 */
export async function connectReplayTarget(url: string): Promise<ReplayConnection> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgtrail replay' });
  try {
    await client.connect();
  } catch (cause) {
    throw new ReplayError(
      'REPLAY_TARGET_UNREACHABLE',
      `cannot connect to the replay target: ${(cause as Error).message}`,
      { cause },
    );
  }
  client.on('error', () => {}); // a lost connection surfaces as the next query's rejection
  let systemId: string | null = null;
  try {
    const { rows } = await client.query<{ id: string }>(
      'SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()',
    );
    systemId = rows[0]?.id ?? null;
  } catch {
    // Not readable here (revoked from PUBLIC): the caller decides what an unknown target means.
  }
  return { client, systemId, close: () => client.end().catch(() => {}) };
}

/**
 * Re-executes a session's statements in order on the connected target, and yields each one's
 * outcome compared with the record. Outcomes are read from the raw backend messages (OutcomeTap),
 * so the result digest is computed over exactly the bytes the recorder hashes; a statement recorded
 * with binary result columns will differ, because pg asks for text. Closes the connection at the end.
 */
export async function* reExecute(rows: readonly StatementRow[], target: ReplayConnection): AsyncGenerator<ReplayStep> {
  const { client } = target;
  // pg keeps its socket (the TLS socket once TLS is up) on `connection.stream`; it is not in the typings.
  const stream = (client as unknown as { connection: { stream: NodeJS.EventEmitter } }).connection.stream;
  const tap = new OutcomeTap();
  const onData = (chunk: Buffer) => tap.push(chunk);
  stream.on('data', onData);
  try {
    for (const row of rows) {
      const skipped = skipReason(row);
      if (skipped !== null) {
        yield { row, outcome: null, skipped, divergences: [] };
        continue;
      }
      try {
        await client.query({
          text: row.sql,
          ...(row.params !== null && { values: [...row.params] }),
          rowMode: 'array',
          types: rawText,
        });
      } catch {
        // The error is in the outcome the tap read; anything else (a lost connection) shows as no outcome.
      }
      // pg settles a failed query on ErrorResponse, possibly before ReadyForQuery has arrived.
      const outcome = await nextOutcome(tap, stream);
      if (!row.finished) yield { row, outcome, skipped: 'no outcome was recorded to compare with', divergences: [] };
      else yield { row, outcome, skipped: null, divergences: compareOutcome(row, outcome) };
    }
  } finally {
    stream.off('data', onData);
    await target.close();
  }
}

const answerTimeoutMs = 30_000;

/** The outcome of the statement just run: at once when the tap has it, else once more bytes arrive. */
async function nextOutcome(tap: OutcomeTap, stream: NodeJS.EventEmitter): Promise<ReplayedOutcome> {
  const deadline = Date.now() + answerTimeoutMs;
  for (;;) {
    const outcome = tap.take();
    if (outcome !== null) return outcome;
    if (!(await moreData(stream, deadline - Date.now())))
      throw new ReplayError('REPLAY_TARGET_UNREACHABLE', 'the replay target stopped answering');
  }
}

/** True once the stream delivers more data (the tap, listening first, has it by then); false on close or timeout. */
function moreData(stream: NodeJS.EventEmitter, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (arrived: boolean) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      resolve(arrived);
    };
    const onData = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
    stream.on('data', onData);
    stream.on('close', onClose);
  });
}
