/** A proxy's remote recording without a proxy, for tests and benchmarks: a RemoteSink and its link, welcomed. */
import type { Logger } from 'pino';
import type { Durability } from '../../../config/config.js';
import { RecorderLink } from '../recorder-link.js';
import { RemoteSink, type RemoteSinkOptions } from '../remote-sink.js';

/** A sink linked to a recorder service; `welcomedSeq` is the durable sequence its Welcome carried. */
export interface LinkedSink {
  readonly sink: RemoteSink;
  readonly link: RecorderLink;
  readonly welcomedSeq: number;
}

/** What the sink records with (without `spool`, events live in memory until acknowledged). */
export interface LinkedSinkOptions {
  readonly url: string;
  readonly token: string;
  readonly instance: string;
  readonly durability: Durability;
  readonly batchWindowMs: number;
  readonly maxUnackedBytes: number;
  readonly logger: Logger;
  readonly spool?: RemoteSinkOptions['spool'];
}

/** Connects a RemoteSink to the recorder at `url`; resolves once the recorder has welcomed it. */
export async function linkedSink(options: LinkedSinkOptions): Promise<LinkedSink> {
  const sink = new RemoteSink({
    durability: options.durability,
    batchWindowMs: options.batchWindowMs,
    spool: options.spool ?? null,
    maxUnackedBytes: options.maxUnackedBytes,
    onFailure: (error) => {
      throw error;
    },
  });
  let welcomedSeq = 0;
  let welcomed: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    welcomed = resolve;
  });
  const link = new RecorderLink({
    url: options.url,
    token: options.token,
    instance: options.instance,
    tls: null,
    logger: options.logger,
    onWelcome: (seq) => {
      welcomedSeq = seq;
      sink.welcomed(seq);
      welcomed();
    },
    onAck: (seq) => sink.acknowledged(seq),
    onDown: () => sink.down(),
  });
  sink.attach(link);
  link.start();
  await ready;
  return { sink, link, welcomedSeq };
}
