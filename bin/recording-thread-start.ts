import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { startOffThreadRecording, type OffThreadRecording } from '../proxy/offthread/offthread-recording.js';
import { type CommandContext, UsageError } from './cli.js';
import { announceJournal } from './journal-announce.js';

/**
 * The local journal recorded on a worker thread (recording.thread; docs/recording-thread.md),
 * opened and announced as the journal of `pgtrail start` is. Refused, before anything opens, where
 * it does not apply: strict durability holds each statement on the forwarding thread until its
 * record is durable, and the in-process viewer and the journal's metrics read the writer, which
 * the thread owns.
 */
export async function openRecordingThread(
  config: Config,
  logger: Logger,
  ctx: CommandContext,
): Promise<OffThreadRecording> {
  if (config.journal.durability !== 'batched')
    throw new UsageError('recording.thread needs batched durability (--durability batched)');
  if (config.viewer.enabled)
    throw new UsageError(
      'recording.thread does not serve the viewer: run `pgtrail serve --journal DIR` beside the proxy',
    );
  if (config.metrics.enabled)
    throw new UsageError('recording.thread does not serve metrics yet: leave metrics.enabled off');
  const recording = await startOffThreadRecording(config, logger);
  announceJournal(config, logger, ctx, recording.journal);
  return recording;
}
