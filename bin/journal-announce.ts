import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { OpenedJournal } from '../proxy/offthread/recording-thread-messages.js';
import { insideJournalWarning } from '../recorder/signing-key.js';
import type { CommandContext } from './cli.js';

/** Says what opening the local journal found and did: sessions closed, a key created or misplaced, the verifier key. */
export function announceJournal(
  config: Config,
  logger: Logger,
  ctx: CommandContext,
  opened: OpenedJournal,
  onThread: boolean,
): void {
  if (opened.closedLeftOpen > 0) {
    // A previous run stopped without closing these (a crash, kill -9): the journal now says so.
    logger.warn({ sessions: opened.closedLeftOpen }, 'sessions left open by a previous run closed');
    ctx.stdout.write(
      `pgtrail: closed ${opened.closedLeftOpen} session(s) a previous run left open (reason proxy_stopped)\n`,
    );
  }
  if (opened.keyCreated)
    ctx.stdout.write(`pgtrail: created a signing key for ${config.journal.dir} at ${opened.keyPath}\n`);
  if (opened.keyInsideJournal) {
    ctx.stderr.write(`pgtrail: ${insideJournalWarning(config.journal.dir, opened.keyPath)}\n`);
    logger.warn({ keyFile: opened.keyPath }, 'signing key inside the journal directory');
  }
  const thread = onThread ? ', recorded on a worker thread' : '';
  ctx.stdout.write(
    `pgtrail: journal ${config.journal.dir} (${config.journal.durability}${thread}), verifier key ${opened.verifierKey}\n`,
  );
}
