import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import {
  startOffThreadRecording,
  type OffThreadRecording,
  type OffThreadRemote,
} from '../proxy/offthread/offthread-recording.js';
import { type CommandContext, UsageError } from './cli.js';
import { announceJournal } from './journal-announce.js';
import { announceRemote } from './remote-recording.js';

/**
 * Whether the journal, local or remote, is recorded on a worker thread (recording.thread;
 * docs/recording-thread.md): `auto` (the default) with batched durability, `true` the same but
 * refused with strict durability, which holds each statement on the forwarding thread until its
 * record is durable: there is nothing to move.
 */
export function recordsOnThread(config: Config): boolean {
  const { thread } = config.recording;
  const batched = config.journal.durability === 'batched';
  if (thread === true && !batched)
    throw new UsageError('recording.thread needs batched durability (--durability batched)');
  return thread === 'auto' ? batched : thread;
}

/**
 * The journal recorded on a worker thread: the local one, opened and announced as the journal of
 * `pgtrail start` is, or the recorder service `remote`, announced as `pgtrail start --recorder` does.
 */
export async function openRecordingThread(
  config: Config,
  logger: Logger,
  ctx: CommandContext,
  remote: OffThreadRemote | null,
): Promise<OffThreadRecording> {
  const recording = await startOffThreadRecording(config, logger, remote);
  if (recording.journal !== null) announceJournal(config, logger, ctx, recording.journal, true);
  if (remote !== null && recording.remote !== null)
    announceRemote(config, ctx, remote, recording.remote.spooledAtStart, true);
  return recording;
}
