/**
 * The proxy's recorder when the journal is remote: redaction and password scrubbing (the same as
 * the local recorder's, applied before an event leaves the process, so the spool and the wire never
 * carry what the journal must not), the spool, the sink and its link to the recorder service.
 */
import type { Logger } from 'pino';
import type { Durability, RecordingConfig } from '../../config/config.js';
import type { EventSink, TrailEvent } from '../events.js';
import { createRedactor } from '../redaction.js';
import { EventSpool } from './event-spool.js';
import { RecorderLink, type RemoteTls } from './recorder-link.js';
import type { RemoteRecorderError } from './remote-recorder-error.js';
import { RemoteSink } from './remote-sink.js';

/** Where and how to record remotely. */
export interface RemoteRecorderOptions {
  readonly url: string;
  readonly token: string;
  readonly instance: string;
  readonly tls: RemoteTls | null;
  readonly durability: Durability;
  readonly batchWindowMs: number;
  /** The spool directory, or null to keep unacknowledged events in memory only. */
  readonly spoolDir: string | null;
  /** Bound of the spool (or of the memory queue) in bytes of unacknowledged events. */
  readonly spoolMaxBytes: number;
  readonly recording: RecordingConfig;
  readonly logger: Logger;
  readonly onFailure: (error: RemoteRecorderError) => void;
  /** The sink's gate is kept outside it (remote-sink.ts, gatedOutside): the recording thread's. */
  readonly gatedOutside?: boolean;
  /** Told after the link came up, went down or acknowledged events: the gate outside may have changed. */
  readonly onLinkChange?: () => void;
}

/** A running remote recorder. */
export interface RemoteRecorder {
  /** Where the proxy sends its events. */
  readonly sink: EventSink;
  readonly remote: RemoteSink;
  /** Events spooled at start (resent once the recorder is reached). */
  readonly spooledAtStart: number;
  /** The link's state now, for the metrics endpoint: connected, events not yet acknowledged, spool size. */
  status(): { readonly linkOpen: boolean; readonly unacknowledged: number; readonly spoolBytes: number };
  /** Resolves when the recorder first welcomes this proxy, or after `ms` (false then). */
  connected(ms: number): Promise<boolean>;
  /** Waits up to `waitMs` for unacknowledged events to be acknowledged, then disconnects. */
  close(waitMs: number): Promise<void>;
}

/**
 * How long a starting proxy waits for its recorder's first Welcome before it listens: a proxy that
 * has not reached its recorder refuses statements it cannot number (docs/recorder-service.md), so
 * it does not take clients while the first connection is still being made. A recorder that is down
 * delays the start by this much, no more.
 */
export const firstWelcomeWaitMs = 2_000;

/** Opens the spool (reading what it holds), and starts connecting to the recorder service. */
export async function openRemoteRecorder(options: RemoteRecorderOptions): Promise<RemoteRecorder> {
  const redactor = await createRedactor(options.recording.redaction);
  const spool = options.spoolDir === null ? null : await EventSpool.open(options.spoolDir);
  const remote = new RemoteSink({
    durability: options.durability,
    batchWindowMs: options.batchWindowMs,
    spool,
    maxUnackedBytes: options.spoolMaxBytes,
    onFailure: options.onFailure,
    gatedOutside: options.gatedOutside === true,
  });
  const changed = options.onLinkChange ?? (() => {});
  let welcome: (() => void) | null = null;
  const welcomed = new Promise<void>((resolve) => {
    welcome = resolve;
  });
  const link = new RecorderLink({
    url: options.url,
    token: options.token,
    instance: options.instance,
    tls: options.tls,
    logger: options.logger.child({ component: 'recorder-link' }),
    onWelcome: (seq) => {
      remote.welcomed(seq);
      welcome?.();
      changed();
    },
    onAck: (seq) => {
      remote.acknowledged(seq);
      changed();
    },
    onDown: () => {
      remote.down();
      changed();
    },
  });
  remote.attach(link);
  link.start();
  const sink: EventSink = { record: (event: TrailEvent) => remote.record(redactor.redact(event)) };
  return {
    sink,
    remote,
    spooledAtStart: spool?.events.length ?? 0,
    status: () => ({
      linkOpen: link.isOpen,
      unacknowledged: remote.unacknowledged,
      spoolBytes: spool?.spool.bytes ?? 0,
    }),
    // The timer is not unref'd: a process starting up has nothing else keeping it alive meanwhile.
    connected: (ms) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        welcomed.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
    close: async (waitMs) => {
      await remote.close(waitMs);
      link.close();
    },
  };
}
