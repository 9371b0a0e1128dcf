/** `pgtrail replay SESSION`: a session's timeline, paced or live; with --to, re-executed and compared. */
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { oneLine } from '../../search/format-table.js';
import { openIndex } from '../../search/open-index.js';
import { segmentSource } from '../../search/segment-source.js';
import { resolveSessionName } from '../../search/session-names.js';
import type { JournalSource } from '../../search/journal-source.js';
import type { StatementRow } from '../../search/trail-rows.js';
import { followSession } from '../../replay/follow-session.js';
import { formatSessionEnd, formatSessionHeading, formatStatement } from '../../replay/format-timeline.js';
import { paceDelayMs, sleep } from '../../replay/pace.js';
import { connectReplayTarget, reExecute } from '../../replay/re-execute.js';
import { refuseRecordedCluster, targetAddress } from '../../replay/replay-target.js';
import { loadSessionTimeline, offsetMs } from '../../replay/session-timeline.js';
import { journalDirs, journalsFlags } from './journal-options.js';

const usage = `usage: pgtrail replay SESSION --journal DIR [--speed X] [--follow] [--to URL [--force]] [--json]

Plays a recorded session back in time order: time since the session started, each statement with
its parameters, its outcome, the SHA-256 of its result rows and the captured rows, if any.
SESSION is the session's id, a prefix only it has, or ID#N as search prints a statement of it.
  --journal DIR   the journal directory (else journal.dir from --config F, else ./pgtrail-journal);
                  more than once: the session is looked for in each (it must be in exactly one)
  --speed X       pace the replay at X times real time (gaps capped at 10 s); default: all at once
  --follow        keep playing a session that is still live, until it closes (Ctrl-C stops)
  --to URL        re-execute the statements in order on the database at this postgres:// URL and
                  compare each outcome (command tag, rows, SQLSTATE, result digest) with the record;
                  prints every divergence and exits 1 if there is any. Use a scratch database.
                  Statements whose text or parameters were redacted are skipped, never compared.
  --force         allow --to to reach the database cluster the session was recorded against (refused
                  by default, whether reached directly, through pgtrail or through another proxy)
  --json          one JSON object per statement (with --to: recorded, replayed, divergences)
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseFlags(
    ctx.argv,
    {
      ...journalsFlags,
      speed: { type: 'string' },
      follow: { type: 'boolean' },
      to: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    true,
  );
  const [session, ...extra] = positionals;
  if (session === undefined || extra.length > 0) throw new UsageError('expected exactly one SESSION');
  let speed: number | null = null;
  if (values.speed !== undefined) {
    speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed <= 0) throw new UsageError('--speed must be a positive number');
  }
  if (values.to !== undefined && values.follow) throw new UsageError('--to and --follow cannot be combined');
  if (values.force && values.to === undefined) throw new UsageError('--force only applies to --to');
  const source = segmentSource(await journalWithSession(journalDirs(values, ctx), session));
  try {
    if (values.to !== undefined)
      return await reExecuteSession(ctx, source, session, values.to, values.force === true, values.json === true);
    return await playSession(ctx, source, session, speed, values.follow === true, values.json === true);
  } finally {
    source.close();
  }
}

/** Of several journals, the one that holds the session named (the first when none does: it reports the absence). */
async function journalWithSession(dirs: readonly string[], name: string): Promise<string> {
  if (dirs.length === 1) return dirs[0]!;
  const holding: string[] = [];
  for (const dir of dirs) {
    const source = segmentSource(dir);
    try {
      const { index } = await openIndex(source);
      if (resolveSessionName(index, name) !== null) holding.push(dir);
    } finally {
      source.close();
    }
  }
  if (holding.length > 1)
    throw new UsageError(`session ${JSON.stringify(name)} is in several journals: ${holding.join(', ')}`);
  return holding[0] ?? dirs[0]!;
}

async function playSession(
  ctx: CommandContext,
  source: JournalSource,
  name: string,
  speed: number | null,
  follow: boolean,
  json: boolean,
): Promise<ExitCode> {
  const timeline = await loadSessionTimeline(source, name);
  const session = timeline.session.session;
  if (!json) ctx.stdout.write(formatSessionHeading(timeline.session));
  const rows: AsyncIterable<StatementRow> | readonly StatementRow[] = follow
    ? followSession(source, session, { pollMs: 250 })
    : timeline.statements;
  let first: StatementRow | undefined;
  let previous: number | null = null;
  for await (const row of rows) {
    first ??= row;
    const at = offsetMs(timeline, first, row);
    // Live rows are shown as they come; pacing applies to a recorded session.
    if (!follow) await sleep(paceDelayMs(previous ?? 0, at, speed));
    previous = at;
    ctx.stdout.write(json ? `${JSON.stringify({ offset_ms: at, ...row })}\n` : formatStatement(row, at));
  }
  const end = follow ? (await loadSessionTimeline(source, session)).session : timeline.session;
  // The gap before the session closed is paced like every other: --speed 1 takes as long as the session did.
  if (!follow && end.duration_ms !== null) await sleep(paceDelayMs(previous ?? 0, end.duration_ms, speed));
  if (!json) ctx.stdout.write(formatSessionEnd(end));
  return ExitCode.ok;
}

async function reExecuteSession(
  ctx: CommandContext,
  source: JournalSource,
  name: string,
  url: string,
  force: boolean,
  json: boolean,
): Promise<ExitCode> {
  const target = targetAddress(url);
  const timeline = await loadSessionTimeline(source, name);
  const session = timeline.session.session;
  const connection = await connectReplayTarget(url);
  let note: string | null = null;
  try {
    if (!force)
      note = await refuseRecordedCluster({
        url,
        recordedUpstream: timeline.session.upstream,
        recordedSystemId: timeline.session.upstream_system_id,
        targetSystemId: connection.systemId,
      });
  } catch (err) {
    await connection.close();
    throw err;
  }
  if (note !== null) ctx.stderr.write(`pgtrail replay: note: ${note}\n`);
  if (!json)
    ctx.stdout.write(
      `replaying session ${session} (${timeline.statements.length} statements) on ${target.host}:${target.port}\n`,
    );
  let diverged = 0;
  let skipped = 0;
  for await (const step of reExecute(timeline.statements, connection)) {
    const { row } = step;
    if (step.skipped !== null) skipped++;
    if (step.divergences.length > 0) diverged++;
    if (json) {
      ctx.stdout.write(
        `${JSON.stringify({
          seq: row.seq,
          statement: row.statement,
          sql: row.sql,
          recorded: {
            command: row.command,
            rows: row.rows,
            error: row.error?.code ?? null,
            result_digest: row.result_digest,
          },
          replayed: step.outcome && {
            command: step.outcome.command,
            rows: step.outcome.rows,
            error: step.outcome.errorCode,
            result_digest: step.outcome.resultDigest,
          },
          skipped: step.skipped,
          divergences: step.divergences,
        })}\n`,
      );
      continue;
    }
    const verdict =
      step.skipped !== null ? `skipped: ${step.skipped}` : step.divergences.length > 0 ? 'DIVERGES' : 'same';
    ctx.stdout.write(`#${row.statement} (seq ${row.seq})  ${oneLine(row.sql).slice(0, 100)}  -> ${verdict}\n`);
    for (const d of step.divergences)
      ctx.stdout.write(
        `    ${d.field}: recorded ${JSON.stringify(d.recorded)}, replayed ${JSON.stringify(d.replayed)}\n`,
      );
  }
  const summary = `${timeline.statements.length} statements: ${diverged} diverged, ${skipped} skipped`;
  if (json) ctx.stderr.write(`${summary}\n`);
  else ctx.stdout.write(`${summary}\n`);
  return diverged > 0 ? ExitCode.checkFailed : ExitCode.ok;
}

/** The replay command. */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'play a session back, or re-execute it elsewhere and compare',
  usage,
  run,
};
