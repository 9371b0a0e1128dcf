import { access } from 'node:fs/promises';
import type { JournalConfig, RecordingConfig } from '../config/config.js';
import type { EventSink, TrailEvent } from './events.js';
import type { JournalError } from './journal-error.js';
import { createJournalSink } from './journal-sink.js';
import { openJournalWriter, type JournalWriter } from './journal-writer.js';
import { createRedactor } from './redaction.js';
import type { WitnessHooks } from './witnessing/witness-client.js';
import { closingRecords } from './sessions-left-open.js';
import { ensureSigningKey, locateSigningKey, type SigningKeyLocation } from './signing-key.js';

/** The recorder of one pgtrail process: redaction in front of the journal writer. */
export interface Recorder {
  /** Where the proxy sends its events: each is redacted, then appended (see createJournalSink for durability). */
  readonly sink: EventSink;
  readonly writer: JournalWriter;
  /** The journal's verifier key, for `pgtrail verify --vkey`. */
  readonly verifierKey: string;
  /** Whether the signing key was created by this call (first use of the journal). */
  readonly keyCreated: boolean;
  /** Where the private key is; `insideJournal` (a journal made before key custody) deserves a warning. */
  readonly key: SigningKeyLocation;
  /** Sessions a previous run left open (it stopped without closing them), now closed with reason proxy_stopped. */
  readonly closedLeftOpen: number;
  /** Writes the final checkpoint and releases the journal. */
  close(): Promise<void>;
}

/**
 * Opens the journal for recording: creates the signing key on first use, recovers or refuses a
 * damaged journal (openJournalWriter), and puts redaction and password scrubbing in front of it, so
 * nothing unredacted is ever written. The proxy records in this process: a session the journal
 * shows open cannot be alive (the journal's lock says no other process writes it), so each is
 * closed now with reason `proxy_stopped`, as an ordinary session.closed through the sink.
 */
export async function openRecorder(
  journal: JournalConfig,
  recording: RecordingConfig,
  onFailure: (error: JournalError) => void,
  onDurableWrite?: (ms: number) => void,
  witnessLog?: WitnessHooks['log'],
): Promise<Recorder> {
  const key = await locateSigningKey(journal.dir, journal.keyFile);
  const keyFile = key.path;
  const hadKey = await exists(keyFile);
  const verifierKey = await ensureSigningKey(journal.dir, keyFile);
  const redactor = await createRedactor(recording.redaction);
  const writer = await openJournalWriter({
    ...journal,
    keyFile,
    onFailure,
    ...(onDurableWrite ? { onDurableWrite } : {}),
    ...(witnessLog ? { witnessLog } : {}),
  });
  const journalSink = createJournalSink(writer, journal.durability);
  const sink: EventSink = { record: (event: TrailEvent) => journalSink.record(redactor.redact(event)) };
  const closes = closingRecords(writer.leftOpen.sessions, writer.leftOpen.lastEventTs, Date.now());
  try {
    for (const closed of closes) void sink.record(closed)?.catch(() => {});
    await writer.flush();
  } catch (err) {
    await writer.close().catch(() => {});
    throw err;
  }
  return {
    sink,
    writer,
    verifierKey,
    keyCreated: !hadKey,
    key,
    closedLeftOpen: closes.length,
    close: () => writer.close(),
  };
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
