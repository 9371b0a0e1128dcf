/**
 * What the recording thread records into: the local journal (with its retention, which belongs to
 * whoever writes it), or a remote recorder service through its sink, spool and link, whose gate it
 * publishes to the forwarding thread (remote-gate.ts).
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { EventSink } from '../../recorder/events.js';
import type { JournalWriter } from '../../recorder/journal-writer-types.js';
import { openRecorder } from '../../recorder/recorder.js';
import { firstWelcomeWaitMs, openRemoteRecorder } from '../../recorder/remote/open-remote-recorder.js';
import { startRetention } from '../../retention/retention-schedule.js';
import { openedJournal, type OpenedJournal, type ThreadRemoteRecording } from './recording-thread-messages.js';
import { RemoteGate, RemoteGateState } from './remote-gate.js';

/** The journal as the recording thread holds it. */
export interface ThreadJournal {
  readonly sink: EventSink;
  /** The local journal as opened (null: remote), and the events a remote spool held at start. */
  readonly opened: { readonly journal: OpenedJournal | null; readonly spooledAtStart: number };
  /** The local journal's writer (the viewer's viewings, the benchmarks' counts); null when remote. */
  readonly writer: JournalWriter | null;
  /** After each read of the ring: the local journal starts its batch; the remote gate is published. */
  afterRead(): void;
  close(): Promise<void>;
}

/** How long closing may wait for a remote recorder to acknowledge what is queued (the spool keeps the rest). */
const remoteDrainMs = 5_000;

const buffer = (bytes: Uint8Array | null): Buffer | null =>
  bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Opens the journal `config` (or `remote`) names; failures of it after opening go to `onFailure`. */
export async function openThreadJournal(
  config: Config,
  remote: ThreadRemoteRecording | null,
  logger: Logger,
  onFailure: (error: { readonly code: string; readonly message: string }) => void,
  observeDurableWrite: ((ms: number) => void) | undefined,
): Promise<ThreadJournal> {
  if (remote === null) {
    const recorder = await openRecorder(
      config.journal,
      config.recording,
      onFailure,
      observeDurableWrite,
      logger.child({ component: 'witness' }),
    );
    const retention = startRetention(
      recorder.writer,
      config.journal.retention,
      logger.child({ component: 'retention' }),
    );
    return {
      sink: recorder.sink,
      opened: { journal: openedJournal(recorder), spooledAtStart: 0 },
      writer: recorder.writer,
      afterRead: () => {
        recorder.writer.flush().catch(() => {});
      },
      close: async () => {
        await retention.stop();
        await recorder.close();
      },
    };
  }
  const gate = new RemoteGate(remote.gate);
  let publish = (): void => {};
  const { tls } = remote;
  const opened = await openRemoteRecorder({
    url: remote.url,
    token: remote.token,
    instance: remote.instance,
    tls: tls === null ? null : { ca: buffer(tls.ca), cert: buffer(tls.cert), key: buffer(tls.key) },
    durability: config.journal.durability,
    batchWindowMs: config.journal.batchWindowMs,
    spoolDir: remote.spoolDir,
    spoolMaxBytes: remote.spoolMaxBytes,
    recording: config.recording,
    logger,
    onFailure,
    gatedOutside: true,
    onLinkChange: () => publish(),
  });
  publish = () => gate.publish(RemoteGateState[opened.remote.gateState()], opened.status());
  publish();
  await opened.connected(firstWelcomeWaitMs);
  return {
    sink: opened.sink,
    opened: { journal: null, spooledAtStart: opened.spooledAtStart },
    writer: null,
    afterRead: publish,
    close: () => opened.close(remoteDrainMs),
  };
}
