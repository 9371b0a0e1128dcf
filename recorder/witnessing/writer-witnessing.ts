/**
 * The journal writer's side of witnessing (docs/witnesses.md): feeds the witness client every leaf,
 * turns its cosignatures and alarms into queued records (format 2) and keeps the cosignature lines
 * that are merged into the latest-checkpoint file.
 */
import type { BatchEncoder, Marker } from '../batch-encoder.js';
import { RecordKind } from '../format/record-line.js';
import type { RightEdgeTree } from './right-edge-tree.js';
import { WitnessClient, type WitnessEndpoint, type WitnessHooks, type WitnessStats } from './witness-client.js';

/** What the writer hands to its witnessing: where it is, what it sends, and how to queue a record. */
export interface WriterWitnessingSetup {
  readonly dir: string;
  readonly witnesses: readonly WitnessEndpoint[];
  /** The journal's right edge now; fed every leaf from here on. */
  readonly tree: RightEdgeTree;
  /** The journal's format: cosignature and alarm records exist from format 2 on. */
  readonly format: number;
  readonly log: WitnessHooks['log'];
  readonly encoder: BatchEncoder;
  /** Queues a marker in the writer (its promise is ignored: a failed writer has reported already). */
  readonly enqueue: (marker: Marker) => Promise<void>;
}

/** What the journal opener says when it starts witnessing (the writer adds the rest of the setup). */
export type WitnessingStart = Omit<WriterWitnessingSetup, 'dir' | 'encoder' | 'enqueue'>;

/** One writer's witness client and the cosignatures gathered for its latest checkpoint. */
export class WriterWitnessing {
  readonly #client: WitnessClient;
  #latestNote: string | null = null;
  #latestSize = -1;
  #latestCosignatures: string[] = [];

  constructor(setup: WriterWitnessingSetup) {
    const { tree, format, enqueue } = setup;
    setup.encoder.onLeafHash = (hash) => tree.append(hash);
    this.#client = new WitnessClient(setup.dir, setup.witnesses, tree, {
      log: setup.log,
      cosigned: (size, line) => {
        enqueue({ type: 'cosigned', size, line, record: format >= 2 }).catch(() => undefined);
      },
      alarm: (alarm) => {
        if (format >= 2)
          enqueue({ type: 'record', kind: RecordKind.witnessAlarm, body: { ts: Date.now(), ...alarm } }).catch(
            () => undefined,
          );
      },
    });
  }

  /** Counters of each witness. */
  get stats(): readonly WitnessStats[] {
    return this.#client.stats;
  }

  /**
   * After a batch is durable: the latest-checkpoint file's new text (the latest note with the
   * cosignature lines gathered for it), or null when it need not be rewritten.
   */
  afterBatch(items: readonly (number | Marker)[], latestNote: string | null, latestSize: number): string | null {
    let merged = false;
    if (latestNote !== null) {
      this.#latestNote = latestNote;
      this.#latestSize = latestSize;
      this.#latestCosignatures = [];
    }
    for (const item of items)
      if (typeof item !== 'number' && item.type === 'cosigned' && item.size === this.#latestSize) {
        this.#latestCosignatures.push(`${item.line}\n`);
        merged = true;
      }
    if (this.#latestNote === null || (latestNote === null && !merged)) return null;
    return this.#latestNote + this.#latestCosignatures.join('');
  }

  /** Sends a durable checkpoint to every witness (never waits for them). */
  submit(note: string): void {
    this.#client.submit(note);
  }

  /** Stops every witness loop. */
  close(): void {
    this.#client.close();
  }
}
