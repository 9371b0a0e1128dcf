/** A recorder service for tests: a strict journal writer in `dir` and the service on a free loopback port. */
import type { Logger } from 'pino';
import { openJournalWriter, type JournalWriter } from '../../journal-writer.js';
import type { SigningKey } from '../../signing-key.js';
import { parseAccessTokens } from '../access-tokens.js';
import { readInstanceSequences } from '../instance-sequences.js';
import { startRecorderService, type RecorderService, type RecorderTls } from '../recorder-service.js';

/** A running test recorder and the writer it appends to (close the service, then the writer). */
export interface TestRecorder {
  readonly writer: JournalWriter;
  readonly service: RecorderService;
  /** ws:// or wss:// and the port it took. */
  readonly url: string;
}

/** What a test recorder is started with; `signingKey` opens a journal signed by that key (an older journal's). */
export interface TestRecorderOptions {
  readonly dir: string;
  readonly token: string;
  readonly logger: Logger;
  readonly tls?: RecorderTls | null;
  readonly signingKey?: SigningKey;
  /** The port to listen on (a restart on the port its proxies know); a free one by default. */
  readonly port?: number;
}

/** Opens the writer and starts the service (see the file comment). */
export async function startTestRecorder(options: TestRecorderOptions): Promise<TestRecorder> {
  const { dir, tls = null } = options;
  const writer = await openJournalWriter({
    dir,
    durability: 'strict',
    batchWindowMs: 20,
    checkpointEveryRecords: 1000,
    checkpointEveryMs: 60_000,
    segmentMaxBytes: 1 << 20,
    ...(options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
  });
  const service = await startRecorderService({
    host: '127.0.0.1',
    port: options.port ?? 0,
    writer,
    tokens: parseAccessTokens(Buffer.from(`# tokens\n${options.token}\n`)),
    tls,
    sequences: await readInstanceSequences(dir),
    logger: options.logger,
  });
  return { writer, service, url: `${tls === null ? 'ws' : 'wss'}://127.0.0.1:${service.address.port}` };
}
