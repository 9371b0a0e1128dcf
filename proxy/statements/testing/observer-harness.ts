import type { EventSink, TrailEvent } from '../../../recorder/events.js';
import type { TrafficObserver } from '../../traffic-observer.js';
import { createStatementObserver } from '../statement-observer.js';
import { BackendCode } from '../../protocol/message-codes.js';

/** A sink that keeps every event, for asserting what an observer reported. */
export class CollectingSink implements EventSink {
  readonly events: TrailEvent[] = [];
  constructor(private readonly gate: () => Promise<void> | null = () => null) {}
  record(event: TrailEvent): Promise<void> | null {
    this.events.push(event);
    return event.type === 'statement.started' ? this.gate() : null;
  }
}

/** An observer over a CollectingSink with a clock that advances 1 ms per reading. */
export function observe(
  options: { captureRows?: number; captureBytes?: number; role?: string; gate?: () => Promise<void> | null } = {},
) {
  const sink = new CollectingSink(options.gate);
  const errors: unknown[] = [];
  let now = 1_000;
  const factory = createStatementObserver({
    recording: {
      captureRows: options.captureRows ?? 0,
      captureBytes: options.captureBytes ?? 65536,
      thread: false,
      threadNice: 0,
      redaction: [],
    },
    clock: () => now++,
    onInternalError: (err) => errors.push(err),
  });
  const observer = factory({
    session: 's1',
    identity: { user: 'alice', method: { kind: 'passthrough' } },
    database: 'app',
    role: options.role ?? 'alice',
    serverParams: new Map([['client_encoding', 'UTF8']]),
    client: { address: '127.0.0.1', port: 5555 },
    sink,
  });
  return { observer, sink, errors, ...drivers(observer) };
}

/** Feeding helpers: client frames as pg-protocol's serialize builds them, server bodies by type. */
function drivers(observer: TrafficObserver) {
  return {
    /** Hands over whole client frames (type byte, length word, body), as serialize() returns them. */
    client(...frames: Buffer[]): (Promise<void> | null)[] {
      return frames.map((f) => observer.clientMessage(f[0] as number, f.subarray(5)));
    },
    /** A server message body of a type other than DataRow / CopyData. */
    server(type: number, body: Buffer = Buffer.alloc(0)): void {
      observer.serverMessage(type, body);
    },
    /** A DataRow or CopyData body, split into pieces at the given offsets. */
    serverPieces(type: number, body: Buffer, splits: readonly number[] = []): void {
      const cuts = [0, ...splits, body.length];
      for (let i = 0; i + 1 < cuts.length; i++) {
        observer.serverDataPiece(type, body.subarray(cuts[i], cuts[i + 1]), i === 0, i + 2 === cuts.length);
      }
    },
    dataRow(body: Buffer, splits: readonly number[] = []): void {
      const cuts = [0, ...splits, body.length];
      for (let i = 0; i + 1 < cuts.length; i++) {
        observer.serverDataPiece(
          BackendCode.DataRow,
          body.subarray(cuts[i], cuts[i + 1]),
          i === 0,
          i + 2 === cuts.length,
        );
      }
    },
  };
}
